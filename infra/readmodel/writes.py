"""The writes of one projector transaction: the SQL both stores share. How many rows go in
one statement, and whether changes are announced, is the store's (`sqlite.py`,
`postgres.py`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from infra.readmodel.rows import Facets, child_rows, count_facets, facet_rows, statement_row
from infra.readmodel.schema import (
    FACET_COLUMNS,
    FACET_KEY,
    PARTY_COLUMNS,
    STATEMENT_CHILDREN,
    STATEMENT_COLUMNS,
    TRACK_COLUMNS,
    track_row,
)

if TYPE_CHECKING:
    from infra.readmodel.common import ReadModelStore


# What a later row of a statement changes (its id, track, version, type and position stay).
_UPDATED_COLUMNS = [
    c for c in STATEMENT_COLUMNS if c not in ("id", "track_id", "version", "type", "position")
]
# The key of each table hanging off a statement: a row already there is kept.
_KEYS = {
    "rm_statement_topics": "statement_id, topic",
    "rm_joint_parties": "statement_id, party",
    "rm_actors": "statement_id, relation",
}


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

    def _live_actors(self, ids: list[str]) -> list[tuple[Any, ...]]:
        """The rm_actors rows of those of `ids` that are live (not retracted)."""
        raise NotImplementedError

    # The statement `_live_actors` runs, `{ids}` being the store's test of `a.statement_id`.
    LIVE_ACTORS = (
        "SELECT a.statement_id, a.track_id, a.name_key, a.name, a.role, a.role_key, a.party,"
        " a.relation FROM rm_actors a JOIN rm_statements s ON s.id = a.statement_id"
        " WHERE s.retracted = 0 AND {ids}"
    )

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
        recorded them) and the rows hanging off them (`infra.readmodel.rows`): topics, joint
        authors, places in other tracks' timelines, people named, search text. A
        statement's position never changes, so it is written only with its first row (an
        existing row keeps its own: pass 0 when it is not known).

        Those rows change only when a statement is corrected: `corrected` names those whose
        old rows go first (None: every row's), and the rest only add what is missing, so a
        batch without corrections skips the DELETE round trips."""
        if not rows:
            return
        # What the statements recorded before this batch counted for in rm_actor_facets,
        # read before their rows change (a correction can name someone else, a retraction
        # takes them out of the count).
        facets: Facets = {}
        known = [view["id"] for view, _, position in rows if position == 0]
        if known:
            count_facets(facets, self._live_actors(known), -1)
        self._insert_rows(
            "rm_statements",
            STATEMENT_COLUMNS,
            [statement_row(v, key, position) for v, key, position in rows],
            "ON CONFLICT (id) DO UPDATE SET "
            + ", ".join(f"{c}=excluded.{c}" for c in _UPDATED_COLUMNS),
        )
        stale = [v["id"] for v, _, _ in rows] if corrected is None else list(corrected)
        if stale:
            for table in STATEMENT_CHILDREN:
                self._delete_statement_rows(table, stale)
        children: dict[str, list[tuple[Any, ...]]] = {table: [] for table in STATEMENT_CHILDREN}
        for view, key, position in rows:
            for table, found in child_rows(view, key, position).items():
                children[table].extend(found)
                if table == "rm_actors" and not view["retracted"]:
                    count_facets(facets, found)
        for table, columns in STATEMENT_CHILDREN.items():
            if table == "rm_related":
                if children[table]:
                    self._place_related([(r[0], r[1]) for r in children[table]])
            elif table == "rm_statement_text":
                self._insert_texts(children[table])
            else:
                self._insert_rows(
                    table, columns, children[table], f"ON CONFLICT ({_KEYS[table]}) DO NOTHING"
                )
        self._count_facets(facets)

    def _count_facets(self, facets: Facets) -> None:
        """Add the changes to rm_actor_facets' counts; drop the facets no one has any more."""
        changes = facet_rows(facets)
        self._insert_rows(
            "rm_actor_facets",
            FACET_COLUMNS,
            changes,
            f"ON CONFLICT ({FACET_KEY}) DO UPDATE SET"
            " mentions = rm_actor_facets.mentions + excluded.mentions,"
            " statements = rm_actor_facets.statements + excluded.statements",
        )
        gone = sorted({row[0] for row in changes if row[6] < 0})
        if gone:
            self._exec(
                "DELETE FROM rm_actor_facets WHERE mentions = 0 AND name_key IN"
                f" ({', '.join('?' * len(gone))})",
                gone,
            )

    def _insert_texts(self, rows: list[tuple[Any, ...]]) -> None:
        """Add the search text of the statements that have none yet (the store's table; its
        rows in TEXT_COLUMNS, their position 0 for a corrected statement: take the sort key
        and position from its rm_statements row)."""
        raise NotImplementedError

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
