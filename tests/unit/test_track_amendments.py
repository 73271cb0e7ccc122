"""The `Track` aggregate's corrections, retractions and idempotency keys: what they record
and what they refuse, with nothing recorded."""

from __future__ import annotations

import pytest

from domain import errors
from domain.events import DemandMade, StatementCorrected, StatementRetracted
from tests.unit.builders import (
    NATO,
    RECORDER,
    RUSSIA,
    USA,
    Unchanged,
    correct,
    demand,
    last_event,
    open_track,
    record,
    respond,
    retract,
    view_of,
)

# -- corrections ------------------------------------------------------------------------------


def test_a_correction_records_statement_corrected_and_updates_the_fields():
    track = open_track()
    demand(track, "d1", summary="first wording", occurred_at="2021-12-17")

    track.correct_statement(
        "d1",
        {"summary": "better wording", "occurred_at": "2021-12-15"},
        "checked the transcript",
        recorded_by="editor",
    )

    event = last_event(track)
    assert isinstance(event, StatementCorrected)
    assert event.statement_id == "d1"
    assert event.changes == {"summary": "better wording", "occurred_at": "2021-12-15"}
    assert event.reason == "checked the transcript"
    fields = view_of(track).statements["d1"].fields
    assert fields["summary"] == "better wording"
    assert fields["occurred_at"] == "2021-12-15"
    assert fields["party"] == RUSSIA


def test_a_correction_is_listed_with_who_when_why_and_what():
    track = open_track()
    demand(track, "d1")

    track.correct_statement("d1", {"topics": ["arms-control"]}, "tagging", recorded_by="editor")

    (correction,) = view_of(track).statements["d1"].corrections
    assert correction == {
        "recorded_at": last_event(track).timestamp.isoformat(),
        "recorded_by": "editor",
        "reason": "tagging",
        "changes": {"topics": ["arms-control"]},
    }


def test_a_correction_leaves_the_original_event_as_recorded():
    track = open_track()
    demand(track, "d1", summary="first wording")

    correct(track, "d1", summary="second wording")
    correct(track, "d1", summary="third wording")

    original = track.pending_events[1]
    assert original.statement["summary"] == "first wording"
    assert [c["changes"]["summary"] for c in view_of(track).statements["d1"].corrections] == [
        "second wording",
        "third wording",
    ]
    assert view_of(track).statements["d1"].fields["summary"] == "third wording"


def test_a_correction_without_changes_is_a_rule_violation():
    track = open_track()
    demand(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.RuleViolation):
        track.correct_statement("d1", {}, "nothing", recorded_by=RECORDER)

    unchanged.check()


def test_correcting_an_unknown_statement_is_statement_not_found():
    track = open_track()
    unchanged = Unchanged(track)

    with pytest.raises(errors.StatementNotFound):
        correct(track, "d404", summary="x")

    unchanged.check()


def test_correcting_a_retracted_statement_is_already_retracted():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.AlreadyRetracted):
        correct(track, "d1", summary="x")

    unchanged.check()


# -- retractions ------------------------------------------------------------------------------


def test_a_retraction_records_statement_retracted_and_marks_the_statement():
    track = open_track()
    demand(track, "d1")

    track.retract_statement("d1", "duplicate entry", recorded_by="editor")

    event = last_event(track)
    assert isinstance(event, StatementRetracted)
    assert event.statement_id == "d1"
    assert event.reason == "duplicate entry"
    stored = view_of(track).statements["d1"]
    assert stored.retracted is True
    assert stored.retraction == {
        "recorded_at": event.timestamp.isoformat(),
        "recorded_by": "editor",
        "reason": "duplicate entry",
    }


def test_a_retracted_statement_stays_in_the_record():
    track = open_track()
    demand(track, "d1", summary="kept for history")

    retract(track, "d1")

    assert view_of(track).statements["d1"].fields["summary"] == "kept for history"
    assert isinstance(track.pending_events[1], DemandMade)


def test_retracting_a_retracted_statement_is_already_retracted():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = Unchanged(track)

    with pytest.raises(errors.AlreadyRetracted):
        retract(track, "d1")

    unchanged.check()


def test_retracting_an_unknown_statement_is_statement_not_found():
    track = open_track()
    unchanged = Unchanged(track)

    with pytest.raises(errors.StatementNotFound):
        retract(track, "d404")

    unchanged.check()


def test_a_statement_id_is_matched_exactly():
    track = open_track()
    demand(track, "d1")

    with pytest.raises(errors.StatementNotFound):
        retract(track, "D1")


# -- idempotency ------------------------------------------------------------------------------


def test_an_unused_idempotency_key_has_nothing_to_replay():
    track = open_track()
    demand(track, "d1", key="k-1", digest="sha-1")

    assert track.replay_for("k-2", "sha-1") is None


def test_an_idempotency_key_reused_with_the_same_digest_replays_the_same_ids():
    track = open_track()
    demand(track, "d1", key="k-1", digest="sha-1")

    assert track.replay_for("k-1", "sha-1") == ["d1"]


def test_an_idempotency_key_reused_with_another_digest_is_refused():
    track = open_track()
    demand(track, "d1", key="k-1", digest="sha-1")

    with pytest.raises(errors.IdempotencyKeyReused) as refused:
        track.replay_for("k-1", "sha-2")

    assert isinstance(refused.value, errors.RuleViolation)


def test_a_batch_under_one_key_replays_all_its_ids_in_recording_order():
    track = open_track()
    demand(track, "d2", key="batch", digest="sha-b")
    demand(track, "d1", key="batch", digest="sha-b")
    respond(track, "r1", "d2", "reject", key="batch", digest="sha-b")

    assert track.replay_for("batch", "sha-b") == ["d2", "d1", "r1"]


def test_a_replay_answer_is_a_copy_the_caller_cannot_use_to_change_the_track():
    track = open_track()
    demand(track, "d1", key="k-1", digest="sha-1")

    track.replay_for("k-1", "sha-1").append("forged")

    assert track.replay_for("k-1", "sha-1") == ["d1"]


def test_corrections_and_retractions_remember_their_key_against_the_statement():
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")

    track.correct_statement(
        "d1", {"summary": "x"}, "typo", recorded_by=RECORDER, key="fix", digest="sha-fix"
    )
    track.retract_statement("d2", "dup", recorded_by=RECORDER, key="drop", digest="sha-drop")

    assert track.replay_for("fix", "sha-fix") == ["d1"]
    assert track.replay_for("drop", "sha-drop") == ["d2"]
    with pytest.raises(errors.IdempotencyKeyReused):
        track.replay_for("drop", "sha-fix")


def test_a_key_used_to_add_a_party_is_remembered_with_no_statement_ids():
    track = open_track(parties=[RUSSIA, USA])

    track.add_party(NATO, recorded_by=RECORDER, key="add-nato", digest="sha-n")

    assert track.replay_for("add-nato", "sha-n") == []
    with pytest.raises(errors.IdempotencyKeyReused):
        track.replay_for("add-nato", "sha-other")


def test_a_refused_command_does_not_use_up_its_idempotency_key():
    track = open_track()

    with pytest.raises(errors.UnknownParty):
        record(track, "d1", "demand", "Ukraine", key="k-1", digest="sha-1")

    assert track.replay_for("k-1", "sha-1") is None
    assert track.replay_for("k-1", "sha-2") is None
