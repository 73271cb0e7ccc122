"""Audit use cases, read from the event store itself (never from the read model).

`history` and `events_feed` show the log as recorded, `as_of`/`replay` rebuild a track at a
version or a recorded instant (snapshots keep that cheap on long tracks), `verify` recomputes
the hash chain from the stored rows. Every function returns JSON-ready values; the HTTP
routes and the CLI only shape them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO
from uuid import UUID

from domain import errors, views
from domain.hashchain import GENESIS_HASH, chain_hash, event_content
from domain.track import Track
from domain.values import instant_of
from services import checkpoints
from services.application import TrackerApp
from services.audit_derived import with_derived_checks

log = logging.getLogger("ntrack.audit")

PAGE_SIZE = 1000  # stored rows read per query while verifying or exporting
MAX_LIMIT = 1000  # the largest page a caller may ask of history and the feed

# Attributes of a decoded event that are the library's envelope or the chain, not its data.
_NOT_DATA = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic", "hash",
     "prev_hash", "class_version"}
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


def _type_in_topic(topic: str) -> str:
    """`domain.events:DemandMade` -> `DemandMade`: the class name the event was stored under."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def _stored_state(app: TrackerApp, stored: Any) -> dict[str, Any]:
    """The stored dict exactly as written (before upcasting), as the mapper would decode it."""
    state = stored.state
    if app.mapper.cipher:
        state = app.mapper.cipher.decrypt(state)
    if app.mapper.compressor:
        state = app.mapper.compressor.decompress(state)
    return app.mapper.transcoder.decode(state)


def _item(app: TrackerApp, stored: Any) -> dict[str, Any]:
    """One stored event as the audit answers show it; a row that cannot be decoded is
    shown with `error` instead of failing the whole page (the store is never "input")."""
    try:
        event = app.mapper.to_domain_event(stored)
    except Exception as e:
        return {"version": stored.originator_version, "type": _type_in_topic(stored.topic),
                "recorded_at": None, "recorded_by": None, "data": None, "hash": None,
                "prev_hash": None, "error": f"undecodable stored event: {e}"}
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


def _head_version(app: TrackerApp, track_id: UUID) -> int:
    last = app.recorder.select_events(track_id, desc=True, limit=1)
    if not last:
        raise errors.TrackNotFound(f"no track {track_id}")
    return int(last[0].originator_version)


def _clamp(limit: int) -> int:
    return max(1, min(int(limit), MAX_LIMIT))


# -- history and export --------------------------------------------------------------------


def history(app: TrackerApp, track_id: UUID, after_version: int = 0,
            limit: int = 100) -> dict[str, Any]:
    """A page of the track's stream as recorded: corrections and retractions are events of
    their own, so the original words stay visible in the event that recorded them."""
    limit = _clamp(limit)
    after_version = max(0, int(after_version))
    # One row more than asked tells whether another page follows, without a count query.
    rows = app.recorder.select_events(track_id, gt=after_version, limit=limit + 1)
    if not rows and after_version > 0:
        _head_version(app, track_id)  # past the end of a known track is an empty page
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
    rows = app.recorder.select_notifications(start=max(0, int(after)), limit=limit + 1,
                                             inclusive_of_start=False)
    items = []
    for row in rows[:limit]:
        item = _item(app, row)
        items.append({"position": row.id, "track_id": str(row.originator_id),
                      "version": item["version"], "type": item["type"],
                      "recorded_at": item["recorded_at"], "data": item["data"],
                      **({"error": item["error"]} if "error" in item else {})})
    more = len(rows) > limit
    return {"items": items, "next_after": items[-1]["position"] if more else None}


# -- as of a version or an instant ----------------------------------------------------------------


def _recorded_at_of(app: TrackerApp, track_id: UUID, version: int) -> datetime:
    """One probe: decode a single stored event and read its timestamp."""
    (row,) = app.recorder.select_events(track_id, gt=version - 1, lte=version)
    return app.mapper.to_domain_event(row).timestamp


def _parse_instant(value: datetime | str) -> datetime:
    """The UTC instant; an instant that falls off the calendar in UTC (0001-01-01T00:00+01:00,
    9999-12-31T23:59-01:00) is clamped to the calendar's edge instead of overflowing."""
    if isinstance(value, str):
        text = value.strip()
        try:  # a date is the start of that day, UTC (API.md); Z is accepted as +00:00
            value = instant_of(text) if len(text) == 10 else datetime.fromisoformat(text)
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
    head = _head_version(app, track_id)
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


def _version_asked(app: TrackerApp, track_id: UUID, version: int | None,
                   recorded_at: datetime | str | None) -> int:
    """The version a caller means: given, found by instant, or the newest."""
    if version is not None and recorded_at is not None:
        raise errors.RuleViolation("give either version or recorded_at, not both", "version")
    if recorded_at is not None:
        return version_at(app, track_id, recorded_at)
    head = _head_version(app, track_id)
    if version is None:
        return head
    if not 1 <= version <= head:
        raise NotRecordedYet(f"track {track_id} has versions 1 to {head}, not {version}")
    return version


def _rebuilt(app: TrackerApp, track_id: UUID, version: int | None,
             recorded_at: datetime | str | None) -> Track:
    """The whole track at that version (every statement), from snapshot + events."""
    # An explicit version bypasses the repository's cache.
    return app.get_track(track_id, version=_version_asked(app, track_id, version, recorded_at))


def _rebuilt_view(app: TrackerApp, track_id: UUID, version: int | None,
                  recorded_at: datetime | str | None) -> Track:
    """Enough of the track at that version to show its state: from its newest view
    checkpoint if it has one (the cost follows the answer, not the history; see
    `services.checkpoints`), else the whole track as `_rebuilt` makes it."""
    asked = _version_asked(app, track_id, version, recorded_at)
    try:
        track = checkpoints.track_at(app, track_id, asked)
    except Exception:  # a damaged checkpoint (verify reports it): the answer must not fail
        log.exception("as-of from the view checkpoints of track %s failed; from its snapshot",
                      track_id)
        track = None
    return track or app.get_track(track_id, version=asked)


def _state_of(track: Track) -> dict[str, Any]:
    state = views.track_state(track, position=None)
    # last_activity_at is the timestamp of the newest event applied, i.e. of `version`.
    state["as_of"] = {"version": track.version, "recorded_at": track.last_activity_at}
    return state


def as_of(app: TrackerApp, track_id: UUID, version: int | None = None,
          recorded_at: datetime | str | None = None) -> dict[str, Any]:
    """The track state (same shape as the current state) after `version`, or as recorded up
    to the instant `recorded_at`; `position` is None since no read model is involved."""
    return _state_of(_rebuilt_view(app, track_id, version, recorded_at))


def replay(app: TrackerApp, track_id: UUID, version: int | None = None,
           recorded_at: datetime | str | None = None) -> dict[str, Any]:
    """`as_of` plus the timeline as it stood then (all statements, retracted ones marked)."""
    track = _rebuilt(app, track_id, version, recorded_at)
    # The aggregate keeps each statement's timeline key ("at"): no re-parsing of dates.
    records = sorted(track.statements.values(), key=lambda r: (r.at, r.version))
    return {"state": _state_of(track),
            "statements": [views.statement_view(track, r.id) for r in records]}


# -- the hash chain ------------------------------------------------------------------------------


class ChainCheck:
    """Checks one stream's stored events fed in version order.

    The hash is recomputed from the stored dict as written, not from the decoded event: an
    upcaster may add fields to old events, and those were not part of what was hashed.
    Decoding is still attempted, so a row the application could not load is invalid too.
    """

    def __init__(self, app: TrackerApp, track_id: UUID) -> None:
        self.app = app
        self.track_id = track_id
        self.events_checked = 0
        self.first_invalid_version: int | None = None
        self.head_hash: str | None = None  # newest hash verified unbroken from genesis
        self.slug: str | None = None
        self._expected_version = 1
        self._prev_hash: str | None = GENESIS_HASH

    def feed(self, stored: Any) -> None:
        self.events_checked += 1
        version = int(stored.originator_version)
        if version != self._expected_version:  # a gap or a duplicate in the versions
            self._invalid(min(version, self._expected_version))
        self._expected_version = version + 1
        stored_hash = self._check(stored)
        if stored_hash is None:
            self._invalid(version)
        elif self.first_invalid_version is None:
            self.head_hash = stored_hash
        # The next link is checked against what this row claims, so one edited row is
        # reported once (at its version), not as a cascade.
        self._prev_hash = stored_hash

    def _check(self, stored: Any) -> str | None:
        """The row's stored hash if the row is sound, else None. Never raises."""
        try:
            event = self.app.mapper.to_domain_event(stored)
            state = _stored_state(self.app, stored)
            fields = {k: v for k, v in state.items() if k != "class_version"}
            if event.originator_version == 1 and isinstance(fields.get("slug"), str):
                self.slug = fields["slug"]
            content = event_content(_type_in_topic(stored.topic), event.originator_id,
                                    event.originator_version, event.timestamp, fields)
            recomputed = chain_hash(fields["prev_hash"], content)
            linked = self._prev_hash is None or fields["prev_hash"] == self._prev_hash
            ok = linked and recomputed == fields["hash"] == getattr(event, "hash", None)
            return fields["hash"] if ok else None
        except Exception:
            return None

    def _invalid(self, version: int) -> None:
        if self.first_invalid_version is None or version < self.first_invalid_version:
            self.first_invalid_version = version

    def result(self) -> dict[str, Any]:
        return {
            "valid": self.first_invalid_version is None,
            "events_checked": self.events_checked,
            "head_hash": self.head_hash,
            "first_invalid_version": self.first_invalid_version,
        }


def verify(app: TrackerApp, track_id: UUID) -> dict[str, Any]:
    """Recompute the track's hash chain from the stored rows, a page at a time, then check
    its snapshots and view checkpoints against it (`services.audit_derived`).

    A deleted newest event cannot be seen from the chain alone; compare `head_hash` with a
    previously published one for that."""
    check = ChainCheck(app, track_id)
    after = 0
    while rows := app.recorder.select_events(track_id, gt=after, limit=PAGE_SIZE):
        for row in rows:
            check.feed(row)
        after = int(rows[-1].originator_version)
    if check.events_checked == 0:
        raise errors.TrackNotFound(f"no track {track_id}")
    return with_derived_checks(app, check.result(), track_id)


def track_ids(app: TrackerApp) -> list[UUID]:
    """Every track, in the order they were opened: one pass over the log, nothing decoded."""
    ids, start = [], 0
    while rows := app.recorder.select_notifications(start=start, limit=PAGE_SIZE,
                                                    inclusive_of_start=False):
        ids += [UUID(str(row.originator_id)) for row in rows if row.originator_version == 1]
        start = rows[-1].id
    return ids


def verify_all(app: TrackerApp) -> dict[str, Any]:
    """Verify every track in one pass over the notification log (commit order keeps each
    stream in version order), holding only a small check state per track."""
    checks: dict[UUID, ChainCheck] = {}
    start = 0
    while rows := app.recorder.select_notifications(start=start, limit=PAGE_SIZE,
                                                    inclusive_of_start=False):
        for row in rows:
            track_id = UUID(str(row.originator_id))
            if track_id not in checks:
                checks[track_id] = ChainCheck(app, track_id)
            checks[track_id].feed(row)
        start = rows[-1].id
    items = [{"track_id": str(c.track_id), "slug": c.slug,
              **with_derived_checks(app, c.result(), c.track_id)}
             for c in checks.values()]
    return {
        "valid": all(item["valid"] for item in items),
        "tracks_checked": len(items),
        "events_checked": sum(item["events_checked"] for item in items),
        "items": items,
    }
