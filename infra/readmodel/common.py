"""The read model's store: what SQLite and PostgreSQL share (connections, transactions and
the reads); `sqlite.py` and `postgres.py` hold what differs. The projector writes rows and
its tracking position in one transaction, so each event is applied exactly once, also
across crashes.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson

from infra.readmodel.across import AcrossTracks
from infra.readmodel.schema import ALL_TABLES, CURRENT_SHAPE_DDL, DDL, STATEMENT_COLUMNS
from infra.readmodel.timeline import timeline_query
from infra.readmodel.writes import ReadModelTx, TableRowsOf
from services.ports import Append, TimelineFilter

# A row when live statements name people and rm_actor_facets counts none of them.
_UNCOUNTED_PEOPLE = (
    "SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM rm_actor_facets) AND EXISTS (SELECT 1"
    " FROM rm_actors a JOIN rm_statements s ON s.id = a.statement_id AND s.retracted = 0)"
)


class ReadModelStore(AcrossTracks):
    placeholder = "?"
    # Tables are written `rm_*` in the SQL; a sibling store with another prefix holds a
    # second copy of the read model (rebuilds build beside the live one, then swap).
    prefix = "rm_"
    tx_class: type[ReadModelTx] = ReadModelTx

    def sql(self, text: str) -> str:
        if self.prefix != "rm_":
            text = text.replace("rm_", self.prefix)
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    def run(self, cursor: Any, sql: str, params: Sequence[Any]) -> Any:
        """Execute one statement of a write transaction."""
        return cursor.execute(sql, params)

    def sibling(self, prefix: str) -> ReadModelStore:
        """The same database and connections, tables named with another prefix."""
        other = copy.copy(self)
        other.prefix = prefix
        return other

    # -- connections (per store) -------------------------------------------------------

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Any]:
        raise NotImplementedError
        yield

    def close(self) -> None:
        pass

    # -- schema ----------------------------------------------------------------------------

    # The tables whose shape differs by store (full-text search), the indexes over their
    # newer columns (made like CURRENT_SHAPE_DDL), and the columns of rm_statement_text a
    # model of the current shape has.
    store_ddl: tuple[str, ...] = ()
    store_current_ddl: tuple[str, ...] = ()
    text_columns: tuple[str, ...] = ("statement_id", "body")

    def create_tables(self) -> None:
        with self._connection(write=True) as conn:
            cur = conn.cursor()
            for ddl in (*DDL, *self.store_ddl):
                cur.execute(self.sql(ddl))
        if not self.outdated():  # an outdated model is rebuilt: its copy gets them
            with self._connection(write=True) as conn:
                cur = conn.cursor()
                for ddl in (*CURRENT_SHAPE_DDL, *self.store_current_ddl):
                    cur.execute(self.sql(ddl))

    def outdated(self) -> bool:
        """rm_statements of an older shape: release 1's, without commit positions, or 1.1's
        first, without the columns the reads across tracks filter on; rm_statement_text
        without the ones a store orders matches by (`text_columns`); or people named but
        not counted in rm_actor_facets (made empty, by `create_tables`, beside a model
        projected before it existed). Only a rebuild from the log can fill them (the
        tables added since are made by `create_tables`)."""
        with self._connection() as conn:
            cur = conn.cursor()
            cur.execute(self.sql("SELECT * FROM rm_statements WHERE 1 = 0"))
            cur.fetchall()
            if not set(STATEMENT_COLUMNS) <= {d[0] for d in cur.description}:
                return True
            cur.execute(self.sql("SELECT * FROM rm_statement_text WHERE 1 = 0"))
            cur.fetchall()
            if not set(self.text_columns) <= {d[0] for d in cur.description}:
                return True
            cur.execute(self.sql(_UNCOUNTED_PEOPLE))
            return bool(cur.fetchall())

    def drop_tables(self) -> None:
        with self._connection(write=True) as conn:
            cur = conn.cursor()
            for table in ALL_TABLES:
                cur.execute(self.sql(f"DROP TABLE IF EXISTS {table}"))

    # -- writes ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[ReadModelTx]:
        with self._connection(write=True) as conn:
            yield self.tx_class(self, conn.cursor())

    # -- rebuilds: a copy beside the live tables, then swapped in ------------------------

    @contextmanager
    def bulk_writer(self) -> Iterator[Append]:
        """Appends to this store's fresh, empty tables (nothing else writes them)."""
        raise NotImplementedError
        yield

    def swap_in(self, prefix: str, projection: str) -> None:
        """Replace the live tables by the `prefix` ones in ONE transaction (DDL is
        transactional on both SQLite and PostgreSQL), and announce that everything changed."""
        with self.transaction() as tx:
            for table in ALL_TABLES:
                tx.execute(f"DROP TABLE IF EXISTS {table}")
            for table in ALL_TABLES:
                tx.execute(f"ALTER TABLE {prefix}{table[3:]} RENAME TO {table}")
            self._rename_indexes(tx, prefix)
            rows = tx.execute(
                "SELECT position FROM rm_tracking WHERE projection = ?", (projection,)
            ).fetchall()
            tx.announce(int(rows[0][0]) if rows else 0, None)  # every cached document is stale

    def _rename_indexes(self, tx: ReadModelTx, prefix: str) -> None:
        """Give the swapped-in tables' indexes their live names, so the next build's
        `CREATE INDEX IF NOT EXISTS rmb_…` creates its own instead of finding these."""
        raise NotImplementedError

    @contextmanager
    def snapshot(self) -> Iterator[TableRowsOf]:
        """Whole tables, every read from the same moment."""
        with self.transaction() as tx:
            self._one_snapshot(tx)
            yield TableRowsOf(tx)

    def _one_snapshot(self, tx: ReadModelTx) -> None:
        """Make the transaction's reads share one snapshot (SQLite's always do)."""

    # -- reads --------------------------------------------------------------------------------

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            cur = conn.cursor()
            cur.execute(self.sql(sql), params)
            return list(cur.fetchall())

    def position(self, projection: str) -> int:
        rows = self.fetch("SELECT position FROM rm_tracking WHERE projection=?", (projection,))
        return int(rows[0][0]) if rows else 0

    def wait_for(self, projection: str, position: int, timeout: float) -> int | None:
        """Wait until the projection has applied `position`; its position, or None on timeout."""
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            current = self.position(projection)
            if current >= position:
                return current
            if time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def track_document(self, track_id: str, projection: str) -> tuple[str | None, int]:
        """The stored JSON of a track's state as is (no parse, no re-encode) and, from the same
        query, the projection's position."""
        rows = self.fetch(
            "SELECT t.state, p.position FROM rm_tracking p LEFT JOIN rm_tracks t ON t.id=?"
            " WHERE p.projection=?",
            (track_id, projection),
        )
        if not rows:
            return None, 0
        return rows[0][0], int(rows[0][1])

    def has_track(self, track_id: str) -> bool:
        return bool(self.fetch("SELECT 1 FROM rm_tracks WHERE id=?", (track_id,)))

    def get_track(self, track_id: str) -> dict[str, Any] | None:
        rows = self.fetch("SELECT state, position FROM rm_tracks WHERE id=?", (track_id,))
        if not rows:
            return None
        state: dict[str, Any] = orjson.loads(rows[0][0])
        state["position"] = int(rows[0][1])
        return state

    def list_tracks(
        self, kind: str | None, status: str | None, party: str | None
    ) -> list[dict[str, Any]]:
        sql = "SELECT state, position FROM rm_tracks WHERE 1=1"
        params: list[Any] = []
        if kind:
            sql += " AND kind=?"
            params.append(kind)
        if status:
            sql += " AND status=?"
            params.append(status)
        if party:
            sql += " AND id IN (SELECT track_id FROM rm_track_parties WHERE party=?)"
            params.append(party)
        sql += " ORDER BY last_activity_at DESC, id"
        items = []
        for state_json, position in self.fetch(sql, params):
            state = orjson.loads(state_json)
            state["position"] = int(position)
            items.append(state)
        return items

    def latest_occurred(self) -> dict[str, str]:
        rows = self.fetch(
            "SELECT track_id, MAX(occurred_key) FROM rm_statements WHERE retracted = 0"
            " GROUP BY track_id"
        )
        return {str(track_id): str(key) for track_id, key in rows}

    def get_statement(self, track_id: str, statement_id: str) -> dict[str, Any] | None:
        rows = self.fetch(
            "SELECT view FROM rm_statements WHERE id=? AND track_id=?", (statement_id, track_id)
        )
        return orjson.loads(rows[0][0]) if rows else None

    def timeline(self, track_id: str, f: TimelineFilter) -> tuple[list[dict[str, Any]], bool]:
        """A page of statements by (occurred_key, commit position); and whether more follow."""
        sql, params = timeline_query(track_id, f)
        rows = self.fetch(sql, params)
        return [orjson.loads(r[0]) for r in rows[: f.limit]], len(rows) > f.limit

    def demands(
        self,
        track_id: str,
        statuses: Sequence[str] | None = None,
        *,
        parties: Sequence[str] = (),
        types: Sequence[str] = ("demand",),
    ) -> list[dict[str, Any]]:
        sql = "SELECT view FROM rm_statements WHERE track_id=? AND retracted=0"
        sql += f" AND type IN {_marks(types)}"
        params: list[Any] = [track_id, *types]
        if statuses:
            sql += f" AND status IN {_marks(statuses)}"
            params += statuses
        if parties:
            sql += (
                f" AND (party IN {_marks(parties)} OR id IN (SELECT statement_id"
                f" FROM rm_joint_parties WHERE track_id=? AND party IN {_marks(parties)}))"
            )
            params += [*parties, track_id, *parties]
        sql += " ORDER BY occurred_key, version"
        return [orjson.loads(r[0]) for r in self.fetch(sql, params)]

    def refresh_statistics(self) -> None:
        """Let the planner know the tables' sizes and values (the store's)."""

    def ping(self) -> None:
        self.fetch("SELECT 1")


def _marks(values: Sequence[Any]) -> str:
    """`(?, ?, …)`: one placeholder per value (translated per store by `sql`)."""
    return "(" + ", ".join("?" * len(values)) + ")"
