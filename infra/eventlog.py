"""What the library's recorders do not expose: the commit position of a stored event."""

from __future__ import annotations

from typing import Any
from uuid import UUID


def position_of(recorder: Any, track_id: UUID, version: int) -> int | None:
    """The notification id (global commit position) of a track's event, if stored."""
    from eventsourcing.popo import POPOApplicationRecorder
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        from psycopg.sql import SQL, Identifier

        query = SQL(
            "SELECT notification_id FROM {}.{} WHERE originator_id=%s AND originator_version=%s"
        ).format(Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name))
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(query, (track_id, version))
            row = cursor.fetchone()
        return int(row["notification_id"]) if row else None
    if isinstance(recorder, SQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                f"SELECT rowid FROM {recorder.events_table_name} "
                "WHERE originator_id=? AND originator_version=?",
                (track_id.hex, version),
            )
            row = cursor.fetchone()
        return int(row[0]) if row else None
    if isinstance(recorder, POPOApplicationRecorder):
        index = recorder._stored_events_index.get(str(track_id), {})
        return index[version] + 1 if version in index else None
    return None
