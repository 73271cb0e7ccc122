"""What the library's recorders do not expose, per store: the commit position of a stored
event, and the newest rows of many streams in one query (`services.ports.EventStoreExtras`).

The library reads one originator at a time. A view checkpoint's statements are spread over
many small streams (`services.checkpoints`), and an as-of needs the newest row at or before
a version of each stream its events touch: dozens of them, which one query a stream made
the slowest part of the read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infra.eventlog.memory import MemoryExtras

if TYPE_CHECKING:
    from infra.eventlog.postgres import PostgresExtras
    from infra.eventlog.sqlite import SQLiteExtras


def event_store_extras(events: Any, snapshots: Any) -> PostgresExtras | SQLiteExtras | MemoryExtras:
    """The extras for the application's event recorder and snapshot recorder (the kind of
    store is the recorders' own: the library chose them from the persistence settings)."""
    from eventsourcing.postgres import PostgresApplicationRecorder
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    if isinstance(events, PostgresApplicationRecorder):
        from infra.eventlog.postgres import PostgresExtras

        return PostgresExtras(events, snapshots)
    if isinstance(events, SQLiteApplicationRecorder):
        from infra.eventlog.sqlite import SQLiteExtras

        return SQLiteExtras(events, snapshots)
    return MemoryExtras(events, snapshots)
