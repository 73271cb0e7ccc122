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

from infra.readmodel import TABLES
from services.bootstrap import Tracker
from services.ports import RebuildableReadModel, TableRows
from services.projections.projector import PROJECTION, LostRace
from services.projections.rebuild_in_memory import LogFold, Progress, write

BUILD_PREFIX = "rmb_"
CHECK_PREFIX = "rmc_"
# Primary keys, to pair rows of the live and the rebuilt tables.
_KEYS: dict[str, tuple[str, ...]] = {
    "rm_tracks": ("id",),
    "rm_track_parties": ("track_id", "party"),
    "rm_statements": ("id",),
    "rm_statement_topics": ("statement_id", "topic"),
    "rm_related": ("track_id", "statement_id"),
    "rm_joint_parties": ("statement_id", "party"),
    "rm_actors": ("statement_id", "relation"),
    "rm_statement_text": ("statement_id",),
    "rm_actor_facets": ("name_key", "name", "role", "party", "track_id"),
}
_JSON_COLUMNS = {"state", "view"}  # compared parsed: key order is not a difference
_CHECK_ATTEMPTS = 5
MAX_DIFFERENCES = 1000


def _build(
    fold: LogFold, store: RebuildableReadModel, stop: int, progress: Progress | None
) -> None:
    """Fold the log on to `stop`, then write everything folded into `store`'s tables, made
    afresh (a fold only moves forward, so its rows are always written whole). Progress is
    reported as the log is read, and once more when the rows are written."""
    with _collector_paused():
        fold.advance(stop, progress)
        write(fold, _fresh(store))
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


def _fresh(store: RebuildableReadModel) -> RebuildableReadModel:
    store.drop_tables()
    store.create_tables()
    return store


def rebuild(tracker: Tracker, progress: Progress | None = None) -> dict[str, int]:
    """Build the model of the whole log in fresh tables, then swap them in; returns the
    events applied and the new position. The end is taken once, at the start: events
    recorded meanwhile are the live projector's to apply after the swap."""
    fold = LogFold(tracker.app)
    _build(fold, tracker.read_model.sibling(BUILD_PREFIX), tracker.app.max_position(), progress)
    # One transaction: readers see the old model or the new one, and every cached document
    # is announced stale.
    tracker.read_model.swap_in(BUILD_PREFIX, PROJECTION)
    tracker.read_model.refresh_statistics()  # fresh tables: the planner knows nothing of them
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


def _position(snapshot: TableRows, table: str) -> int:
    found = [row for row in snapshot.rows(table) if row["projection"] == PROJECTION]
    return int(found[0]["position"]) if found else 0


def _rows(
    snapshot: TableRows, table: str, keys: tuple[str, ...]
) -> dict[tuple[Any, ...], dict[str, Any]]:
    rows = {}
    for row in snapshot.rows(table):
        for column in _JSON_COLUMNS & row.keys():
            row[column] = orjson.loads(row[column])
        rows[tuple(row[k] for k in keys)] = row
    return rows


def _compare(snapshot: TableRows, prefix: str) -> list[dict[str, Any]]:
    differences: list[dict[str, Any]] = []
    for table in TABLES:
        keys = _KEYS[table]
        live = _rows(snapshot, table, keys)
        rebuilt = _rows(snapshot, prefix + table[3:], keys)
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
            _build(fold, scratch, target, progress)
            with tracker.read_model.snapshot() as snapshot:  # one moment for every read below
                # A live projector may have moved on since `target`: compare only when both
                # stand at the same position, else fold on and write the scratch copy again.
                live = _position(snapshot, "rm_tracking")
                if live == _position(snapshot, CHECK_PREFIX + "tracking"):
                    return _compare(snapshot, CHECK_PREFIX)
        return [
            {
                "table": "rm_tracking",
                "key": {"projection": PROJECTION},
                "problem": "the live model kept moving; nothing compared, try again",
            }
        ]
    finally:
        scratch.drop_tables()
