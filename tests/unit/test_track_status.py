"""The `Track` aggregate's status: a suspended or concluded track refuses writes, and only
the allowed status changes are recorded."""

from __future__ import annotations

import pytest

from domain import errors
from domain.events import TrackStatusChanged
from domain.track import Track
from tests.unit.builders import (
    RECORDER,
    Unchanged,
    correct,
    demand,
    last_event,
    open_track,
    respond,
    retract,
    view_of,
)

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
    unchanged = Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        respond(closed_track, "r1", "d1", "accept")

    unchanged.check()


def test_no_correction_can_be_recorded_on_a_suspended_or_concluded_track(closed_track):
    unchanged = Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        correct(closed_track, "d1", summary="changed")

    unchanged.check()


def test_no_retraction_can_be_recorded_on_a_suspended_or_concluded_track(closed_track):
    unchanged = Unchanged(closed_track)

    with pytest.raises(errors.TrackClosed):
        retract(closed_track, "d1")

    unchanged.check()


def test_no_party_can_be_added_to_a_suspended_or_concluded_track(closed_track):
    unchanged = Unchanged(closed_track)

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
    unchanged = Unchanged(track)

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
