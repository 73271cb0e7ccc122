"""What readers see of a track (`domain.views`): API.md's rules for demand status, active
sanction warnings, the next meeting, counts and boards.

Given a track with some recorded statements, when a view is computed, then it follows the
rule exactly -- in particular, instants are compared as instants (a date is the start of
that day, UTC; offsets are honoured), never as strings.
"""

from __future__ import annotations

import pytest

from domain.views import (
    active_sanction_warnings,
    affected_statements,
    counts_by_type,
    is_withdrawn,
    next_meeting,
    open_demands,
    responses_of,
    statement_view,
    status_of,
    track_state,
)
from tests.unit.builders import (
    NATO,
    PARTIES,
    RECORDER,
    RUSSIA,
    USA,
    correct,
    demand,
    hold_meeting,
    open_track,
    proposal,
    record,
    respond,
    retract,
    sanction_warning,
    schedule_meeting,
    view_of,
    withdraw,
)

# -- demand status: the most recent response by another party ---------------------------------


def test_a_demand_nobody_answered_is_open():
    track = open_track()
    demand(track, "d1")

    assert status_of(view_of(track), "d1") == "open"


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("accept", "accepted"),
        ("reject", "rejected"),
        ("partial", "partially_accepted"),
        ("counter", "countered"),
        ("noncommittal", "open"),
    ],
)
def test_a_demands_status_follows_the_position_of_its_response(position, status):
    track = open_track()
    demand(track, "d1")

    respond(track, "r1", "d1", position)

    assert status_of(view_of(track), "d1") == status


@pytest.mark.parametrize(
    ("position", "status"),
    [
        ("accept", "accepted"),
        ("reject", "rejected"),
        ("partial", "partially_accepted"),
        ("counter", "countered"),
        ("noncommittal", "open"),
    ],
)
def test_a_proposal_follows_the_same_status_rule_as_a_demand(position, status):
    track = open_track()
    proposal(track, "p1", USA)

    respond(track, "r1", "p1", position, party=RUSSIA)

    assert status_of(view_of(track), "p1") == status


def test_the_latest_response_by_occurrence_decides_not_the_latest_recorded():
    track = open_track()
    demand(track, "d1")
    respond(track, "r-late", "d1", "reject", occurred_at="2022-01-12")
    # recorded afterwards, but said earlier
    respond(track, "r-early", "d1", "accept", occurred_at="2022-01-10")

    assert status_of(view_of(track), "d1") == "rejected"


def test_responses_that_occurred_at_the_same_instant_are_ordered_by_recording():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10T10:00:00+00:00")
    respond(track, "r2", "d1", "counter", occurred_at="2022-01-10T13:00:00+03:00")

    assert status_of(view_of(track), "d1") == "countered"


def test_responses_on_the_same_date_are_ordered_by_recording():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "partial", party=NATO, occurred_at="2022-01-10")

    assert status_of(view_of(track), "d1") == "partially_accepted"


def test_date_times_with_offsets_are_compared_as_instants_not_as_text():
    track = open_track()
    demand(track, "d1")
    # 12:00 UTC
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-10T12:00:00+00:00")
    # 14:00 in Moscow is 11:00 UTC: earlier, though it sorts later as text
    respond(track, "r2", "d1", "reject", occurred_at="2022-01-10T14:00:00+03:00")

    assert status_of(view_of(track), "d1") == "accepted"


def test_a_date_counts_as_the_start_of_that_day_utc():
    track = open_track()
    demand(track, "d1")
    respond(track, "r-date", "d1", "reject", occurred_at="2022-01-10")
    # 01:00 at +03:00 on the 10th is 22:00 UTC on the 9th: before the 10th began in UTC
    respond(track, "r-time", "d1", "accept", occurred_at="2022-01-10T01:00:00+03:00")

    assert status_of(view_of(track), "d1") == "rejected"


def test_a_date_time_later_on_the_same_day_is_after_the_bare_date():
    track = open_track()
    demand(track, "d1")
    respond(track, "r-time", "d1", "accept", occurred_at="2022-01-10T00:00:01Z")
    respond(track, "r-date", "d1", "reject", occurred_at="2022-01-10")

    assert status_of(view_of(track), "d1") == "accepted"


def test_the_authors_own_responses_do_not_count():
    track = open_track()
    demand(track, "d1", party=RUSSIA)

    respond(track, "r1", "d1", "accept", party=RUSSIA)

    assert status_of(view_of(track), "d1") == "open"


def test_the_authors_later_response_does_not_override_another_partys_answer():
    track = open_track()
    demand(track, "d1", party=RUSSIA)
    respond(track, "r1", "d1", "reject", party=USA, occurred_at="2022-01-10")

    respond(track, "r2", "d1", "accept", party=RUSSIA, occurred_at="2022-01-12")

    assert status_of(view_of(track), "d1") == "rejected"


def test_any_party_other_than_the_author_can_set_the_status():
    track = open_track()
    demand(track, "d1", party=RUSSIA)
    respond(track, "r1", "d1", "reject", party=USA, occurred_at="2022-01-10")

    respond(track, "r2", "d1", "partial", party=NATO, occurred_at="2022-01-12")

    assert status_of(view_of(track), "d1") == "partially_accepted"


def test_a_noncommittal_latest_response_makes_the_demand_open_again():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")

    respond(track, "r2", "d1", "noncommittal", occurred_at="2022-01-12")

    assert status_of(view_of(track), "d1") == "open"


def test_retracting_the_latest_response_falls_back_to_the_previous_one():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "accept", occurred_at="2022-01-12")

    retract(track, "r2")

    assert status_of(view_of(track), "d1") == "rejected"


def test_retracting_the_only_response_makes_the_demand_open():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept")

    retract(track, "r1")

    assert status_of(view_of(track), "d1") == "open"


def test_correcting_a_responses_occurrence_reorders_the_responses():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "accept", occurred_at="2022-01-12")
    assert status_of(view_of(track), "d1") == "accepted"

    correct(track, "r1", occurred_at="2022-01-13T09:00:00+01:00")

    assert status_of(view_of(track), "d1") == "rejected"


def test_a_concession_naming_a_demand_does_not_change_its_status():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")

    record(track, "c1", "concession", USA, "2022-01-12", responds_to="d1")

    assert status_of(view_of(track), "d1") == "rejected"


def test_a_response_to_a_response_does_not_change_the_demands_status():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")

    respond(track, "r2", "r1", "accept", party=RUSSIA, occurred_at="2022-01-12")

    assert status_of(view_of(track), "d1") == "rejected"


def test_a_withdrawal_by_the_author_makes_a_demand_withdrawn_whatever_the_responses():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-10")

    withdraw(track, "w1", "d1", occurred_at="2022-01-05")

    assert status_of(view_of(track), "d1") == "withdrawn"
    assert is_withdrawn(view_of(track), "d1")


def test_a_response_after_the_withdrawal_does_not_bring_the_demand_back():
    track = open_track()
    demand(track, "d1")
    withdraw(track, "w1", "d1", occurred_at="2022-01-05")

    respond(track, "r1", "d1", "counter", occurred_at="2022-01-20")

    assert status_of(view_of(track), "d1") == "withdrawn"


def test_retracting_the_withdrawal_restores_the_status_from_the_responses():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "counter")
    withdraw(track, "w1", "d1")

    retract(track, "w1")

    assert status_of(view_of(track), "d1") == "countered"
    assert not is_withdrawn(view_of(track), "d1")


def test_a_withdrawn_proposal_is_withdrawn():
    track = open_track()
    proposal(track, "p1", USA)
    respond(track, "r1", "p1", "reject", party=RUSSIA)

    withdraw(track, "w1", "p1", party=USA)

    assert status_of(view_of(track), "p1") == "withdrawn"


def test_the_status_of_one_demand_ignores_responses_to_another():
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")

    respond(track, "r1", "d2", "accept")

    assert status_of(view_of(track), "d1") == "open"
    assert status_of(view_of(track), "d2") == "accepted"


# -- statement view ---------------------------------------------------------------------------


def test_a_statement_view_has_its_fields_and_its_place_in_the_record():
    track = open_track()
    demand(track, "d1", summary="No NATO enlargement", red_line=True)

    view = statement_view(view_of(track), "d1")

    assert view["id"] == "d1"
    assert view["track_id"] == str(track.id)
    assert view["type"] == "demand"
    assert view["party"] == RUSSIA
    assert view["summary"] == "No NATO enlargement"
    assert view["red_line"] is True
    assert view["cameo_code"] == "100"
    assert view["version"] == 2
    assert view["recorded_by"] == RECORDER
    assert view["recorded_at"] == track.pending_events[1].timestamp.isoformat()
    assert view["retracted"] is False
    assert view["corrections"] == []


def test_a_demand_view_lists_its_live_responses_in_occurrence_order_with_its_status():
    track = open_track()
    demand(track, "d1")
    respond(track, "r3", "d1", "reject", occurred_at="2022-01-14")
    respond(track, "r1", "d1", "counter", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "accept", party=NATO, occurred_at="2022-01-12")
    retract(track, "r2")
    respond(track, "own", "d1", "accept", party=RUSSIA, occurred_at="2022-01-11")
    record(track, "c1", "concession", USA, "2022-01-13", responds_to="d1")

    view = statement_view(view_of(track), "d1")

    assert view["status"] == "rejected"
    assert [r["id"] for r in view["responses"]] == ["r1", "own", "r3"]
    assert [r["id"] for r in responses_of(view_of(track), "d1")] == ["r1", "own", "r3"]
    assert view["responses"][0] == statement_view(view_of(track), "r1")


def test_only_demands_and_proposals_have_a_response_status():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept")
    record(track, "s1", "statement", USA)

    assert "status" not in statement_view(view_of(track), "r1")
    assert "responses" not in statement_view(view_of(track), "s1")
    assert statement_view(view_of(track), "d1")["status"] == "accepted"


def test_a_sanction_warning_view_is_active_until_withdrawn():
    track = open_track()
    sanction_warning(track, "sw1", USA)
    assert statement_view(view_of(track), "sw1")["status"] == "active"

    withdraw(track, "w1", "sw1", party=USA)

    assert statement_view(view_of(track), "sw1")["status"] != "active"


def test_a_retracted_sanction_warning_view_is_not_active():
    track = open_track()
    sanction_warning(track, "sw1", USA)

    retract(track, "sw1")

    view = statement_view(view_of(track), "sw1")
    assert view["retracted"] is True
    assert view["status"] != "active"


def test_a_corrected_statement_view_shows_the_corrected_fields_and_the_correction():
    track = open_track()
    demand(track, "d1", summary="first")

    correct(track, "d1", reason="typo", summary="second")

    view = statement_view(view_of(track), "d1")
    assert view["summary"] == "second"
    assert [c["reason"] for c in view["corrections"]] == ["typo"]
    assert view["corrections"][0]["changes"] == {"summary": "second"}


def test_a_retracted_statement_can_still_be_viewed_as_retracted():
    track = open_track()
    demand(track, "d1")

    retract(track, "d1")

    view = statement_view(view_of(track), "d1")
    assert view["retracted"] is True
    assert view["summary"] == "a demand by Russia"


def test_a_response_affects_itself_and_the_statement_it_answers():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept")
    withdraw(track, "w1", "d1")
    record(track, "s1", "statement", USA)

    assert affected_statements(view_of(track), "r1") == ["r1", "d1"]
    assert affected_statements(view_of(track), "w1") == ["w1", "d1"]
    assert affected_statements(view_of(track), "s1") == ["s1"]


# -- open demands board -----------------------------------------------------------------------


def test_the_open_demands_board_lists_open_demands_oldest_first_with_their_red_line():
    track = open_track()
    demand(track, "d2", RUSSIA, "2021-12-17T12:00:00+03:00", summary="no missiles")
    demand(track, "d1", USA, "2021-12-17", summary="de-escalate", red_line=True)

    board = open_demands(view_of(track))

    assert board == [
        {
            "id": "d1",
            "party": USA,
            "summary": "de-escalate",
            "occurred_at": "2021-12-17",
            "red_line": True,
        },
        {
            "id": "d2",
            "party": RUSSIA,
            "summary": "no missiles",
            "occurred_at": "2021-12-17T12:00:00+03:00",
            "red_line": False,
        },
    ]


def test_a_noncommittally_answered_demand_stays_on_the_open_demands_board():
    track = open_track()
    demand(track, "d1")

    respond(track, "r1", "d1", "noncommittal")

    assert [d["id"] for d in open_demands(view_of(track))] == ["d1"]


@pytest.mark.parametrize("position", ["accept", "reject", "partial", "counter"])
def test_a_demand_answered_with_a_position_leaves_the_open_demands_board(position):
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")

    respond(track, "r1", "d1", position)

    assert [d["id"] for d in open_demands(view_of(track))] == ["d2"]


def test_withdrawn_and_retracted_demands_leave_the_open_demands_board():
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")
    demand(track, "d3")

    withdraw(track, "w1", "d1")
    retract(track, "d2")

    assert [d["id"] for d in open_demands(view_of(track))] == ["d3"]


def test_proposals_are_not_on_the_open_demands_board():
    track = open_track()
    proposal(track, "p1")

    assert open_demands(view_of(track)) == []


def test_a_demand_whose_answer_is_retracted_returns_to_the_open_demands_board():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "reject")

    retract(track, "r1")

    assert [d["id"] for d in open_demands(view_of(track))] == ["d1"]


# -- active sanction warnings -----------------------------------------------------------------


def test_a_sanction_warning_is_active_with_its_target():
    track = open_track()
    sanction_warning(
        track,
        "sw1",
        USA,
        "2021-12-07",
        target=RUSSIA,
        summary="massive costs",
        measures=["export controls"],
    )

    assert active_sanction_warnings(view_of(track)) == [
        {
            "id": "sw1",
            "party": USA,
            "target": RUSSIA,
            "summary": "massive costs",
            "occurred_at": "2021-12-07",
        },
    ]


def test_active_sanction_warnings_are_listed_by_occurrence():
    track = open_track()
    sanction_warning(track, "sw2", NATO, "2021-12-16T10:00:00+01:00")
    sanction_warning(track, "sw1", USA, "2021-12-07")
    sanction_warning(track, "sw3", USA, "2021-12-16T10:30:00+01:00")

    assert [w["id"] for w in active_sanction_warnings(view_of(track))] == ["sw1", "sw2", "sw3"]


def test_a_withdrawn_sanction_warning_is_no_longer_active():
    track = open_track()
    sanction_warning(track, "sw1", USA)
    sanction_warning(track, "sw2", USA)

    withdraw(track, "w1", "sw1", party=USA)

    assert [w["id"] for w in active_sanction_warnings(view_of(track))] == ["sw2"]


def test_a_retracted_sanction_warning_is_no_longer_active():
    track = open_track()
    sanction_warning(track, "sw1", USA)

    retract(track, "sw1")

    assert active_sanction_warnings(view_of(track)) == []


def test_retracting_the_withdrawal_of_a_sanction_warning_makes_it_active_again():
    track = open_track()
    sanction_warning(track, "sw1", USA)
    withdraw(track, "w1", "sw1", party=USA)

    retract(track, "w1")

    assert [w["id"] for w in active_sanction_warnings(view_of(track))] == ["sw1"]
    assert statement_view(view_of(track), "sw1")["status"] == "active"


def test_responses_do_not_deactivate_a_sanction_warning():
    track = open_track()
    sanction_warning(track, "sw1", USA)

    respond(track, "r1", "sw1", "reject", party=RUSSIA)

    assert [w["id"] for w in active_sanction_warnings(view_of(track))] == ["sw1"]


def test_a_plain_warning_is_not_a_sanction_warning():
    track = open_track()

    record(track, "wr1", "warning", RUSSIA, category="military")

    assert active_sanction_warnings(view_of(track)) == []


# -- next meeting -----------------------------------------------------------------------------


def test_there_is_no_next_meeting_when_none_was_scheduled():
    track = open_track()
    hold_meeting(track, "h1", "2022-01-10")

    assert next_meeting(view_of(track)) is None


def test_with_no_meeting_held_the_next_meeting_is_the_earliest_scheduled():
    track = open_track()
    schedule_meeting(track, "m2", "2022-01-12", location="Brussels")
    schedule_meeting(track, "m1", "2022-01-10", location="Geneva")
    schedule_meeting(track, "m3", "2022-01-13", location="Vienna")

    assert next_meeting(view_of(track)) == {
        "id": "m1",
        "meeting_at": "2022-01-10",
        "location": "Geneva",
    }


def test_a_meeting_moved_by_a_correction_is_ordered_by_its_new_date():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10", location="Geneva")
    schedule_meeting(track, "m2", "2022-01-12", location="Brussels")
    correct(track, "m1", reason="postponed", meeting_at="2022-01-20")

    assert next_meeting(view_of(track)) == {
        "id": "m2",
        "meeting_at": "2022-01-12",
        "location": "Brussels",
    }


def test_with_no_meeting_held_a_meeting_scheduled_in_the_past_still_counts():
    track = open_track()
    schedule_meeting(track, "m1", "2000-01-01")

    assert next_meeting(view_of(track))["id"] == "m1"


def test_the_next_meeting_is_the_earliest_scheduled_after_the_newest_meeting_held():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10", location="Geneva")
    schedule_meeting(track, "m2", "2022-01-12", location="Brussels")
    schedule_meeting(track, "m3", "2022-01-13", location="Vienna")

    hold_meeting(track, "h1", "2022-01-10T09:00:00+01:00")

    assert next_meeting(view_of(track)) == {
        "id": "m2",
        "meeting_at": "2022-01-12",
        "location": "Brussels",
    }


def test_the_newest_meeting_held_is_the_latest_by_occurrence_not_by_recording():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")
    schedule_meeting(track, "m3", "2022-01-13")
    hold_meeting(track, "h2", "2022-01-12T15:00:00+01:00")
    # recorded later, but held earlier
    hold_meeting(track, "h1", "2022-01-10T15:00:00+01:00")

    assert next_meeting(view_of(track))["id"] == "m3"


def test_a_meeting_scheduled_at_the_instant_of_the_newest_meeting_held_is_not_next():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10T10:00:00+01:00")
    schedule_meeting(track, "m2", "2022-01-12T10:00:00+01:00")

    hold_meeting(track, "h1", "2022-01-10T09:00:00Z")

    assert next_meeting(view_of(track))["id"] == "m2"


def test_no_next_meeting_once_every_scheduled_meeting_was_held():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")

    hold_meeting(track, "h2", "2022-01-12")

    assert next_meeting(view_of(track)) is None


def test_a_scheduled_date_compares_as_the_start_of_that_day_utc():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")
    # 23:30 at -01:00 on the 9th is 00:30 UTC on the 10th: after the 10th began
    hold_meeting(track, "h1", "2022-01-09T23:30:00-01:00")

    assert next_meeting(view_of(track))["id"] == "m2"


def test_a_scheduled_time_later_on_the_day_a_meeting_was_held_on_is_next():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10T14:00:00+00:00")
    schedule_meeting(track, "m2", "2022-01-12")

    hold_meeting(track, "h1", "2022-01-10")

    assert next_meeting(view_of(track))["id"] == "m1"


def test_the_earliest_scheduled_meeting_is_found_by_instant_not_by_text():
    track = open_track()
    schedule_meeting(track, "m-date", "2022-01-12")
    # 23:00 at -02:00 on the 11th is 01:00 UTC on the 12th: after the 12th began
    schedule_meeting(track, "m-time", "2022-01-11T23:00:00-02:00")

    assert next_meeting(view_of(track))["id"] == "m-date"


def test_meetings_scheduled_for_the_same_instant_are_ordered_by_recording():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-12T10:00:00+01:00", location="Geneva")
    schedule_meeting(track, "m2", "2022-01-12T09:00:00Z", location="Brussels")

    assert next_meeting(view_of(track))["id"] == "m1"


def test_a_retracted_scheduled_meeting_is_never_next():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")

    retract(track, "m1")

    assert next_meeting(view_of(track))["id"] == "m2"


def test_a_retracted_meeting_held_does_not_move_the_next_meeting():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")
    hold_meeting(track, "h1", "2022-01-11")

    retract(track, "h1")

    assert next_meeting(view_of(track))["id"] == "m1"


def test_correcting_when_a_meeting_was_held_moves_the_next_meeting():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10")
    schedule_meeting(track, "m2", "2022-01-12")
    hold_meeting(track, "h1", "2022-01-11")
    assert next_meeting(view_of(track))["id"] == "m2"

    correct(track, "h1", occurred_at="2022-01-09")

    assert next_meeting(view_of(track))["id"] == "m1"


def test_the_next_meeting_shows_meeting_at_as_recorded():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-12T10:00:00+01:00", location="Brussels")

    assert next_meeting(view_of(track)) == {
        "id": "m1",
        "meeting_at": "2022-01-12T10:00:00+01:00",
        "location": "Brussels",
    }


# -- counts and the whole state ---------------------------------------------------------------


def test_counts_by_type_count_every_live_statement_by_type():
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")
    respond(track, "r1", "d1", "reject")
    sanction_warning(track, "sw1", USA)
    record(track, "s1", "statement", NATO)

    assert counts_by_type(view_of(track)) == {
        "demand": 2,
        "response": 1,
        "sanction_warning": 1,
        "statement": 1,
    }


def test_retracted_statements_leave_the_counts_and_the_statement_count():
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")
    record(track, "s1", "statement", NATO)

    retract(track, "d2")
    retract(track, "s1")

    state = track_state(view_of(track), position=None)
    assert state["counts_by_type"] == {"demand": 1}
    assert state["statement_count"] == 1


def test_a_type_with_only_retracted_statements_is_absent_from_the_counts():
    track = open_track()
    record(track, "s1", "statement", NATO)

    retract(track, "s1")

    assert counts_by_type(view_of(track)) == {}


def test_retracted_statements_leave_every_board():
    track = open_track()
    demand(track, "d1")
    sanction_warning(track, "sw1", USA)
    schedule_meeting(track, "m1", "2022-01-10")

    for statement_id in ("d1", "sw1", "m1"):
        retract(track, statement_id)

    state = track_state(view_of(track), position=None)
    assert state["open_demands"] == []
    assert state["active_sanction_warnings"] == []
    assert state["next_meeting"] is None
    assert state["statement_count"] == 0
    assert state["counts_by_type"] == {}


def test_a_fresh_track_state_is_empty_but_complete():
    track = open_track()

    state = track_state(view_of(track), position=7)

    assert state == {
        "id": str(track.id),
        "slug": "strategic-stability-dialogue",
        "kind": "bilateral",
        "title": "US-Russia Strategic Stability Dialogue",
        "venue": "Geneva",
        "parties": PARTIES,
        "status": "active",
        "version": 1,
        "position": 7,
        "opened_at": "2021-12-01",
        "last_activity_at": track.pending_events[0].timestamp.isoformat(),
        "statement_count": 0,
        "counts_by_type": {},
        "open_demands": [],
        "active_sanction_warnings": [],
        "next_meeting": None,
    }


def test_the_track_state_gathers_the_boards_counts_version_and_status():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2021-12-18")
    respond(track, "r1", "d2", "reject", occurred_at="2022-01-10")
    sanction_warning(track, "sw1", USA)
    schedule_meeting(track, "m1", "2022-01-12", location="Brussels")
    track.add_party("OSCE", recorded_by=RECORDER)
    track.change_status("suspended", reason="pause", occurred_at=None, recorded_by=RECORDER)

    state = track_state(view_of(track), position=42)

    assert state["status"] == "suspended"
    assert state["version"] == 8
    assert state["position"] == 42
    assert state["parties"] == [*PARTIES, "OSCE"]
    assert state["last_activity_at"] == track.pending_events[-1].timestamp.isoformat()
    assert state["statement_count"] == 5
    assert state["counts_by_type"] == {
        "demand": 2,
        "response": 1,
        "sanction_warning": 1,
        "meeting_scheduled": 1,
    }
    assert [d["id"] for d in state["open_demands"]] == ["d1"]
    assert [w["id"] for w in state["active_sanction_warnings"]] == ["sw1"]
    assert state["next_meeting"] == {"id": "m1", "meeting_at": "2022-01-12", "location": "Brussels"}


def test_the_track_state_is_the_same_whichever_order_independent_facts_were_recorded_in():
    first, second = open_track(slug="a"), open_track(slug="b")
    demand(first, "d1", occurred_at="2021-12-17")
    respond(first, "r1", "d1", "reject", occurred_at="2022-01-12")
    respond(first, "r2", "d1", "accept", occurred_at="2022-01-10")
    demand(second, "d1", occurred_at="2021-12-17")
    respond(second, "r2", "d1", "accept", occurred_at="2022-01-10")
    respond(second, "r1", "d1", "reject", occurred_at="2022-01-12")

    assert status_of(view_of(first), "d1") == status_of(view_of(second), "d1") == "rejected"
