"""Event-store extras in PostgreSQL: one query for many streams (`= ANY(array)`)."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder
from psycopg.sql import SQL, Composed, Identifier

from infra.eventlog.memory import chunks


def _table(recorder: PostgresAggregateRecorder, query: str) -> Composed:
    return SQL(query).format(
        schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)
    )


class PostgresExtras:
    def __init__(
        self, events: PostgresApplicationRecorder, snapshots: PostgresAggregateRecorder
    ) -> None:
        self._events = events
        self._snapshots = snapshots

    def position_of(self, track_id: UUID, version: int) -> int | None:
        query = _table(
            self._events,
            "SELECT notification_id FROM {schema}.{table}"
            " WHERE originator_id=%s AND originator_version=%s",
        )
        with self._events.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (track_id, version))
            row = cursor.fetchone()
        return int(row["notification_id"]) if row else None

    def positions_of(self, track_id: UUID) -> dict[int, int]:
        query = _table(
            self._events,
            "SELECT originator_version, notification_id FROM {schema}.{table}"
            " WHERE originator_id=%s",
        )
        with self._events.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (track_id,))
            rows = cursor.fetchall()
        return {int(r["originator_version"]): int(r["notification_id"]) for r in rows}

    def latest_rows(
        self, originator_ids: Sequence[UUID], *, gte: int, lte: int
    ) -> list[StoredEvent]:
        statement = _table(
            self._snapshots,
            "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state"
            " FROM {schema}.{table} WHERE originator_id = ANY(%s)"
            " AND originator_version >= %s AND originator_version <= %s"
            " ORDER BY originator_id, originator_version DESC",
        )
        rows: list[StoredEvent] = []
        for chunk in chunks(originator_ids):
            with self._snapshots.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(statement, (chunk, gte, lte), prepare=True)
                rows += [
                    StoredEvent(
                        originator_id=row["originator_id"],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    )
                    for row in cursor.fetchall()
                ]
        return rows

    def row_versions(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int]]:
        statement = _table(
            self._snapshots,
            "SELECT originator_id, originator_version FROM {schema}.{table}"
            " WHERE originator_id = ANY(%s)",
        )
        found: list[tuple[UUID, int]] = []
        for chunk in chunks(originator_ids):
            with self._snapshots.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(statement, (chunk,))
                found += [
                    (row["originator_id"], row["originator_version"]) for row in cursor.fetchall()
                ]
        return found

    def delete_rows(self, originator_ids: Sequence[UUID]) -> None:
        statement = _table(
            self._snapshots, "DELETE FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        )
        for chunk in chunks(originator_ids):
            with self._snapshots.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement, (chunk,))
