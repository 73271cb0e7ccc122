"""Event-store extras for the library's in-memory store: no SQL to batch."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

CHUNK = 500  # ids per query: well under SQLite's limit on bound parameters


def chunks(ids: Sequence[UUID]) -> Iterator[list[UUID]]:
    """The distinct ids, in order, a query's worth at a time."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]


class MemoryExtras:
    def __init__(self, events: Any, snapshots: Any) -> None:
        self._events = events
        self._snapshots = snapshots

    def position_of(self, track_id: UUID, version: int) -> int | None:
        # The library's in-memory recorder keeps the index we need under a private name,
        # and offers no query for it.
        index = self._events._stored_events_index.get(str(track_id), {})
        return int(index[version]) + 1 if version in index else None

    def positions_of(self, track_id: UUID) -> dict[int, int]:
        index = self._events._stored_events_index.get(str(track_id), {})
        return {version: int(i) + 1 for version, i in index.items()}

    def latest_rows(
        self, originator_ids: Sequence[UUID], *, gte: int, lte: int
    ) -> list[StoredEvent]:
        rows: list[StoredEvent] = []
        for originator_id in dict.fromkeys(originator_ids):
            rows += self._snapshots.select_events(
                originator_id, gt=gte - 1, lte=lte, desc=True, limit=1
            )
        return rows

    def row_versions(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int]]:
        return [
            (i, row.originator_version)
            for i in dict.fromkeys(originator_ids)
            for row in self._snapshots.select_events(i)
        ]

    def delete_rows(self, originator_ids: Sequence[UUID]) -> None:
        raise NotImplementedError("the in-memory store keeps no checkpoints to repair")
