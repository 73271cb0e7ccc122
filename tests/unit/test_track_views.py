"""What readers see of a track (`domain.views` over the `TrackView` folded from its
events): API.md's rule for demand and proposal status.

Given a track with some recorded statements, when a view is computed, then it follows the
rule exactly -- in particular, instants are compared as instants (a date is the start of
that day, UTC; offsets are honoured), never as strings. (The statement view, the boards,
the next meeting and the whole state: the other test_view_*.py files.)
"""

from __future__ import annotations

import pytest

from domain.views import is_withdrawn, status_of
from tests.unit.builders import (
    NATO,
    RUSSIA,
    USA,
    correct,
    demand,
    open_track,
    proposal,
    record,
    respond,
    retract,
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
