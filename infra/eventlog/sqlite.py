"""Event-store extras in SQLite: one query for many streams (`IN (?, ?, …)`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteAggregateRecorder, SQLiteApplicationRecorder

from infra.eventlog.memory import chunks


def _marks(ids: list[UUID]) -> str:
    return ",".join("?" * len(ids))


class SQLiteExtras:
    def __init__(
        self, events: SQLiteApplicationRecorder, snapshots: SQLiteAggregateRecorder
    ) -> None:
        self._events = events
        self._snapshots = snapshots

    def _id(self, row: Any) -> UUID:
        originator_id = self._snapshots.convert_originator_id(row["originator_id"])
        return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)

    def position_of(self, track_id: UUID, version: int) -> int | None:
        with self._events.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {self._events.events_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (track_id.hex, version),
            )
            row = cursor.fetchone()
        return int(row[0]) if row else None

    def positions_of(self, track_id: UUID) -> dict[int, int]:
        with self._events.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT originator_version, rowid FROM {self._events.events_table_name} "
                "WHERE originator_id=?",
                (track_id.hex,),
            )
            return {int(row[0]): int(row[1]) for row in cursor.fetchall()}

    def latest_rows(
        self, originator_ids: Sequence[UUID], *, gte: int, lte: int
    ) -> list[StoredEvent]:
        rows: list[StoredEvent] = []
        for chunk in chunks(originator_ids):
            # SQLite takes a bare column's values from the row that gave MAX(): one row per id.
            statement = (
                "SELECT originator_id, MAX(originator_version) AS originator_version, topic, state"
                f" FROM {self._snapshots.events_table_name}"
                f" WHERE originator_id IN ({_marks(chunk)})"
                " AND originator_version >= ? AND originator_version <= ? GROUP BY originator_id"
            )
            with self._snapshots.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, [i.hex for i in chunk] + [gte, lte])
                rows += [
                    StoredEvent(
                        originator_id=self._id(row),
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                    for row in cursor.fetchall()
                ]
        return rows

    def row_versions(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int]]:
        found: list[tuple[UUID, int]] = []
        for chunk in chunks(originator_ids):
            with self._snapshots.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    "SELECT originator_id, originator_version"
                    f" FROM {self._snapshots.events_table_name}"
                    f" WHERE originator_id IN ({_marks(chunk)})",
                    [i.hex for i in chunk],
                )
                found += [(self._id(row), row["originator_version"]) for row in cursor.fetchall()]
        return found

    def delete_rows(self, originator_ids: Sequence[UUID]) -> None:
        for chunk in chunks(originator_ids):
            with self._snapshots.datastore.transaction(commit=True) as cursor:
                cursor.execute(
                    f"DELETE FROM {self._snapshots.events_table_name}"
                    f" WHERE originator_id IN ({_marks(chunk)})",
                    [i.hex for i in chunk],
                )
