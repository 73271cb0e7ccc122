"""What readers see of one statement (`domain.views.statement_view`) and the open demands
board, over the `TrackView` folded from the track's events."""

from __future__ import annotations

import pytest

from domain.views import affected_statements, open_demands, responses_of, statement_view
from tests.unit.builders import (
    NATO,
    RECORDER,
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
    view_of,
    withdraw,
)

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
    # Every live statement answering it is listed (v1.1); only responses set the status.
    assert [r["id"] for r in view["responses"]] == ["r1", "own", "c1", "r3"]
    assert [r["id"] for r in responses_of(view_of(track), "d1")] == ["r1", "own", "c1", "r3"]
    assert view["responses"][0] == statement_view(view_of(track), "r1")


def test_only_demands_and_proposals_have_a_response_status():
    track = open_track()
    demand(track, "d1")
    respond(track, "r1", "d1", "accept")
    record(track, "s1", "statement", USA)

    assert "status" not in statement_view(view_of(track), "r1")
    assert "status" not in statement_view(view_of(track), "s1")
    assert "claimed_status" not in statement_view(view_of(track), "s1")
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
