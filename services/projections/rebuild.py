"""Rebuild the read model from the log, and check the live one against a fresh rebuild.

A rebuild folds the whole log in memory (services.projections.rebuild_in_memory: each row is
written once,
not once per batch as the live projector must), writes the result into sibling tables
(`rmb_*`) beside the live ones and swaps them in one transaction, so readers see either the
old model or the complete new one. The swap carries the new tracking position, so a live
projector simply continues from there (a batch it had in flight fails its compare-and-set
and is redone). `check` builds the same way into `rmc_*`, up to the live position.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from infra.readmodel import TABLES, ReadModelStore, ReadModelTx
from services.bootstrap import Tracker
from services.projections.projector import PROJECTION, LostRace
from services.projections.rebuild_in_memory import LogFold, Progress, write

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


def _build(
    tracker: Tracker, fold: LogFold, store: ReadModelStore, stop: int, progress: Progress | None
) -> None:
    """Fold the log on to `stop`, then write everything folded into `store`'s tables, made
    afresh (a fold only moves forward, so its rows are always written whole). Progress is
    reported as the log is read, and once more when the rows are written."""
    with _collector_paused():
        fold.advance(stop, progress)
        write(fold, _fresh(store), tracker.config)
    if progress is not None:
        progress(fold.position, max(stop, fold.position))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector during a build. A fold keeps every track in
    memory, so each of the collector's full passes walks a larger heap, and they come more
    often as it grows: on 100k events they were over a third of the rebuild's CPU time.
    The fold makes no cycles to collect (reference counting frees its garbage); one made
    elsewhere in the process meanwhile is collected seconds later."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _fresh(store: ReadModelStore) -> ReadModelStore:
    store.drop_tables()
    store.create_tables()
    return store


def _rename_indexes(tx: ReadModelTx, prefix: str, postgres: bool) -> None:
    """Give the swapped-in tables' indexes their live names, so the next build's
    `CREATE INDEX IF NOT EXISTS rmb_…` creates its own instead of finding these."""
    n = len(prefix)
    if postgres:  # primary-key indexes too; renaming one renames its constraint
        rows = tx.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND left(indexname, ?) = ?",
            (n, prefix),
        ).fetchall()
        for (name,) in rows:
            tx.execute(f'ALTER INDEX "{name}" RENAME TO "rm_{name[n:]}"')
        return
    # SQLite cannot rename an index: recreate it from its own DDL under the live name.
    # (Primary-key autoindexes have no SQL and follow the table's rename by themselves.)
    rows = tx.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        " AND sql IS NOT NULL AND substr(name, 1, ?) = ?",
        (n, prefix),
    ).fetchall()
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
        tx.announce(_position(tx, "rm_tracking"), None)  # every cached document is stale


def rebuild(tracker: Tracker, progress: Progress | None = None) -> dict[str, int]:
    """Build the model of the whole log in fresh tables, then swap them in; returns the
    events applied and the new position. The end is taken once, at the start: events
    recorded meanwhile are the live projector's to apply after the swap."""
    fold = LogFold(tracker.app)
    _build(
        tracker,
        fold,
        tracker.read_model.sibling(BUILD_PREFIX),
        tracker.app.max_position(),
        progress,
    )
    _swap(tracker, BUILD_PREFIX)
    return {"events_applied": fold.events, "position": fold.position}


# -- check ----------------------------------------------------------------------------------------


def _catch_up_live(tracker: Tracker) -> None:
    """Bring the live model to the end of the log; a live projector racing us is fine."""
    projector = tracker.projector()
    for _ in range(_CHECK_ATTEMPTS):
        try:
            projector.catch_up()
            return
        except LostRace:
            continue


def _position(tx: ReadModelTx, table: str) -> int:
    rows = tx.execute(
        f"SELECT position FROM {table} WHERE projection = ?", (PROJECTION,)
    ).fetchall()
    return int(rows[0][0]) if rows else 0


def _rows(tx: ReadModelTx, table: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict]:
    cur = tx.execute(f"SELECT * FROM {table}")
    fetched = cur.fetchall()  # first: a pipelined cursor has no description before its rows
    columns = [d[0] for d in cur.description]
    rows = {}
    for values in fetched:
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
                    {
                        **where,
                        "problem": "differs",
                        "column": column,
                        "live": live[key][column],
                        "rebuilt": rebuilt[key][column],
                    }
                    for column in live[key]
                    if live[key][column] != rebuilt[key][column]
                )
            if len(differences) >= MAX_DIFFERENCES:
                return differences[:MAX_DIFFERENCES]
    return differences


def check(tracker: Tracker, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Rebuild into scratch tables and compare them row by row with the live model at the
    same position; the differences found (empty: the live model is right)."""
    _catch_up_live(tracker)
    scratch = tracker.read_model.sibling(CHECK_PREFIX)
    fold = LogFold(tracker.app)
    try:
        for _ in range(_CHECK_ATTEMPTS):
            target = tracker.read_model.position(PROJECTION)
            if target < fold.position:  # the live model went back (a rebuild swapped in)
                fold = LogFold(tracker.app)
            _build(tracker, fold, scratch, target, progress)
            with tracker.read_model.transaction() as tx:
                if tracker.config.kind == "postgres":  # one snapshot for every read below
                    tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                # A live projector may have moved on since `target`: compare only when both
                # stand at the same position, else fold on and write the scratch copy again.
                if _position(tx, "rm_tracking") == _position(tx, CHECK_PREFIX + "tracking"):
                    return _compare(tx, CHECK_PREFIX)
        return [
            {
                "table": "rm_tracking",
                "key": {"projection": PROJECTION},
                "problem": "the live model kept moving; nothing compared, try again",
            }
        ]
    finally:
        scratch.drop_tables()
