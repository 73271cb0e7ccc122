"""The `Track` aggregate's commands: which events they record and which rules they enforce.

Given a track (opened, with some statements recorded), when a command, then the pending
events and the resulting state -- or the error class from `domain.errors`, with nothing
recorded.
"""

from __future__ import annotations

import pytest

from domain import errors
from domain.events import (
    AgreementReached,
    ConcessionMade,
    DemandMade,
    MeetingHeld,
    MeetingScheduled,
    PartyAdded,
    ProposalTabled,
    ResponseGiven,
    SanctionWarningIssued,
    StatementCorrected,
    StatementMade,
    StatementRecorded,
    StatementRetracted,
    TrackOpened,
    TrackStatusChanged,
    WarningIssued,
    Withdrawn,
)
from domain.track import Track
from domain.values import track_id_for
from tests.unit.builders import (
    NATO,
    PARTIES,
    RECORDER,
    REQUIRED_EXTRAS,
    RUSSIA,
    USA,
    correct,
    demand,
    open_track,
    proposal,
    record,
    respond,
    retract,
    sanction_warning,
    statement,
    view_of,
    withdraw,
)


def last_event(track: Track):
    return track.pending_events[-1]


def a_track_with_one_of_each_referable_type() -> Track:
    """Given: a demand and a proposal to answer, and a sanction warning, so that responses,
    concessions and withdrawals have something to name."""
    track = open_track()
    demand(track, "d1", RUSSIA)
    proposal(track, "p1", USA)
    sanction_warning(track, "sw1", USA)
    return track


def _record_any(track: Track, statement_id: str, kind: str) -> None:
    """Record a well-formed statement of `kind`, with references that resolve."""
    party, extras = RUSSIA, dict(REQUIRED_EXTRAS[kind])
    if kind == "response":
        party, extras["responds_to"] = USA, "d1"
    if kind == "withdrawal":
        extras["withdraws"] = "d1"
    record(track, statement_id, kind, party, **extras)


class _Unchanged:
    """Snapshot of what a refused command must leave alone."""

    def __init__(self, track: Track) -> None:
        self.track = track
        self.version = track.version
        self.pending = len(track.pending_events)
        self.statement_ids = list(track.index)
        self.head_hash = track.head_hash

    def check(self) -> None:
        assert self.track.version == self.version
        assert len(self.track.pending_events) == self.pending
        assert list(self.track.index) == self.statement_ids
        assert self.track.head_hash == self.head_hash


# -- opening a track -------------------------------------------------------------------------


def test_opening_a_track_records_track_opened_as_the_first_event_at_version_1():
    track = open_track()

    (event,) = track.pending_events
    assert isinstance(event, TrackOpened)
    assert event.originator_version == 1
    assert track.version == 1
    assert event.slug == "strategic-stability-dialogue"
    assert event.kind == "bilateral"
    assert event.parties == PARTIES
    assert event.recorded_by == RECORDER
    assert event.idempotency_key is None


def test_an_opened_track_is_active_with_its_parties_and_no_statements():
    track = open_track()

    assert track.status == "active"
    assert track.parties == PARTIES
    assert track.index == {}
    assert view_of(track).statements == {}
    assert track.opened_at == "2021-12-01"
    assert track.venue == "Geneva"


def test_a_track_id_is_derived_from_its_slug_so_equal_slugs_give_equal_ids():
    first = open_track(slug="nato-russia-council")
    second = open_track(slug="nato-russia-council")
    other = open_track(slug="osce-permanent-council")

    assert first.id == second.id == track_id_for("nato-russia-council")
    assert other.id != first.id


def test_opening_a_track_with_a_party_named_twice_is_a_rule_violation():
    with pytest.raises(errors.RuleViolation):
        open_track(parties=[RUSSIA, USA, RUSSIA])


# -- every statement type records its own event ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "event_class"),
    [
        ("demand", DemandMade),
        ("proposal", ProposalTabled),
        ("response", ResponseGiven),
        ("concession", ConcessionMade),
        ("sanction_warning", SanctionWarningIssued),
        ("warning", WarningIssued),
        ("meeting_scheduled", MeetingScheduled),
        ("meeting_held", MeetingHeld),
        ("agreement", AgreementReached),
        ("withdrawal", Withdrawn),
        ("statement", StatementMade),
    ],
)
def test_each_statement_type_records_its_past_tense_event(kind, event_class):
    track = a_track_with_one_of_each_referable_type()

    _record_any(track, "s1", kind)

    event = last_event(track)
    assert type(event) is event_class
    assert isinstance(event, StatementRecorded)
    assert event.statement_id == "s1"
    assert event.statement["type"] == kind
    assert event.recorded_by == RECORDER
    assert event.originator_version == 5
    assert track.version == 5


def test_a_recorded_statement_carries_all_its_api_fields_in_the_event_and_the_state():
    track = open_track()
    body = statement(
        "demand",
        RUSSIA,
        "2021-12-17T10:00:00+03:00",
        summary="No NATO enlargement",
        quote="We need legally binding guarantees",
        addressee=USA,
        source={"url": "https://mid.ru/x", "publisher": "MFA", "title": "Draft treaty"},
        topics=["nato-enlargement", "security-guarantees"],
        red_line=True,
    )

    track.record_statement("d1", body, recorded_by=RECORDER)

    event = last_event(track)
    assert event.statement == {**body, "cameo_code": "100"}
    stored = view_of(track).statements["d1"]
    assert stored.fields == {**body, "cameo_code": "100"}
    assert stored.id == "d1"
    assert stored.version == 2
    assert stored.recorded_by == RECORDER
    assert stored.recorded_at == event.timestamp.isoformat()
    assert stored.retracted is False
    assert stored.corrections == ()


def test_recording_a_statement_leaves_the_callers_dict_untouched():
    track = open_track()
    body = statement("demand", RUSSIA)
    before = dict(body)

    track.record_statement("d1", body, recorded_by=RECORDER)

    assert body == before
    assert "cameo_code" not in body


def test_a_statement_event_carries_its_idempotency_key_and_request_digest():
    track = open_track()

    record(track, "d1", "demand", key="k-1", digest="sha-1")

    event = last_event(track)
    assert event.idempotency_key == "k-1"
    assert event.request_digest == "sha-1"


def test_recording_moves_last_activity_to_the_events_timestamp():
    track = open_track()

    demand(track, "d1")

    assert view_of(track).last_activity_at == last_event(track).timestamp.isoformat()


# -- default cameo codes ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extras", "cameo"),
    [
        ("demand", {}, "100"),
        ("demand", {"red_line": True}, "100"),
        ("proposal", {}, "030"),
        ("response", {"position": "accept"}, "080"),
        ("response", {"position": "reject"}, "120"),
        ("response", {"position": "partial"}, "040"),
        ("response", {"position": "counter"}, "040"),
        ("response", {"position": "noncommittal"}, "040"),
        ("concession", {}, "080"),
        ("concession", {"responds_to": "d1"}, "080"),
        ("sanction_warning", {"target": "Russia", "measures": ["export controls"]}, "1312"),
        ("warning", {"category": "military"}, "138"),
        ("warning", {"category": "relations"}, "1313"),
        ("warning", {"category": "other"}, "130"),
        ("meeting_scheduled", {"meeting_at": "2022-01-10", "location": "Geneva"}, "036"),
        ("meeting_held", {}, "046"),
        ("meeting_held", {"location": "Geneva"}, "046"),
        ("agreement", {}, "057"),
        ("withdrawal", {"withdraws": "d1"}, "0832"),
        ("statement", {}, "010"),
    ],
)
def test_a_statement_without_a_cameo_code_gets_its_types_default(kind, extras, cameo):
    track = a_track_with_one_of_each_referable_type()
    party = RUSSIA
    if kind == "response":
        party, extras = USA, {**extras, "responds_to": "d1"}

    record(track, "s1", kind, party, **extras)

    assert last_event(track).statement["cameo_code"] == cameo
    assert view_of(track).statements["s1"].fields["cameo_code"] == cameo


@pytest.mark.parametrize("kind", list(REQUIRED_EXTRAS))
def test_an_explicit_cameo_code_is_kept_whatever_the_type(kind):
    track = a_track_with_one_of_each_referable_type()
    party, extras = RUSSIA, dict(REQUIRED_EXTRAS[kind])
    if kind == "response":
        party, extras["responds_to"], extras["position"] = USA, "d1", "accept"
    if kind == "withdrawal":
        extras["withdraws"] = "d1"

    record(track, "s1", kind, party, cameo_code="0214", **extras)

    assert last_event(track).statement["cameo_code"] == "0214"
    assert view_of(track).statements["s1"].fields["cameo_code"] == "0214"


# -- parties ---------------------------------------------------------------------------------


def test_a_statement_by_a_party_not_on_the_track_is_refused_as_unknown_party():
    track = open_track(parties=[RUSSIA, USA])
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnknownParty) as refused:
        demand(track, "d1", party="Ukraine")

    assert refused.value.field == "party"
    assert isinstance(refused.value, errors.RuleViolation)
    unchanged.check()


def test_a_party_is_matched_exactly_not_by_case():
    track = open_track(parties=[RUSSIA, USA])

    with pytest.raises(errors.UnknownParty):
        demand(track, "d1", party="russia")


def test_adding_a_party_records_party_added_and_lets_it_make_statements():
    track = open_track(parties=[RUSSIA, USA])

    track.add_party(NATO, recorded_by=RECORDER)
    demand(track, "d1", party=NATO)

    added = track.pending_events[1]
    assert isinstance(added, PartyAdded)
    assert added.name == NATO
    assert track.parties == [RUSSIA, USA, NATO]
    assert view_of(track).statements["d1"].fields["party"] == NATO


def test_adding_a_party_that_is_already_on_the_track_is_a_rule_violation():
    track = open_track(parties=[RUSSIA, USA])
    unchanged = _Unchanged(track)

    with pytest.raises(errors.RuleViolation) as refused:
        track.add_party(USA, recorded_by=RECORDER)

    assert refused.value.field == "name"
    unchanged.check()


# -- references: responds_to ------------------------------------------------------------------


def test_a_response_to_a_statement_of_the_track_is_recorded_against_it():
    track = open_track()
    demand(track, "d1")

    respond(track, "r1", "d1", "reject")

    assert isinstance(last_event(track), ResponseGiven)
    assert view_of(track).statements["d1"].answers == ["r1"]


def test_a_response_naming_no_statement_of_the_track_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        respond(track, "r1", "no-such-statement", "reject")

    assert refused.value.field == "responds_to"
    unchanged.check()


def test_a_response_to_a_retracted_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        respond(track, "r1", "d1", "accept")

    assert refused.value.field == "responds_to"
    unchanged.check()


def test_a_concession_may_name_nothing_but_if_it_names_a_statement_that_must_resolve():
    track = open_track()
    demand(track, "d1")

    record(track, "c1", "concession", USA)
    record(track, "c2", "concession", USA, responds_to="d1")
    with pytest.raises(errors.UnresolvableReference):
        record(track, "c3", "concession", USA, responds_to="d404")

    assert set(view_of(track).statements) == {"d1", "c1", "c2"}
    assert view_of(track).statements["d1"].answers == ["c2"]


def test_a_statement_of_another_track_cannot_be_answered():
    geneva = open_track(slug="geneva")
    brussels = open_track(slug="brussels")
    demand(geneva, "d1")

    with pytest.raises(errors.UnresolvableReference):
        respond(brussels, "r1", "d1", "reject")


# -- references: withdraws --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "author"), [("demand", RUSSIA), ("proposal", USA), ("sanction_warning", USA)]
)
def test_a_party_can_withdraw_its_own_demand_proposal_or_sanction_warning(kind, author):
    track = open_track()
    record(track, "s1", kind, author, **REQUIRED_EXTRAS[kind])

    withdraw(track, "w1", "s1", party=author)

    event = last_event(track)
    assert isinstance(event, Withdrawn)
    assert event.statement["withdraws"] == "s1"
    assert view_of(track).statements["s1"].withdrawals == ["w1"]


def test_a_withdrawal_of_another_partys_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1", party=RUSSIA)
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "d1", party=USA)

    assert refused.value.field == "withdraws"
    unchanged.check()


@pytest.mark.parametrize(
    "kind",
    [
        "response",
        "concession",
        "warning",
        "meeting_scheduled",
        "meeting_held",
        "agreement",
        "withdrawal",
        "statement",
    ],
)
def test_a_withdrawal_of_a_type_other_than_demand_proposal_or_sanction_warning_is_refused(kind):
    track = a_track_with_one_of_each_referable_type()
    _record_any(track, "target", kind)
    author = view_of(track).statements["target"].fields["party"]
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "target", party=author)

    assert refused.value.field == "withdraws"
    unchanged.check()


def test_a_withdrawal_naming_no_statement_is_an_unresolvable_reference():
    track = open_track()
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference) as refused:
        withdraw(track, "w1", "d404")

    assert refused.value.field == "withdraws"
    unchanged.check()


def test_a_withdrawal_of_a_retracted_statement_is_an_unresolvable_reference():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference):
        withdraw(track, "w1", "d1")

    unchanged.check()


def test_withdrawing_an_already_withdrawn_statement_is_refused():
    track = open_track()
    demand(track, "d1")
    withdraw(track, "w1", "d1")
    unchanged = _Unchanged(track)

    with pytest.raises(errors.UnresolvableReference):
        withdraw(track, "w2", "d1")

    unchanged.check()


def test_once_a_withdrawal_is_retracted_the_statement_can_be_withdrawn_again():
    track = open_track()
    demand(track, "d1")
    withdraw(track, "w1", "d1")
    retract(track, "w1")

    withdraw(track, "w2", "d1")

    assert view_of(track).statements["d1"].withdrawals == ["w1", "w2"]


# -- closed tracks ----------------------------------------------------------------------------


@pytest.fixture(
    params=[["suspended"], ["concluded"], ["suspended", "concluded"]],
    ids=["suspended", "concluded", "suspended-then-concluded"],
)
def closed_track(request) -> Track:
    track = open_track()
    demand(track, "d1")
    for status in request.param:
        track.change_status(status, reason=None, occurred_at=None, recorded_by=RECORDER)
    return track


def test_no_statement_can_be_recorded_on_a_suspended_or_concluded_track(closed_track):
    unchanged = _Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        respond(closed_track, "r1", "d1", "accept")

    unchanged.check()


def test_no_correction_can_be_recorded_on_a_suspended_or_concluded_track(closed_track):
    unchanged = _Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        correct(closed_track, "d1", summary="changed")

    unchanged.check()


def test_no_retraction_can_be_recorded_on_a_suspended_or_concluded_track(closed_track):
    unchanged = _Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        retract(closed_track, "d1")

    unchanged.check()


def test_no_party_can_be_added_to_a_suspended_or_concluded_track(closed_track):
    unchanged = _Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        closed_track.add_party("Ukraine", recorded_by=RECORDER)

    unchanged.check()


def test_a_closed_track_refuses_a_statement_before_checking_its_party():
    track = open_track()
    track.change_status("suspended", reason=None, occurred_at=None, recorded_by=RECORDER)

    with pytest.raises(errors.TrackClosed):
        demand(track, "d1", party="Ukraine")


def test_a_resumed_track_accepts_statements_again():
    track = open_track()
    track.change_status("suspended", reason="talks paused", occurred_at=None, recorded_by=RECORDER)
    track.change_status(
        "active", reason="talks resume", occurred_at="2022-01-09", recorded_by=RECORDER
    )

    demand(track, "d1")

    assert track.status == "active"
    assert "d1" in view_of(track).statements


# -- status transitions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "final"),
    [
        (["suspended"], "suspended"),
        (["concluded"], "concluded"),
        (["suspended", "active"], "active"),
        (["suspended", "concluded"], "concluded"),
        (["suspended", "active", "suspended"], "suspended"),
    ],
)
def test_allowed_status_changes_record_track_status_changed(path, final):
    track = open_track()

    for status in path:
        track.change_status(status, reason="why", occurred_at="2022-01-13", recorded_by=RECORDER)

    changes = track.pending_events[1:]
    assert [type(e) for e in changes] == [TrackStatusChanged] * len(path)
    assert [e.status for e in changes] == path
    assert track.status == final


def test_a_status_change_carries_its_reason_and_occurrence():
    track = open_track()

    track.change_status(
        "suspended", reason="no progress", occurred_at="2022-01-13", recorded_by="editor"
    )

    event = last_event(track)
    assert event.reason == "no progress"
    assert event.occurred_at == "2022-01-13"
    assert event.recorded_by == "editor"


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ([], "active"),
        (["suspended"], "suspended"),
        (["concluded"], "active"),
        (["concluded"], "suspended"),
        (["concluded"], "concluded"),
        (["suspended", "concluded"], "active"),
        ([], "paused"),
    ],
)
def test_a_status_change_that_makes_no_sense_is_an_invalid_transition(path, refused):
    track = open_track()
    for status in path:
        track.change_status(status, reason=None, occurred_at=None, recorded_by=RECORDER)
    unchanged = _Unchanged(track)

    with pytest.raises(errors.InvalidTransition):
        track.change_status(refused, reason=None, occurred_at=None, recorded_by=RECORDER)

    unchanged.check()


def test_a_concluded_track_stays_concluded():
    track = open_track()
    track.change_status("concluded", reason="treaty signed", occurred_at=None, recorded_by=RECORDER)

    for status in ("active", "suspended", "concluded"):
        with pytest.raises(errors.InvalidTransition):
            track.change_status(status, reason=None, occurred_at=None, recorded_by=RECORDER)

    assert track.status == "concluded"


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
    unchanged = _Unchanged(track)

    with pytest.raises(errors.RuleViolation):
        track.correct_statement("d1", {}, "nothing", recorded_by=RECORDER)

    unchanged.check()


def test_correcting_an_unknown_statement_is_statement_not_found():
    track = open_track()
    unchanged = _Unchanged(track)

    with pytest.raises(errors.StatementNotFound):
        correct(track, "d404", summary="x")

    unchanged.check()


def test_correcting_a_retracted_statement_is_already_retracted():
    track = open_track()
    demand(track, "d1")
    retract(track, "d1")
    unchanged = _Unchanged(track)

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
    unchanged = _Unchanged(track)

    with pytest.raises(errors.AlreadyRetracted):
        retract(track, "d1")

    unchanged.check()


def test_retracting_an_unknown_statement_is_statement_not_found():
    track = open_track()
    unchanged = _Unchanged(track)

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
