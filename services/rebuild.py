"""Rebuild the read model from the log, and check the live one against a fresh rebuild.

A rebuild projects into sibling tables (`rmb_*`) beside the live ones and swaps them in
one transaction, so readers see either the old model or the complete new one. The swap
carries the new tracking position, so a live projector simply continues from there (a
batch it had in flight fails its compare-and-set and is redone).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import orjson

from infra.readmodel import TABLES, ReadModelStore, ReadModelTx
from services.application import TrackerApp
from services.bootstrap import Tracker
from services.projector import PROJECTION, LostRace, Projector

BUILD_PREFIX = "rmb_"
CHECK_PREFIX = "rmc_"
_ALL_TABLES = (*TABLES, "rm_tracking")
# Primary keys, to pair rows of the live and the rebuilt tables.
_KEYS: dict[str, tuple[str, ...]] = {
    "rm_tracks": ("id",),
    "rm_track_parties": ("track_id", "party"),
    "rm_statements": ("id",),
    "rm_statement_topics": ("statement_id", "topic"),
}
_JSON_COLUMNS = {"state", "view"}  # compared parsed: key order is not a difference
_CHECK_ATTEMPTS = 5
MAX_DIFFERENCES = 1000

Progress = Callable[[int, int], None]  # (position reached, position to reach)


class _LogUpTo:
    """The application as seen by a projector that must stop at position `stop`."""

    def __init__(self, app: TrackerApp, stop: int) -> None:
        self._app = app
        self._stop = stop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)

    @property
    def recorder(self) -> Any:
        return self

    def select_notifications(self, start: int | None, limit: int, stop: int | None = None,
                             topics: Sequence[str] = (), *,
                             inclusive_of_start: bool = True) -> Any:
        stop = self._stop if stop is None else min(stop, self._stop)
        return self._app.recorder.select_notifications(
            start, limit, stop, topics, inclusive_of_start=inclusive_of_start)


def _project(app: TrackerApp, store: ReadModelStore, stop: int | None,
             progress: Progress | None) -> int:
    """Run a projector over `store` to `stop` (None: the end of the log); events applied."""
    source = app if stop is None else cast(TrackerApp, _LogUpTo(app, stop))
    # A larger cache than the live projector's: a rebuild sees every track interleaved.
    projector = Projector(source, store, cache_size=1024)
    applied = 0
    while True:
        end = stop if stop is not None else app.max_position()
        if progress is not None:
            progress(store.position(PROJECTION), end)
        n = projector.catch_up_once()
        if n == 0:
            return applied
        applied += n


def _fresh(store: ReadModelStore) -> ReadModelStore:
    store.drop_tables()
    store.create_tables()
    return store


def _rename_indexes(tx: ReadModelTx, prefix: str, postgres: bool) -> None:
    """Give the swapped-in tables' indexes their live names, so the next build's
    `CREATE INDEX IF NOT EXISTS rmb_…` creates its own instead of finding these."""
    n = len(prefix)
    if postgres:  # primary-key indexes too; renaming one renames its constraint
        rows = tx.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                          " AND left(indexname, ?) = ?", (n, prefix)).fetchall()
        for (name,) in rows:
            tx.execute(f'ALTER INDEX "{name}" RENAME TO "rm_{name[n:]}"')
        return
    # SQLite cannot rename an index: recreate it from its own DDL under the live name.
    # (Primary-key autoindexes have no SQL and follow the table's rename by themselves.)
    rows = tx.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                      " AND sql IS NOT NULL AND substr(name, 1, ?) = ?", (n, prefix)).fetchall()
    for name, ddl in rows:
        tx.execute(f'DROP INDEX "{name}"')
        tx.execute(ddl.replace(prefix, "rm_"))


def _swap(tracker: Tracker, prefix: str) -> None:
    """Replace the live tables by the `prefix` ones in ONE transaction (DDL is
    transactional on both SQLite and PostgreSQL)."""
    with tracker.read_model.transaction() as tx:
        for table in _ALL_TABLES:
            tx.execute(f"DROP TABLE IF EXISTS {table}")
        for table in _ALL_TABLES:
            tx.execute(f"ALTER TABLE {prefix}{table[3:]} RENAME TO {table}")
        _rename_indexes(tx, prefix, tracker.config.kind == "postgres")


def rebuild(tracker: Tracker, progress: Progress | None = None) -> dict[str, int]:
    """Project the whole log into fresh tables, then swap them in; returns the new position."""
    staging = _fresh(tracker.read_model.sibling(BUILD_PREFIX))
    applied = _project(tracker.app, staging, None, progress)
    position = staging.position(PROJECTION)
    _swap(tracker, BUILD_PREFIX)
    return {"events_applied": applied, "position": position}


# -- check ----------------------------------------------------------------------------------------


def _catch_up_live(tracker: Tracker) -> None:
    """Bring the live model to the end of the log; a live projector racing us is fine."""
    projector = Projector(tracker.app, tracker.read_model)
    for _ in range(_CHECK_ATTEMPTS):
        try:
            projector.catch_up()
            return
        except LostRace:
            continue


def _position(tx: ReadModelTx, table: str) -> int:
    rows = tx.execute(f"SELECT position FROM {table} WHERE projection = ?",
                      (PROJECTION,)).fetchall()
    return int(rows[0][0]) if rows else 0


def _rows(tx: ReadModelTx, table: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict]:
    cur = tx.execute(f"SELECT * FROM {table}")
    columns = [d[0] for d in cur.description]
    rows = {}
    for values in cur.fetchall():
        row = dict(zip(columns, values, strict=True))
        for column in _JSON_COLUMNS & row.keys():
            row[column] = orjson.loads(row[column])
        rows[tuple(row[k] for k in keys)] = row
    return rows


def _compare(tx: ReadModelTx, prefix: str) -> list[dict[str, Any]]:
    differences: list[dict[str, Any]] = []
    for table in TABLES:
        keys = _KEYS[table]
        live = _rows(tx, table, keys)
        rebuilt = _rows(tx, prefix + table[3:], keys)
        for key in sorted(live.keys() | rebuilt.keys(), key=repr):
            where = {"table": table, "key": dict(zip(keys, key, strict=True))}
            if key not in rebuilt:
                differences.append({**where, "problem": "only in the live model"})
            elif key not in live:
                differences.append({**where, "problem": "missing from the live model"})
            else:
                differences.extend(
                    {**where, "problem": "differs", "column": column,
                     "live": live[key][column], "rebuilt": rebuilt[key][column]}
                    for column in live[key] if live[key][column] != rebuilt[key][column])
            if len(differences) >= MAX_DIFFERENCES:
                return differences[:MAX_DIFFERENCES]
    return differences


def check(tracker: Tracker, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Rebuild into scratch tables and compare them row by row with the live model at the
    same position; the differences found (empty: the live model is right)."""
    _catch_up_live(tracker)
    scratch = _fresh(tracker.read_model.sibling(CHECK_PREFIX))
    try:
        for _ in range(_CHECK_ATTEMPTS):
            target = tracker.read_model.position(PROJECTION)
            _project(tracker.app, scratch, target, progress)
            with tracker.read_model.transaction() as tx:
                if tracker.config.kind == "postgres":  # one snapshot for every read below
                    tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # A live projector may have moved on since `target`: compare only when both
                # stand at the same position, else project the scratch copy further.
                if _position(tx, "rm_tracking") == _position(tx, CHECK_PREFIX + "tracking"):
                    return _compare(tx, CHECK_PREFIX)
        return [{"table": "rm_tracking", "key": {"projection": PROJECTION},
                 "problem": "the live model kept moving; nothing compared, try again"}]
    finally:
        scratch.drop_tables()
