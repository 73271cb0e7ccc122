"""Active sanction warnings and the next meeting (API.md's rules), over the `TrackView`
folded from the track's events: instants are compared as instants, never as strings."""

from __future__ import annotations

from domain.views import active_sanction_warnings, next_meeting, statement_view
from tests.unit.builders import (
    NATO,
    RUSSIA,
    USA,
    correct,
    hold_meeting,
    open_track,
    record,
    respond,
    retract,
    sanction_warning,
    schedule_meeting,
    view_of,
    withdraw,
)

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
