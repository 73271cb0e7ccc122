"""The overview page's content: every track at a glance, read through the ReadModel port
(the same reads as `GET /v1/tracks` and `GET /v1/warnings`), shaped for a template; on a
date (world time), each track as `services.audit.world_replay` folds it, as `?on=` does."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, get_args
from uuid import UUID

from domain.values import TrackKind, TrackStatus, sort_key
from domain.views import WARNING_TYPES
from services import audit
from services.bootstrap import Tracker
from services.ports import ReadModel
from services.queries import PageAfter, StatementQuery, WarningQuery
from services.web.dates import DayRange, day_of

KINDS: tuple[str, ...] = get_args(TrackKind)
STATUSES: tuple[str, ...] = get_args(TrackStatus)
_WARNING_PAGE = 500


@dataclass(frozen=True)
class Row:
    slug: str
    title: str
    kind: str
    status: str
    venue: str | None
    parties: list[str]
    next_meeting: dict[str, Any] | None
    open_demands: int
    active_warnings: int
    last_statement_on: str | None  # world time: the date of its latest live statement
    last_recorded_at: str  # recorded time: when its newest event was recorded


@dataclass(frozen=True)
class Overview:
    rows: list[Row]
    parties: list[str]  # every party of every track: the party filter's choices
    days: DayRange | None  # the date slider's range: every track's statements
    kinds: tuple[str, ...] = KINDS
    statuses: tuple[str, ...] = STATUSES


def overview(
    tracker: Tracker, kind: str | None, status: str | None, party: str | None, on: str | None
) -> Overview:
    """The tracks that match the filters, most recent activity first (as `GET /v1/tracks`);
    with `on`, as they stood on that date (the status filter then looks at that date's)."""
    read_model = tracker.read_model
    everything = read_model.list_tracks(None, None, None)
    filtered = kind or status or party
    latest = read_model.latest_occurred() if everything else {}
    if on is not None:
        on_date = [_row_on(tracker, t, on) for t in read_model.list_tracks(kind, None, party)]
        rows = [row for row in on_date if status is None or row.status == status]
    else:
        tracks = read_model.list_tracks(kind, status, party) if filtered else everything
        warnings = active_warnings(read_model, tuple(t["id"] for t in tracks))
        rows = [
            _row(t, len(t["open_demands"]), warnings[t["id"]], latest.get(t["id"])) for t in tracks
        ]
    parties = sorted({p for t in everything for p in t["parties"]})
    return Overview(rows=rows, parties=parties, days=_days(read_model, latest))


def _row(state: dict[str, Any], open_demands: int, warnings: int, latest_key: str | None) -> Row:
    return Row(
        slug=state["slug"],
        title=state["title"],
        kind=state["kind"],
        status=state["status"],
        venue=state.get("venue"),
        parties=list(state["parties"]),
        next_meeting=state.get("next_meeting"),
        open_demands=open_demands,
        active_warnings=warnings,
        last_statement_on=latest_key[:10] if latest_key else None,
        last_recorded_at=str(state["last_activity_at"])[:16].replace("T", " "),
    )


def _row_on(tracker: Tracker, current: dict[str, Any], on: str) -> Row:
    """A track on the date `on`: its state and statements by the world-time fold."""
    replayed = audit.world_replay(tracker.app, UUID(current["id"]), on)
    live = [s for s in replayed["statements"] if not s["retracted"]]
    warnings = sum(s["type"] in WARNING_TYPES and s.get("status") == "active" for s in live)
    latest = max((sort_key(s["occurred_at"]) for s in live), default=None)
    state = replayed["state"]
    return _row(state, len(state["open_demands"]), warnings, latest)


def _days(read_model: ReadModel, latest: dict[str, str]) -> DayRange | None:
    """From the earliest statement of any track to the latest (the across-tracks reads)."""
    first, _ = read_model.statements(StatementQuery(limit=1))
    if not first or not latest:
        return None
    return DayRange(day_of(first[0]["occurred_at"]), day_of(max(latest.values())))


def active_warnings(read_model: ReadModel, tracks: tuple[str, ...]) -> Counter[str]:
    """Active warnings and sanction warnings per track id (the across-tracks warnings read,
    page by page)."""
    counts: Counter[str] = Counter()
    if not tracks:
        return counts
    after: PageAfter | None = None
    while True:
        query = WarningQuery(tracks=tracks, active=True, after=after, limit=_WARNING_PAGE)
        items, more = read_model.warnings(query)
        counts.update(item["track_id"] for item in items)
        if not more or not items:
            return counts
        last = items[-1]
        after = PageAfter(sort_key(last["occurred_at"]), last["id"])
