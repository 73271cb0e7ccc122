"""Counts and the whole current-state document of a track, over the `TrackView` folded
from its events."""

from __future__ import annotations

from domain.views import counts_by_type, status_of, track_state
from tests.unit.builders import (
    NATO,
    PARTIES,
    RECORDER,
    USA,
    demand,
    open_track,
    record,
    respond,
    retract,
    sanction_warning,
    schedule_meeting,
    view_of,
)

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
