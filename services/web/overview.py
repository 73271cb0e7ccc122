"""The overview page's content: every track at a glance, read through the ReadModel port
(the same reads as `GET /v1/tracks` and `GET /v1/warnings`), shaped for a template."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, get_args

from domain.values import TrackKind, TrackStatus, sort_key
from services.ports import ReadModel
from services.queries import PageAfter, WarningQuery

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
    kinds: tuple[str, ...] = KINDS
    statuses: tuple[str, ...] = STATUSES


def overview(
    read_model: ReadModel, kind: str | None, status: str | None, party: str | None
) -> Overview:
    """The tracks that match the filters, most recent activity first (as `GET /v1/tracks`)."""
    everything = read_model.list_tracks(None, None, None)
    filtered = kind or status or party
    tracks = read_model.list_tracks(kind, status, party) if filtered else everything
    warnings = active_warnings(read_model, tuple(t["id"] for t in tracks))
    latest = read_model.latest_occurred() if tracks else {}
    rows = [
        Row(
            slug=t["slug"],
            title=t["title"],
            kind=t["kind"],
            status=t["status"],
            venue=t.get("venue"),
            parties=list(t["parties"]),
            next_meeting=t.get("next_meeting"),
            open_demands=len(t["open_demands"]),
            active_warnings=warnings[t["id"]],
            last_statement_on=latest[t["id"]][:10] if t["id"] in latest else None,
            last_recorded_at=str(t["last_activity_at"])[:16].replace("T", " "),
        )
        for t in tracks
    ]
    parties = sorted({p for t in everything for p in t["parties"]})
    return Overview(rows=rows, parties=parties)


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
