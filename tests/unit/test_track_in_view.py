"""`TrackView.in_view`, the index of the statements the current-state document shows, kept up
to date event by event, always equals the index worked out afresh from every statement; and
a view brought back from its `checkpoint()` shows the same state."""

from __future__ import annotations

import random

import pytest

from domain import errors, views
from domain.document import CHECKPOINT_VERSION, TrackView
from domain.statuses import MEETING_HELD, MEETING_SCHEDULED, meeting_parts, part_in_view
from domain.track import Track
from tests.unit.builders import (
    PARTIES,
    correct,
    demand,
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


def _afresh(track: TrackView) -> dict[str, str]:
    parts = {r.id: part_in_view(track.statements, r) for r in track.statements.values()}
    parts.update(meeting_parts(track.statements.values()))
    return {statement_id: part for statement_id, part in parts.items() if part}


def _day(rng: random.Random) -> str:
    day = f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}"
    return day if rng.random() < 0.9 else day[:7]  # now and then a month (v1.1)


def _attribution(rng: random.Random) -> str:
    # Hearsay (claimed needs a claimant: unconfirmed stands for both) decides nothing.
    return rng.choice(["direct", "reported", "unconfirmed"])


def _step(rng: random.Random, track: Track, view: TrackView, n: int) -> None:
    live = [r for r in view.statements.values() if not r.retracted]
    roll = rng.random()
    party = rng.choice(PARTIES)
    if roll < 0.2 and live:
        target = rng.choice(live)
        respond(
            track,
            f"s{n}",
            target.id,
            rng.choice(["accept", "reject", "partial", "counter", "noncommittal"]),
            party,
            _day(rng),
            attribution=_attribution(rng),
        )
    elif roll < 0.3 and live:
        target = rng.choice(live)
        withdraw(track, f"s{n}", target.id, target.party, _day(rng), attribution=_attribution(rng))
    elif roll < 0.4 and live:
        change = rng.choice(["occurred_at", "attribution", "party"])
        value = {"occurred_at": _day(rng), "attribution": _attribution(rng), "party": party}
        correct(track, rng.choice(live).id, **{change: value[change]})
    elif roll < 0.5 and live:
        retract(track, rng.choice(live).id)
    elif roll < 0.6:
        schedule_meeting(track, f"s{n}", meeting_at=_day(rng), party=party)
    elif roll < 0.75:
        hold_meeting(track, f"s{n}", occurred_at=_day(rng), party=party)
    elif roll < 0.85:
        sanction_warning(track, f"s{n}", party=party, occurred_at=_day(rng))
    else:
        demand(track, f"s{n}", party=party, occurred_at=_day(rng))


@pytest.mark.parametrize("seed", range(8))
def test_the_index_of_statements_in_view_equals_one_worked_out_afresh_after_every_event(
    seed: int,
) -> None:
    rng = random.Random(seed)
    track = open_track()
    view = view_of(track)
    for n in range(300):
        try:
            _step(rng, track, view, n)
        except errors.TrackerError:
            continue  # refused (say, withdrawing what is not withdrawable): nothing changed
        for event in track.pending_events[view.version :]:  # the new event, incrementally
            view.apply(event)
        assert view.view_parts() == _afresh(view), n


def test_only_the_newest_held_meeting_and_the_meetings_scheduled_after_it_stay_in_view() -> None:
    track = open_track()
    hold_meeting(track, "held-jan", occurred_at="2022-01-10")
    schedule_meeting(track, "sched-jan", meeting_at="2022-01-12")
    hold_meeting(track, "held-feb", occurred_at="2022-02-01")
    schedule_meeting(track, "sched-mar", meeting_at="2022-03-01")
    assert view_of(track).view_parts() == {
        "held-feb": MEETING_HELD,
        "sched-mar": MEETING_SCHEDULED,
    }

    retract(track, "held-feb")  # the January meeting and the one after it matter again

    assert view_of(track).view_parts() == {
        "held-jan": MEETING_HELD,
        "sched-jan": MEETING_SCHEDULED,
        "sched-mar": MEETING_SCHEDULED,
    }
    assert views.next_meeting(view_of(track))["id"] == "sched-jan"


def test_a_view_brought_back_from_its_checkpoint_shows_the_same_state() -> None:
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")
    respond(track, "r1", "d1", "reject")
    sanction_warning(track, "w1")
    schedule_meeting(track, "m1", meeting_at="2022-02-01")
    record(track, "x1", "statement")
    view = view_of(track)
    statements = {}
    restored = TrackView.from_checkpoint(view.id, view.version, view.checkpoint(), statements)
    assert restored is not None
    assert set(statements) == {"d2", "w1", "m1"}  # only what the document shows
    assert views.track_state(restored, None) == views.track_state(view, None)


def test_a_checkpoint_of_another_shape_is_not_used() -> None:
    view = view_of(open_track())
    state = {**view.checkpoint(), "class_version": CHECKPOINT_VERSION - 1}
    assert TrackView.from_checkpoint(view.id, view.version, state, {}) is None


def test_a_view_refuses_an_event_that_does_not_follow_its_version() -> None:
    track = open_track()
    demand(track, "d1")
    demand(track, "d2")
    view = TrackView.fold(track.pending_events[:1])
    assert view is not None
    with pytest.raises(ValueError, match="does not follow version 1"):
        view.apply(track.pending_events[2])
