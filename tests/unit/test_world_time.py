"""World time (API.md v1.1, "World date"): a track's view on a date is the ordinary fold of
its events with what the date does not admit passed over, the record being taken as it is
now (later corrections and retractions apply)."""

from __future__ import annotations

from domain.views import track_state
from domain.world_time import last_instant_key, world_state, world_view
from tests.unit.builders import (
    RECORDER,
    RUSSIA,
    USA,
    correct,
    demand,
    hold_meeting,
    open_track,
    respond,
    retract,
    schedule_meeting,
    view_of,
    withdraw,
)


def on(track, date: str) -> dict:
    view = world_view(track.pending_events, date)
    assert view is not None
    return world_state(view, date, position=None)


def open_ids(state: dict) -> list[str]:
    return [d["id"] for d in state["open_demands"]]


def test_the_end_of_a_date_is_the_last_instant_of_its_period():
    assert last_instant_key("2021-12-29") == "2021-12-29T23:59:59.999999Z"
    assert last_instant_key("2021-12") == "2021-12-31T23:59:59.999999Z"
    assert last_instant_key("2021") == "2021-12-31T23:59:59.999999Z"
    assert last_instant_key("2021-12-30T23:30:00+03:00") == "2021-12-30T20:30:00.000000Z"


def test_statements_that_start_after_the_end_of_the_date_are_left_out_but_the_version_is_current():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2021-12-30T23:30:00+03:00")

    before = on(track, "2021-12-29")
    assert open_ids(before) == ["d1"]
    assert before["counts_by_type"] == {"demand": 1}
    assert before["version"] == view_of(track).version == 3
    assert before["on"] == "2021-12-29"
    assert open_ids(on(track, "2021-12")) == ["d1", "d2"]
    assert open_ids(on(track, "2021-12-30T20:29:59Z")) == ["d1"]
    assert open_ids(on(track, "2021-12-30T20:30:00Z")) == ["d1", "d2"]


def test_a_response_or_withdrawal_dated_after_the_date_does_not_count():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")
    withdraw(track, "w1", "d2", occurred_at="2022-01-20")

    assert open_ids(on(track, "2022-01-09")) == ["d1", "d2"]
    assert open_ids(on(track, "2022-01-10")) == ["d2"]
    assert open_ids(on(track, "2022-01")) == []


def test_corrections_and_retractions_recorded_later_apply_to_an_earlier_date():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2021-12-20")
    assert open_ids(on(track, "2021-12-31")) == ["d2"]

    retract(track, "r1")
    correct(track, "d2", occurred_at="2022-01-05")

    state = on(track, "2021-12-31")
    assert open_ids(state) == ["d1"]
    assert state["counts_by_type"] == {"demand": 1}


def test_the_next_meeting_is_the_earliest_scheduled_one_after_the_end_of_the_date():
    track = open_track()
    schedule_meeting(track, "m1", "2022-01-10", occurred_at="2021-12-30")
    schedule_meeting(track, "m2", "2022-01-12", "Brussels", occurred_at="2022-01-04")
    hold_meeting(track, "h1", "2022-01-10")

    assert on(track, "2021-12-29")["next_meeting"] is None
    assert on(track, "2022-01-09")["next_meeting"]["id"] == "m1"
    assert on(track, "2022-01-10")["next_meeting"]["id"] == "m2"
    retract(track, "m2")
    assert on(track, "2022-01-10")["next_meeting"] is None


def test_a_status_change_applies_from_its_date_and_parties_are_current():
    track = open_track()
    track.add_party("OSCE", recorded_by=RECORDER)
    track.change_status(
        "suspended", reason="talks paused", occurred_at="2022-02-01", recorded_by=RECORDER
    )

    assert on(track, "2022-01")["status"] == "active"
    assert on(track, "2022-02-01")["status"] == "suspended"
    assert "OSCE" in on(track, "2021")["parties"]


def test_on_a_date_after_everything_the_state_is_the_current_one():
    track = open_track()
    demand(track, "d1", RUSSIA, occurred_at="2021-12-17")
    respond(track, "r1", "d1", "counter", party=USA, occurred_at="2022-01-26")
    schedule_meeting(track, "m1", "2030-01-10", occurred_at="2022-01-30")

    state = on(track, "2029")
    del state["on"]
    assert state == track_state(view_of(track), None)
