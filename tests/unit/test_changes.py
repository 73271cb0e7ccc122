"""What changed in world time in (D1, D2] (API.md v1.1, "Changes"): the statements admitted on
D2 and not on D1, each with its effect, folded from hand-built events as the record now
stands (corrections and retractions recorded later apply)."""

from __future__ import annotations

from typing import Any

import pytest

from domain.changes import EFFECT_OF_TYPE, EFFECTS, change_item, track_changes, window_is_inverted
from domain.values import STATEMENT_TYPES
from tests.unit.builders import (
    NATO,
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
    withdraw,
)


def changes(track: Any, from_: str, to: str) -> list[dict[str, Any]]:
    found = track_changes(track.pending_events, from_, to)
    assert found is not None
    return [change_item(found.view, change) for change in found.changes]


def effects(track: Any, from_: str, to: str) -> list[tuple[Any, ...]]:
    """(effect, statement id, then its cause, from and to where it has them) of each change."""
    return [
        (i["effect"], i["statement"]["id"], *(i[k] for k in ("cause", "from", "to") if k in i))
        for i in changes(track, from_, to)
    ]


def test_every_statement_new_in_the_window_gives_the_effect_of_its_type():
    track = open_track()
    demand(track, "old", occurred_at="2021-12-17")
    on = "2021-12-20"
    demand(track, "d", occurred_at=on)
    proposal(track, "p", occurred_at=on)
    record(track, "w", "warning", RUSSIA, on, category="military")
    sanction_warning(track, "sw", occurred_at=on)
    schedule_meeting(track, "ms", "2022-01-10", occurred_at=on)
    hold_meeting(track, "mh", on)
    record(track, "a", "agreement", NATO, on)
    record(track, "c", "concession", USA, on, responds_to="old")
    record(track, "s", "statement", NATO, on)

    assert effects(track, "2021-12-17", "2021-12-20") == [
        ("new_demand", "d"),
        ("new_demand", "p"),
        ("warning_issued", "w"),
        ("warning_issued", "sw"),
        ("meeting_scheduled", "ms"),
        ("meeting_held", "mh"),
        ("agreement", "a"),
        ("other", "c"),
        ("other", "s"),
    ]
    assert set(EFFECT_OF_TYPE) < set(STATEMENT_TYPES) and set(EFFECT_OF_TYPE.values()) < set(
        EFFECTS
    )


def test_a_response_that_changes_a_status_shows_the_demand_with_both_statuses_and_its_cause():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "accept", occurred_at="2022-02-01")

    (item,) = changes(track, "2021-12-31", "2022-01-31")
    assert (item["effect"], item["statement"]["id"], item["cause"]) == (
        "demand_status_changed",
        "d1",
        "r1",
    )
    assert (item["from"], item["to"]) == ("open", "rejected")
    # The statement as it stood on D2: the later acceptance does not count yet.
    assert item["statement"]["status"] == "rejected"
    assert item["occurred_at"] == "2022-01-10"
    assert effects(track, "2022-01", "2022-02") == [
        ("demand_status_changed", "d1", "r2", "rejected", "accepted")
    ]


def test_of_several_responses_in_the_window_the_newest_is_the_cause_and_the_others_are_other():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-10")
    respond(track, "r2", "d1", "reject", occurred_at="2022-01-12")
    respond(track, "r3", "d1", "noncommittal", party=RUSSIA, occurred_at="2022-01-13")

    assert effects(track, "2021", "2022-01") == [
        ("other", "r1"),
        ("demand_status_changed", "d1", "r2", "open", "rejected"),
        ("other", "r3"),  # the author's own reply sets no status
    ]


def test_a_demand_new_in_the_window_counts_as_open_before_its_first_answer():
    track = open_track()
    proposal(track, "p1", USA, occurred_at="2022-01-10")
    respond(track, "r1", "p1", "counter", party=RUSSIA, occurred_at="2022-01-11")

    assert effects(track, "2021", "2022") == [
        ("new_demand", "p1"),
        ("demand_status_changed", "p1", "r1", "open", "countered"),
    ]


def test_a_response_that_leaves_the_status_as_it_was_is_other():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2021-12-20")
    respond(track, "r2", "d1", "reject", occurred_at="2022-01-10")
    demand(track, "d2", occurred_at="2021-12-17")
    respond(track, "r3", "d2", "noncommittal", occurred_at="2022-01-10")

    assert effects(track, "2021", "2022") == [("other", "r2"), ("other", "r3")]


@pytest.mark.parametrize("attribution", ["claimed", "unconfirmed"])
def test_a_claimed_or_unconfirmed_response_or_withdrawal_changes_no_status(attribution: str):
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    sanction_warning(track, "sw1", USA, occurred_at="2021-12-17")
    claim = {"attribution": attribution}
    if attribution == "claimed":
        claim["claimed_by"] = RUSSIA
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-10", **claim)
    claim = {"attribution": attribution, "claimed_by": NATO} if attribution == "claimed" else claim
    withdraw(track, "w1", "sw1", party=USA, occurred_at="2022-01-11", **claim)

    assert effects(track, "2021", "2022") == [("other", "r1"), ("other", "w1")]


def test_withdrawals_change_a_demand_to_withdrawn_and_withdraw_a_warning():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2021-12-20")
    sanction_warning(track, "sw1", USA, occurred_at="2021-12-07")
    record(track, "wr1", "warning", RUSSIA, "2021-12-07", category="military")
    withdraw(track, "w1", "d1", occurred_at="2022-01-20")
    withdraw(track, "w2", "sw1", party=USA, occurred_at="2022-01-21")
    withdraw(track, "w3", "wr1", party=RUSSIA, occurred_at="2022-01-22")

    items = changes(track, "2021", "2022")
    assert [(i["effect"], i["statement"]["id"], i.get("cause")) for i in items] == [
        ("demand_status_changed", "d1", "w1"),
        ("warning_withdrawn", "sw1", "w2"),
        ("warning_withdrawn", "wr1", "w3"),
    ]
    assert (items[0]["from"], items[0]["to"]) == ("rejected", "withdrawn")
    assert items[1]["statement"]["status"] == "withdrawn" and "from" not in items[1]
    # sw1 was withdrawn by D1 (w2, 21 January): nothing changed it since.
    assert effects(track, "2022-01-21", "2022") == [("warning_withdrawn", "wr1", "w3")]


def test_a_warning_issued_and_withdrawn_in_the_window_gives_both_changes():
    track = open_track()
    sanction_warning(track, "sw1", USA, occurred_at="2022-01-10")
    withdraw(track, "w1", "sw1", party=USA, occurred_at="2022-01-20")

    assert effects(track, "2021", "2022") == [
        ("warning_issued", "sw1"),
        ("warning_withdrawn", "sw1", "w1"),
    ]


def test_retracted_statements_are_no_changes_and_a_retracted_answer_changes_no_status():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2022-01-10")
    respond(track, "r1", "d1", "accept", occurred_at="2022-01-11")
    retract(track, "d2")
    retract(track, "r1")

    assert effects(track, "2021-12-31", "2022") == []


def test_a_corrected_date_moves_a_statement_into_or_out_of_the_window():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    demand(track, "d2", occurred_at="2022-01-10")
    respond(track, "r1", "d1", "reject", occurred_at="2022-02-01")
    correct(track, "d2", occurred_at="2021-12-20")  # out of January
    correct(track, "r1", occurred_at="2022-01-05")  # into it
    correct(track, "d1", occurred_at="2022-01-02")  # into it, before its answer

    assert effects(track, "2021-12", "2022-01") == [
        ("new_demand", "d1"),
        ("demand_status_changed", "d1", "r1", "open", "rejected"),
    ]
    assert effects(track, "2021-11", "2021-12") == [("new_demand", "d2")]


def test_periods_run_to_their_end_on_both_sides_and_a_date_time_splits_a_day():
    track = open_track()
    demand(track, "month", occurred_at="2021-12")  # starts on 1 December
    demand(track, "last", occurred_at="2021-12-31T23:59:59Z")
    demand(track, "jan", occurred_at="2022-01-01")
    demand(track, "evening", occurred_at="2022-01-10T22:00:00+03:00")  # 19:00 UTC

    def ids(from_: str, to: str) -> list[str]:
        return [i["statement"]["id"] for i in changes(track, from_, to)]

    assert ids("2021-11", "2021-12") == ["month", "last"]
    assert ids("2021-11-30", "2021-12-30") == ["month"]
    assert ids("2021-12", "2022-01-01") == ["jan"]
    assert ids("2021-12-31", "2021-12") == []  # both end together: an empty window
    assert ids("2021", "2022-01-10T18:59:59Z") == ["jan"]
    assert ids("2022-01-10T19:00:00Z", "2022") == []
    assert ids("2022-01-10T18:59:59Z", "2022-01-10") == ["evening"]


def test_changes_are_ordered_by_the_start_of_their_period_then_by_version():
    track = open_track()
    demand(track, "d1", occurred_at="2021-12-17")
    respond(track, "r1", "d1", "reject", occurred_at="2022-01-12")
    demand(track, "d2", occurred_at="2022-01-12")
    demand(track, "d3", occurred_at="2022-01")
    record(track, "a1", "agreement", NATO, "2022-01-11T23:00:00-05:00")  # 12 Jan, 04:00 UTC

    assert [i["statement"]["id"] for i in changes(track, "2021", "2022")] == [
        "d3",
        "d1",  # changed by r1, which is placed before d2 by its version
        "d2",
        "a1",
    ]


def test_a_window_is_inverted_only_when_from_ends_after_to():
    assert window_is_inverted("2022-01-02", "2022-01-01")
    assert window_is_inverted("2022", "2022-11")
    assert not window_is_inverted("2022", "2022-12")
    assert not window_is_inverted("2021-12-31", "2021-12")
    assert not window_is_inverted("2022-01-01", "2022-01-01")
    assert not window_is_inverted("2022-01-01T23:00:00-05:00", "2022-01-02")
    assert window_is_inverted("2022-01-01T23:00:00-05:00", "2022-01-01")


def test_a_track_without_events_has_no_changes():
    assert track_changes([], "2021", "2022") is None
    track = open_track()
    assert changes(track, "2021", "2022") == []
