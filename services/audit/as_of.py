"""A track as it stood after a version, or as recorded up to an instant (recorded time).

Starts from the newest view checkpoint at or before the version (`services.checkpoints`), else
from the track's first event, and folds the events after it into the track's view
(`domain.document.TrackView`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from domain import errors, views
from domain.document import TrackView
from domain.values import instant_of
from domain.world_time import world_state, world_view
from services.application import TrackerApp
from services.audit.recorded import NotRecordedYet, head_version
from services.checkpoint_reader import load_view


def _recorded_at_of(app: TrackerApp, track_id: UUID, version: int) -> datetime:
    """One probe: decode a single stored event and read its timestamp."""
    (row,) = app.recorder.select_events(track_id, gt=version - 1, lte=version)
    event: Any = app.mapper.to_domain_event(row)
    timestamp: datetime = event.timestamp
    return timestamp


def _parse_instant(value: datetime | str) -> datetime:
    """The UTC instant; an instant that falls off the calendar in UTC (0001-01-01T00:00+01:00,
    9999-12-31T23:59-01:00) is clamped to the calendar's edge instead of overflowing."""
    if isinstance(value, str):
        text = value.strip()
        try:  # a date (year, month) is the start of that day (year, month), UTC (API.md)
            value = instant_of(text) if len(text) <= 10 else datetime.fromisoformat(text)
        except ValueError as e:
            raise errors.RuleViolation(f"bad recorded_at {text!r}: {e}", "recorded_at") from None
    if value.tzinfo is None:
        raise errors.RuleViolation("recorded_at needs an offset (e.g. Z)", "recorded_at")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if value.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def version_at(app: TrackerApp, track_id: UUID, recorded_at: datetime | str) -> int:
    """The last version recorded at or before the instant, by binary search: O(log n) decodes.
    Within one stream timestamps do not decrease (version n+1 is created from version n)."""
    instant = _parse_instant(recorded_at)
    head = head_version(app, track_id)
    if _recorded_at_of(app, track_id, head) <= instant:
        return head  # the common question, "what is known now", costs one probe
    low, high = 0, head  # invariant: ts(low) <= instant < ts(high), ts(0) = -infinity
    while high - low > 1:
        middle = (low + high) // 2
        if _recorded_at_of(app, track_id, middle) <= instant:
            low = middle
        else:
            high = middle
    if low == 0:
        raise NotRecordedYet(f"track {track_id} was not yet opened at {instant.isoformat()}")
    return low


def _version_asked(
    app: TrackerApp, track_id: UUID, version: int | None, recorded_at: datetime | str | None
) -> int:
    """The version a caller means: given, found by instant, or the newest."""
    if version is not None and recorded_at is not None:
        raise errors.RuleViolation("give either version or recorded_at, not both", "version")
    if recorded_at is not None:
        return version_at(app, track_id, recorded_at)
    head = head_version(app, track_id)
    if version is None:
        return head
    if not 1 <= version <= head:
        raise NotRecordedYet(f"track {track_id} has versions 1 to {head}, not {version}")
    return version


def _state_of(track: TrackView) -> dict[str, Any]:
    state = views.track_state(track, position=None)
    # last_activity_at is the timestamp of the newest event applied, i.e. of `version`.
    state["as_of"] = {"version": track.version, "recorded_at": track.last_activity_at}
    return state


def as_of(
    app: TrackerApp,
    track_id: UUID,
    version: int | None = None,
    recorded_at: datetime | str | None = None,
) -> dict[str, Any]:
    """The track state (same shape as the current state) after `version`, or as recorded up
    to the instant `recorded_at`; `position` is None since no read model is involved."""
    asked = _version_asked(app, track_id, version, recorded_at)
    # The cost follows the answer, not the history (see `services.checkpoints`).
    return _state_of(load_view(app, track_id, asked))


def replay(
    app: TrackerApp,
    track_id: UUID,
    version: int | None = None,
    recorded_at: datetime | str | None = None,
) -> dict[str, Any]:
    """`as_of` plus the timeline as it stood then (all statements, retracted ones marked)."""
    asked = _version_asked(app, track_id, version, recorded_at)
    # Every statement: folded from the first event, the view holds them all.
    track = TrackView.fold(app.events.get(track_id, lte=asked))
    if track is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    # The view keeps each statement's timeline key ("at"): no re-parsing of dates.
    records = sorted(track.statements.values(), key=lambda r: (r.at, r.version))
    return {
        "state": _state_of(track),
        "statements": [views.statement_view(track, r.id) for r in records],
    }


def world_on(
    app: TrackerApp,
    track_id: UUID,
    on: str,
    version: int | None = None,
    recorded_at: datetime | str | None = None,
    position: int | None = None,
) -> dict[str, Any]:
    """The track's state on the date `on` (world time), as recorded after `version` or up
    to the instant `recorded_at` (the newest version if neither is given). Folded from the
    first event, since a statement recorded any time may be dated on or before `on`."""
    view = _world_view(app, track_id, on, version, recorded_at)
    return _world_state(view, on, position, as_of=version is not None or recorded_at is not None)


def world_replay(
    app: TrackerApp,
    track_id: UUID,
    on: str,
    version: int | None = None,
    recorded_at: datetime | str | None = None,
) -> dict[str, Any]:
    """`world_on` plus the statements that had happened by then (as `replay` gives them):
    their statuses count only what had happened by the date."""
    view = _world_view(app, track_id, on, version, recorded_at)
    records = sorted(view.statements.values(), key=lambda r: (r.at, r.version))
    as_of_asked = version is not None or recorded_at is not None
    return {
        "state": _world_state(view, on, None, as_of=as_of_asked),
        "statements": [views.statement_view(view, r.id) for r in records],
    }


def _world_view(
    app: TrackerApp,
    track_id: UUID,
    on: str,
    version: int | None,
    recorded_at: datetime | str | None,
) -> TrackView:
    asked = _version_asked(app, track_id, version, recorded_at)
    view = world_view(app.events.get(track_id, lte=asked), on)
    if view is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    return view


def _world_state(view: TrackView, on: str, position: int | None, as_of: bool) -> dict[str, Any]:
    state = world_state(view, on, position)
    if as_of:
        state["as_of"] = {"version": view.version, "recorded_at": view.last_activity_at}
    return state
