"""The library's PostgreSQL persistence, with stored events sent to the server in binary.

`eventsourcing` inserts a save's events as one array of a composite type, bound with `%s`.
psycopg then dumps it as text, escaping every byte of every event's state with a regular
expression (a third of batch ingest's CPU: benchmarks/README.md). Bound with `%b`, psycopg
uses the binary dumper it registers for the same composite type: the bytes are copied as
they are. The SQL, the tables, the table lock and the NOTIFY are the library's own.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from psycopg.sql import SQL, Composed, Identifier

# As in eventsourcing.postgres (9.5), with the array parameter bound in binary.
_INSERT_EVENTS = (
    "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state)"
    " SELECT originator_id, originator_version, topic, state"
    " FROM unnest(%b::{schema}.{stored_event_type}[])"
)


def _binary_insert(recorder: PostgresAggregateRecorder, *, returning: bool) -> Composed:
    statement = SQL(_INSERT_EVENTS).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
        stored_event_type=Identifier(recorder.stored_event_type_name),
    )
    return statement + SQL(" RETURNING notification_id") if returning else statement


class SnapshotRecorder(PostgresAggregateRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = _binary_insert(self, returning=False)


class EventRecorder(PostgresApplicationRecorder):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.insert_events_statement = _binary_insert(self, returning=True)


class PostgresStore(PostgresFactory):
    """`PERSISTENCE_MODULE=infra.pgstore:PostgresStore`."""

    aggregate_recorder_class = SnapshotRecorder
    application_recorder_class = EventRecorder
