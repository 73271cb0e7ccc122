"""The newest stored row of each of many originators, in one query.

The library reads one originator at a time. A view checkpoint's statements are spread over
many small streams (`services.checkpoints`), and an as-of needs the newest row at or before
a version of each stream its events touch: dozens of them, which one query a stream made
the slowest part of the read.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.sqlite import SQLiteAggregateRecorder
from psycopg.sql import SQL, Identifier

CHUNK = 500  # ids per query: well under SQLite's limit on bound parameters


def latest_rows(
    recorder: AggregateRecorder, originator_ids: Sequence[UUID], *, gte: int, lte: int
) -> list[StoredEvent]:
    """For each originator, its row with the highest version in [gte, lte], if any."""
    rows: list[StoredEvent] = []
    for chunk in _chunks(list(dict.fromkeys(originator_ids))):
        if isinstance(recorder, PostgresAggregateRecorder):
            rows += _postgres(recorder, chunk, gte, lte)
        elif isinstance(recorder, SQLiteAggregateRecorder):
            rows += _sqlite(recorder, chunk, gte, lte)
        else:  # the in-memory store: no SQL to batch
            for originator_id in chunk:
                rows += recorder.select_events(
                    originator_id, gt=gte - 1, lte=lte, desc=True, limit=1
                )
    return rows


def row_versions(
    recorder: AggregateRecorder, originator_ids: Sequence[UUID]
) -> list[tuple[UUID, int]]:
    """Every stored (originator, version) of the originators, without their states."""
    found: list[tuple[UUID, int]] = []
    for chunk in _chunks(list(dict.fromkeys(originator_ids))):
        if isinstance(recorder, PostgresAggregateRecorder):
            statement = SQL(
                "SELECT originator_id, originator_version FROM {schema}.{table}"
                " WHERE originator_id = ANY(%s)"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
                cursor.execute(statement, (chunk,))
                found += [
                    (row["originator_id"], row["originator_version"]) for row in cursor.fetchall()
                ]
        elif isinstance(recorder, SQLiteAggregateRecorder):
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(
                    f"SELECT originator_id, originator_version"
                    f" FROM {recorder.events_table_name}"
                    f" WHERE originator_id IN ({','.join('?' * len(chunk))})",
                    [i.hex for i in chunk],
                )
                found += [
                    (
                        recorder.convert_originator_id(row["originator_id"]),
                        row["originator_version"],
                    )
                    for row in cursor.fetchall()
                ]
        else:
            found += [
                (i, row.originator_version) for i in chunk for row in recorder.select_events(i)
            ]
    return found


def delete_rows(recorder: AggregateRecorder, originator_ids: Sequence[UUID]) -> None:
    """Delete every stored row of the originators (derived rows only: never events)."""
    for chunk in _chunks(list(dict.fromkeys(originator_ids))):
        if isinstance(recorder, PostgresAggregateRecorder):
            statement = SQL("DELETE FROM {schema}.{table} WHERE originator_id = ANY(%s)").format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with recorder.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement, (chunk,))
        elif isinstance(recorder, SQLiteAggregateRecorder):
            with recorder.datastore.transaction(commit=True) as cursor:
                cursor.execute(
                    f"DELETE FROM {recorder.events_table_name}"
                    f" WHERE originator_id IN ({','.join('?' * len(chunk))})",
                    [i.hex for i in chunk],
                )
        else:
            raise NotImplementedError("the in-memory store keeps no checkpoints to repair")


def _postgres(
    recorder: PostgresAggregateRecorder, ids: list[UUID], gte: int, lte: int
) -> list[StoredEvent]:
    statement = SQL(
        "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state"
        " FROM {schema}.{table} WHERE originator_id = ANY(%s)"
        " AND originator_version >= %s AND originator_version <= %s"
        " ORDER BY originator_id, originator_version DESC"
    ).format(
        schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)
    )
    with recorder.datastore.get_connection() as conn, conn.cursor() as cursor:
        cursor.execute(statement, (ids, gte, lte), prepare=True)
        return [_stored(row["originator_id"], row) for row in cursor.fetchall()]


def _sqlite(
    recorder: SQLiteAggregateRecorder, ids: list[UUID], gte: int, lte: int
) -> list[StoredEvent]:
    # SQLite takes a bare column's values from the row that gave MAX(): one row per id.
    statement = (
        f"SELECT originator_id, MAX(originator_version) AS originator_version, topic, state"
        f" FROM {recorder.events_table_name}"
        f" WHERE originator_id IN ({','.join('?' * len(ids))})"
        f" AND originator_version >= ? AND originator_version <= ? GROUP BY originator_id"
    )
    with recorder.datastore.transaction(commit=False) as cursor:
        cursor.execute(statement, [i.hex for i in ids] + [gte, lte])
        return [
            _stored(recorder.convert_originator_id(row["originator_id"]), row)
            for row in cursor.fetchall()
        ]


def _stored(originator_id: Any, row: Any) -> StoredEvent:
    return StoredEvent(
        originator_id=originator_id,
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _chunks(ids: list[UUID]) -> Iterator[list[UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]
