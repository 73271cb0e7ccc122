"""The hash chain recomputed from the stored rows, then the derived state checked against it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain import errors
from domain.hashchain import GENESIS_HASH, chain_hash, event_content
from services.application import TrackerApp
from services.audit.derived_state import with_derived_checks
from services.audit.recorded import PAGE_SIZE, stored_state, type_in_topic


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
            event: Any = self.app.mapper.to_domain_event(stored)
            state = stored_state(self.app, stored)
            fields = {k: v for k, v in state.items() if k != "class_version"}
            if event.originator_version == 1 and isinstance(fields.get("slug"), str):
                self.slug = fields["slug"]
            content = event_content(
                type_in_topic(stored.topic),
                event.originator_id,
                event.originator_version,
                event.timestamp,
                fields,
            )
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
    its snapshots and view checkpoints against it (`services.audit.derived_state`).

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
    while rows := app.recorder.select_notifications(
        start=start, limit=PAGE_SIZE, inclusive_of_start=False
    ):
        ids += [UUID(str(row.originator_id)) for row in rows if row.originator_version == 1]
        start = rows[-1].id
    return ids


def verify_all(app: TrackerApp) -> dict[str, Any]:
    """Verify every track in one pass over the notification log (commit order keeps each
    stream in version order), holding only a small check state per track."""
    checks: dict[UUID, ChainCheck] = {}
    start = 0
    while rows := app.recorder.select_notifications(
        start=start, limit=PAGE_SIZE, inclusive_of_start=False
    ):
        for row in rows:
            track_id = UUID(str(row.originator_id))
            if track_id not in checks:
                checks[track_id] = ChainCheck(app, track_id)
            checks[track_id].feed(row)
        start = rows[-1].id
    items = [
        {
            "track_id": str(c.track_id),
            "slug": c.slug,
            **with_derived_checks(app, c.result(), c.track_id),
        }
        for c in checks.values()
    ]
    return {
        "valid": all(item["valid"] for item in items),
        "tracks_checked": len(items),
        "events_checked": sum(item["events_checked"] for item in items),
        "items": items,
    }
