"""The `Track` aggregate's commands, opening and recording: which events they record and
which rules they enforce (parties, cameo codes).

Given a track (opened, with some statements recorded), when a command, then the pending
events and the resulting state -- or the error class from `domain.errors`, with nothing
recorded. (References, closed tracks and status, corrections, retractions and keys:
the other test_track_*.py files.)
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
    StatementMade,
    StatementRecorded,
    TrackOpened,
    WarningIssued,
    Withdrawn,
)
from domain.values import track_id_for
from tests.unit.builders import (
    NATO,
    PARTIES,
    RECORDER,
    REQUIRED_EXTRAS,
    RUSSIA,
    USA,
    Unchanged,
    a_track_with_one_of_each_referable_type,
    demand,
    last_event,
    open_track,
    record,
    record_any,
    statement,
    view_of,
)

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

    record_any(track, "s1", kind)

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
    unchanged = Unchanged(track)

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
    unchanged = Unchanged(track)

    with pytest.raises(errors.RuleViolation) as refused:
        track.add_party(USA, recorded_by=RECORDER)

    assert refused.value.field == "name"
    unchanged.check()
