"""Audit use cases, read from the event store itself (never from the read model).

`history` and `events_feed` show the log as recorded (`recorded`), `as_of`/`replay` rebuild a
track at a version or a recorded instant and `world_on` on a date (`as_of`), `changes` lists
what changed between two dates (`changes`), `verify` recomputes the hash chain from the stored
rows and checks the snapshots and view checkpoints against it (`verify`). Every function
returns JSON-ready values; the HTTP routes and the CLI only shape them.
"""

from services.audit.as_of import as_of, replay, version_at, world_on, world_replay
from services.audit.changes import ChangesPage, changes, every_track
from services.audit.recorded import (
    MAX_LIMIT,
    PAGE_SIZE,
    NotRecordedYet,
    events_feed,
    export_jsonl,
    history,
)
from services.audit.verify import ChainCheck, track_ids, verify, verify_all

__all__ = [
    "MAX_LIMIT",
    "PAGE_SIZE",
    "ChainCheck",
    "ChangesPage",
    "NotRecordedYet",
    "as_of",
    "changes",
    "events_feed",
    "every_track",
    "export_jsonl",
    "history",
    "replay",
    "track_ids",
    "verify",
    "verify_all",
    "version_at",
    "world_on",
    "world_replay",
]
