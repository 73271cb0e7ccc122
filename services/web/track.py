"""The track page's content: a track's state and statements now, on a date (world time) or
as the record held them at a version or an instant (recorded time, for auditors).

Each axis is read by the service call the JSON API makes for it: now, the read model (as
`GET /v1/tracks/{track}` and its timeline); on a date, `services.audit.world_replay` (the
fold behind `?on=`); as recorded, `services.audit.replay` (behind `as-of`). The sections of
the page are then cut from the statement views those calls return (`services.web.sections`),
so a status on the page is the status the API gives for the same axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from domain import errors
from domain.values import sort_key
from domain.world_time import last_instant_key
from services import audit
from services.bootstrap import Tracker
from services.ports import TimelineCursor, TimelineFilter
from services.projections.projector import PROJECTION
from services.web.dates import DayRange, day_range
from services.web.sections import Sections, sections

_PAGE = 500  # timeline items per read (the API's largest page)


@dataclass(frozen=True)
class AsOf:
    """The recorded-time axis asked for: a version or an instant (auditors only)."""

    version: int | None = None
    recorded_at: str | None = None

    def __bool__(self) -> bool:
        return self.version is not None or self.recorded_at is not None


@dataclass(frozen=True)
class TrackPage:
    state: dict[str, Any]  # the current-state document of the axis asked (API shape)
    sections: Sections
    days: DayRange | None  # the slider's range: the days of the track's statements
    on: str | None
    as_of: AsOf
    related_shown: bool  # other tracks' statements are known for now and for dates only
    audit: dict[str, Any] | None  # `verify`'s report, for an auditor; None for others


def track_page(
    tracker: Tracker, track_id: UUID, on: str | None, as_of: AsOf, auditor: bool
) -> TrackPage:
    """What `/tracks/{track}` shows. `as_of` needs `auditor` (the routes check the role)."""
    state = current_state(tracker, track_id)
    timeline = current_timeline(tracker, track_id)
    home = str(track_id)
    related = [item for item in timeline if item["track_id"] != home]
    if as_of:
        replayed = (
            audit.world_replay(tracker.app, track_id, on, as_of.version, as_of.recorded_at)
            if on
            else audit.replay(tracker.app, track_id, as_of.version, as_of.recorded_at)
        )
        # Another track's statement as the record held it then would need that track's
        # own as-of: left out rather than shown as it is now.
        state, statements, related = replayed["state"], replayed["statements"], []
    elif on:
        replayed = audit.world_replay(tracker.app, track_id, on)
        state, statements = replayed["state"], replayed["statements"]
        until = last_instant_key(on)  # the world rule, for statements of other tracks
        related = [item for item in related if sort_key(item["occurred_at"]) <= until]
    else:
        statements = [item for item in timeline if item["track_id"] == home]
    shown = _in_timeline_order(statements, related)
    return TrackPage(
        state=state,
        sections=sections(state, shown, _slugs(tracker, related)),
        days=day_range(item["occurred_at"] for item in timeline),
        on=on,
        as_of=as_of,
        related_shown=not as_of,
        audit=audit.verify(tracker.app, track_id) if auditor else None,
    )


def current_state(tracker: Tracker, track_id: UUID) -> dict[str, Any]:
    """The stored current-state document (the one `GET /v1/tracks/{track}` answers)."""
    document, _ = tracker.read_model.track_document(str(track_id), PROJECTION)
    if document is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    state: dict[str, Any] = orjson.loads(document)
    return state


def current_timeline(tracker: Tracker, track_id: UUID) -> list[dict[str, Any]]:
    """The whole timeline as `GET /v1/tracks/{track}/statements?include_retracted=true`
    pages through it: the track's statements and those of other tracks that concern it."""
    items: list[dict[str, Any]] = []
    after: TimelineCursor | None = None
    while True:
        query = TimelineFilter(include_retracted=True, after=after, limit=_PAGE)
        page, more = tracker.read_model.timeline(str(track_id), query)
        items += page
        if not more or not page:
            return items
        last = page[-1]
        home = last["track_id"] if last["track_id"] != str(track_id) else None
        after = TimelineCursor(sort_key(last["occurred_at"]), last["version"], home)


def _in_timeline_order(
    home: list[dict[str, Any]], related: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Both lists merged by the timeline's order (start of period; sorted() is stable, so
    each list keeps its own order within a moment)."""
    return sorted([*home, *related], key=lambda item: sort_key(item["occurred_at"]))


def _slugs(tracker: Tracker, related: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Slug and title of each other track a shown statement comes from."""
    wanted = {item["track_id"] for item in related}
    if not wanted:
        return {}
    return {
        t["id"]: (t["slug"], t["title"])
        for t in tracker.read_model.list_tracks(None, None, None)
        if t["id"] in wanted
    }
