"""The log as recorded: one track's stream page by page, its export, the global feed.

Read from the event store itself, never from the read model. A row that cannot be decoded
is shown with `error` rather than failing the page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO
from uuid import UUID

from domain import errors
from services.application import TrackerApp

PAGE_SIZE = 1000  # stored rows read per query while verifying or exporting
MAX_LIMIT = 1000  # the largest page a caller may ask of history and the feed

# Attributes of a decoded event that are the library's envelope or the chain, not its data.
_NOT_DATA = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "hash",
        "prev_hash",
        "class_version",
    }
)


class NotRecordedYet(errors.TrackerError):
    """The track has no such version, or nothing was recorded on it by that instant."""


# -- decoding ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """Event fields are JSON-native by design; convert the few library types defensively."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def type_in_topic(topic: str) -> str:
    """`domain.events:DemandMade` -> `DemandMade`: the class name the event was stored under."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def stored_state(app: TrackerApp, stored: Any) -> dict[str, Any]:
    """The stored dict exactly as written (before upcasting), as the mapper would decode it."""
    state = stored.state
    if app.mapper.cipher:
        state = app.mapper.cipher.decrypt(state)
    if app.mapper.compressor:
        state = app.mapper.compressor.decompress(state)
    decoded: dict[str, Any] = app.mapper.transcoder.decode(state)
    return decoded


def _item(app: TrackerApp, stored: Any) -> dict[str, Any]:
    """One stored event as the audit answers show it; a row that cannot be decoded is
    shown with `error` instead of failing the whole page (the store is never "input")."""
    try:
        event: Any = app.mapper.to_domain_event(stored)
    except Exception as e:
        return {
            "version": stored.originator_version,
            "type": type_in_topic(stored.topic),
            "recorded_at": None,
            "recorded_by": None,
            "data": None,
            "hash": None,
            "prev_hash": None,
            "error": f"undecodable stored event: {e}",
        }
    fields = vars(event)
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "recorded_at": event.timestamp.isoformat(),
        "recorded_by": fields.get("recorded_by"),
        "data": _jsonable({k: v for k, v in fields.items() if k not in _NOT_DATA}),
        "hash": fields.get("hash"),
        "prev_hash": fields.get("prev_hash"),
    }


def head_version(app: TrackerApp, track_id: UUID) -> int:
    last = app.recorder.select_events(track_id, desc=True, limit=1)
    if not last:
        raise errors.TrackNotFound(f"no track {track_id}")
    return int(last[0].originator_version)


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


# -- history and export --------------------------------------------------------------------


def history(
    app: TrackerApp, track_id: UUID, after_version: int = 0, limit: int = 100
) -> dict[str, Any]:
    """A page of the track's stream as recorded: corrections and retractions are events of
    their own, so the original words stay visible in the event that recorded them."""
    limit = _clamp(limit)
    after_version = max(0, int(after_version))
    # One row more than asked tells whether another page follows, without a count query.
    rows = app.recorder.select_events(track_id, gt=after_version, limit=limit + 1)
    if not rows and after_version > 0:
        head_version(app, track_id)  # past the end of a known track is an empty page
    elif not rows:
        raise errors.TrackNotFound(f"no track {track_id}")
    items = [_item(app, row) for row in rows[:limit]]
    more = len(rows) > limit
    return {"items": items, "next_after_version": items[-1]["version"] if more else None}


def _all_items(app: TrackerApp, track_id: UUID) -> Iterator[dict[str, Any]]:
    after = 0
    while True:
        page = history(app, track_id, after_version=after, limit=PAGE_SIZE)
        yield from page["items"]
        if page["next_after_version"] is None:
            return
        after = page["next_after_version"]


def export_jsonl(app: TrackerApp, track_id: UUID, out: TextIO) -> int:
    """Write the stream as JSON Lines (one event a line); returns how many were written."""
    count = 0
    for item in _all_items(app, track_id):
        out.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count


# -- the global feed ---------------------------------------------------------------------------


def events_feed(app: TrackerApp, after: int = 0, limit: int = 100) -> dict[str, Any]:
    """Every track's events in commit order. `next_after` is None once the page reaches the
    current end; a follower then polls again from its last item's `position`."""
    limit = _clamp(limit)
    rows = app.recorder.select_notifications(
        start=max(0, int(after)), limit=limit + 1, inclusive_of_start=False
    )
    items = []
    for row in rows[:limit]:
        item = _item(app, row)
        items.append(
            {
                "position": row.id,
                "track_id": str(row.originator_id),
                "version": item["version"],
                "type": item["type"],
                "recorded_at": item["recorded_at"],
                "data": item["data"],
                **({"error": item["error"]} if "error" in item else {}),
            }
        )
    more = len(rows) > limit
    return {"items": items, "next_after": items[-1]["position"] if more else None}
