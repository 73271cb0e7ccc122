"""The writes of one projector transaction: the SQL both stores share. How many rows go in
one statement, and whether changes are announced, is the store's (`sqlite.py`,
`postgres.py`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from infra.readmodel.schema import (
    JOINT_PARTY_COLUMNS,
    PARTY_COLUMNS,
    STATEMENT_COLUMNS,
    TOPIC_COLUMNS,
    TRACK_COLUMNS,
    dumps,
    listed,
    track_row,
)

if TYPE_CHECKING:
    from infra.readmodel.common import ReadModelStore


class ReadModelTx:
    """The writes of one projector transaction."""

    def __init__(self, store: ReadModelStore, cursor: Any) -> None:
        self._store = store
        self._cur = cursor

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._store.run(self._cur, self._store.sql(sql), params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run SQL written with `?` placeholders and `rm_` table names in this transaction."""
        return self._exec(sql, params)

    def _insert_rows(
        self, table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        """Insert many rows in as few statements as the store allows: `columns` maps each
        column to its PostgreSQL type. (executemany costs a protocol message and driver
        bookkeeping per row: for a live projector's small batches that was most of its CPU.)"""
        raise NotImplementedError

    def _delete_statement_rows(self, table: str, ids: list[str]) -> None:
        """Delete the rows of `table` whose `statement_id` is one of `ids`."""
        raise NotImplementedError

    def _place_related(self, pairs: list[tuple[str, str]]) -> None:
        """Insert (concerned track, statement) rows into rm_related, copying the sort key and
        commit position from the statement's own row, written just before in this
        transaction (a corrected statement's position is known only there)."""
        raise NotImplementedError

    # The statement that `_place_related` runs, `{pairs}` being a (track_id, statement_id)
    # table made of the store's parameters. (`WHERE true`: SQLite's parser needs it between a
    # join and ON CONFLICT.)
    PLACE_RELATED = (
        "INSERT INTO rm_related (track_id, statement_id, home_track_id, occurred_key, position)"
        " SELECT p.track_id, s.id, s.track_id, s.occurred_key, s.position"
        " FROM {pairs} JOIN rm_statements s ON s.id = p.statement_id WHERE true"
        " ON CONFLICT (track_id, statement_id) DO NOTHING"
    )

    def upsert_tracks(self, rows: list[tuple[dict[str, Any], int]]) -> None:
        """Write track documents (state, position)."""
        self._insert_rows(
            "rm_tracks",
            TRACK_COLUMNS,
            [track_row(state, position) for state, position in rows],
            "ON CONFLICT (id) DO UPDATE SET"
            " slug=excluded.slug, kind=excluded.kind, status=excluded.status,"
            " last_activity_at=excluded.last_activity_at, version=excluded.version,"
            " position=excluded.position, state=excluded.state",
        )

    def replace_parties(self, track_id: str, parties: list[str]) -> None:
        self._exec("DELETE FROM rm_track_parties WHERE track_id=?", (track_id,))
        self._insert_rows(
            "rm_track_parties", PARTY_COLUMNS, [(track_id, party) for party in parties]
        )

    def upsert_statements(
        self,
        rows: list[tuple[dict[str, Any], str, int]],
        corrected: Collection[str] | None = None,
    ) -> None:
        """Write statement views (with their timeline keys and the commit positions that
        recorded them), their topics, their joint authors and their places in other tracks'
        timelines. A statement's position never changes, so it is written only with its
        first row (an existing row keeps its own: pass 0 when it is not known).

        Topics, joint authors and the tracks concerned change only when a statement is
        corrected: `corrected` names those whose old rows go first (None: every row's),
        and the rest only add what is missing, so a batch without corrections skips the
        DELETE round trips."""
        if not rows:
            return
        self._insert_rows(
            "rm_statements",
            STATEMENT_COLUMNS,
            [
                (
                    v["id"],
                    v["track_id"],
                    v["version"],
                    v["type"],
                    v["party"],
                    key,
                    int(v["retracted"]),
                    v.get("status"),
                    dumps(v),
                    position,
                )
                for v, key, position in rows
            ],
            "ON CONFLICT (id) DO UPDATE SET"
            " party=excluded.party, occurred_key=excluded.occurred_key,"
            " retracted=excluded.retracted, status=excluded.status, view=excluded.view",
        )
        views = [v for v, _, _ in rows]
        stale = [v["id"] for v in views] if corrected is None else list(corrected)
        if stale:
            for table in ("rm_statement_topics", "rm_joint_parties", "rm_related"):
                self._delete_statement_rows(table, stale)
        self._insert_rows(
            "rm_statement_topics",
            TOPIC_COLUMNS,
            [(v["id"], v["track_id"], topic) for v in views for topic in listed(v, "topics")],
            "ON CONFLICT (statement_id, topic) DO NOTHING",
        )
        self._insert_rows(
            "rm_joint_parties",
            JOINT_PARTY_COLUMNS,
            [(v["id"], v["track_id"], p) for v in views for p in listed(v, "with_parties")],
            "ON CONFLICT (statement_id, party) DO NOTHING",
        )
        pairs = [
            (track, v["id"])
            for v in views
            for track in listed(v, "also_concerns")
            if track != v["track_id"]  # never twice in its own timeline
        ]
        if pairs:
            self._place_related(pairs)

    def announce(self, position: int, track_ids: Collection[str] | None) -> None:
        """Tell API processes' document caches, at commit, which tracks changed (None: all).
        A store without announcements (SQLite) has no one to tell."""

    def advance(self, projection: str, old: int, new: int) -> bool:
        """Move the tracking position from `old` to `new`; False if someone else moved it."""
        if old == 0:
            self._exec(
                "INSERT INTO rm_tracking (projection, position) VALUES (?, 0)"
                " ON CONFLICT (projection) DO NOTHING",
                (projection,),
            )
        # RETURNING, not rowcount: fetching is what waits for a pipelined PostgreSQL batch.
        cur = self._exec(
            "UPDATE rm_tracking SET position=? WHERE projection=? AND position=?"
            " RETURNING position",
            (new, projection, old),
        )
        return len(cur.fetchall()) == 1


class TableRowsOf:
    """Whole tables read inside one transaction (a check compares two copies)."""

    def __init__(self, tx: ReadModelTx) -> None:
        self._tx = tx

    def rows(self, table: str) -> list[dict[str, Any]]:
        cur = self._tx.execute(f"SELECT * FROM {table}")
        fetched = cur.fetchall()  # first: a pipelined cursor has no description before its rows
        columns = [d[0] for d in cur.description]
        return [dict(zip(columns, values, strict=True)) for values in fetched]
