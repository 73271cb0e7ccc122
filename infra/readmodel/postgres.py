"""The read model in PostgreSQL: a connection pool, array-bound multi-row writes, change
announcements (NOTIFY) and COPY for rebuilds."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from domain.search import SearchQuery, to_tsquery
from infra.coordination import sweep_dead_connections
from infra.readmodel.common import ReadModelStore
from infra.readmodel.schema import TEXT_COLUMNS
from infra.readmodel.writes import ReadModelTx
from infra.stores import StoreConfig, StoreUnavailable, postgres_unavailable
from services.ports import EVERYTHING, Append

# A row or more per statement: their indexes are made after a rebuild's COPY.
_LARGE_TABLES = ("rm_statements", "rm_statement_topics", "rm_actors", "rm_statement_text")
_ANALYZED = (*_LARGE_TABLES, "rm_tracks", "rm_joint_parties", "rm_actor_facets", "rm_related")
# The search text, with its words as a tsvector ('simple': the words as `fold` left them),
# and the statement's sort key and commit position: a page of `q` is read in this table's
# order (`text_join`), so the planner weighs its own two ways for the word at hand, taking
# the matches from the GIN index and sorting them, or walking the order index and testing
# each row's tsvector, with no lookup in rm_statements per row tested (benchmarks/README.md,
# S1).
_TEXT_DDL = (
    """CREATE TABLE IF NOT EXISTS rm_statement_text (
        statement_id TEXT PRIMARY KEY, occurred_key TEXT NOT NULL, position BIGINT NOT NULL,
        body TEXT NOT NULL,
        doc tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED)""",
    "CREATE INDEX IF NOT EXISTS rm_statement_text_doc ON rm_statement_text USING GIN (doc)",
)
# Over the columns added since (an older table is rebuilt: `text_columns`).
_TEXT_ORDER_DDL = (
    """CREATE INDEX IF NOT EXISTS rm_statement_text_order
        ON rm_statement_text (occurred_key, position)""",
)


def changes_channel(schema: str) -> str:
    """The NOTIFY channel of a schema's live read model (channels are database-wide and at
    most 63 bytes; schema names need not be identifiers)."""
    return f"ntrack_rm_{zlib.crc32(schema.encode()):08x}"


def announcement(position: int, track_ids: Collection[str] | None) -> str:
    """The payload: the position reached, then the changed track ids, or `*` for all of them
    (NOTIFY payloads are limited to 8000 bytes: a batch touching more tracks says `*`)."""
    if track_ids is None or 40 * len(track_ids) > 7000:
        return f"{position} {EVERYTHING}"
    return " ".join([str(position), *track_ids])


class PostgresTx(ReadModelTx):
    _store: PostgresReadModel

    def _insert_rows(
        self, table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        # One array per column, so the statement's text is the same for any number of rows
        # (psycopg parses every new query text for placeholders: a VALUES list of 200 rows
        # cost 5 ms of it). `%b` (left alone by `sql()`, which rewrites `?`): the arrays go
        # in binary; as text, psycopg escapes every element with a regular expression (most
        # of a large batch's CPU).
        if not rows:
            return
        names = ", ".join(columns)
        arrays = ", ".join(f"%b::{kind}[]" for kind in columns.values())
        self._exec(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def _insert_texts(self, rows: list[tuple[Any, ...]]) -> None:
        # The sort key and position from the statement's row, written before: a corrected
        # statement's rows come with position 0 (ReadModelTx.upsert_statements).
        if not rows:
            return
        ids, _, _, bodies = zip(*rows, strict=True)
        self._exec(
            "INSERT INTO rm_statement_text (statement_id, occurred_key, position, body)"
            " SELECT s.id, s.occurred_key, s.position, p.body"
            " FROM unnest(%b::text[], %b::text[]) AS p(statement_id, body)"
            " JOIN rm_statements s ON s.id = p.statement_id"
            " ON CONFLICT (statement_id) DO NOTHING",
            [list(ids), list(bodies)],
        )

    def _delete_statement_rows(self, table: str, ids: list[str]) -> None:
        # One statement text whatever the count.
        self._exec(f"DELETE FROM {table} WHERE statement_id = ANY(%b::text[])", (ids,))

    def _live_actors(self, ids: list[str]) -> list[tuple[Any, ...]]:
        ask = "a.statement_id = ANY(%b::text[])"
        return list(self._exec(self.LIVE_ACTORS.format(ids=ask), (ids,)).fetchall())

    def _place_related(self, pairs: list[tuple[str, str]]) -> None:
        table = "unnest(%b::text[], %b::text[]) AS p(track_id, statement_id)"
        tracks, statements = zip(*pairs, strict=True)
        self._exec(self.PLACE_RELATED.format(pairs=table), [list(tracks), list(statements)])

    def announce(self, position: int, track_ids: Collection[str] | None) -> None:
        # Only the live tables are announced: a rebuild's copy is announced by its swap.
        if self._store.prefix == "rm_":
            self._cur.execute(
                "SELECT pg_notify(%s, %s)",
                (self._store.channel, announcement(position, track_ids)),
            )


class PostgresReadModel(ReadModelStore):
    placeholder = "%s"
    tx_class = PostgresTx
    store_ddl = _TEXT_DDL
    store_current_ddl = _TEXT_ORDER_DDL
    text_columns = tuple(TEXT_COLUMNS)
    text_join = " JOIN rm_statement_text x ON x.statement_id = s.id"

    def __init__(self, config: StoreConfig, *, pool_size: int = 5) -> None:
        assert config.pg_conninfo is not None
        self._config = config
        self.channel = changes_channel(config.pg_schema)  # where changes are announced
        kwargs = dict(config.pg_conninfo)
        kwargs["options"] = f"-c search_path={config.pg_schema}"
        # Reads are single SELECTs: in autocommit each is its own transaction, one round
        # trip instead of BEGIN / SELECT / COMMIT. Writes open a transaction explicitly.
        kwargs["autocommit"] = True
        self._pool = ConnectionPool(
            kwargs=kwargs,
            min_size=1,
            max_size=pool_size,
            open=False,
            timeout=5,
            check=ConnectionPool.check_connection,
        )
        try:
            self._pool.open(wait=True, timeout=10)
        except Exception as e:
            raise postgres_unavailable(config, e) from e
        sweep_dead_connections(self._pool)

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Any]:
        try:
            with self._pool.connection() as conn:
                if write:
                    with conn.transaction():
                        yield conn
                else:
                    yield conn
        except (PoolTimeout, psycopg.OperationalError) as e:
            # The driver's message can quote SQL; clients get the kind of failure only.
            raise StoreUnavailable(f"PostgreSQL is unreachable ({type(e).__name__})") from e

    def close(self) -> None:
        self._pool.close()

    def _text_filter(self, query: SearchQuery) -> tuple[str, list[Any]]:
        return (
            "x.doc @@ to_tsquery('simple', ?)",
            [to_tsquery(query)],
        )

    def refresh_statistics(self) -> None:
        """ANALYZE the tables the reads filter and order: without statistics (autovacuum
        off, or not yet come by after a bulk write) the planner guesses a few rows per
        condition, and read and sorted tens of thousands of rows for a page that an index
        gives in order (benchmarks/README.md, S1)."""
        with self._connection(write=True) as conn:
            conn.execute(self.sql(f"ANALYZE {', '.join(_ANALYZED)}"))

    def _one_snapshot(self, tx: ReadModelTx) -> None:
        tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    def _rename_indexes(self, tx: ReadModelTx, prefix: str) -> None:
        # Primary-key indexes too; renaming one renames its constraint.
        n = len(prefix)
        rows = tx.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
            " AND left(indexname, ?) = ?",
            (n, prefix),
        ).fetchall()
        for (name,) in rows:
            tx.execute(f'ALTER INDEX "{name}" RENAME TO "rm_{name[n:]}"')

    @contextmanager
    def bulk_writer(self) -> Iterator[Append]:
        """COPY on a connection of its own, everything in one transaction. (The pooled write
        transactions are pipelined for the projector, and COPY cannot run in a pipeline.)"""
        config = self._config
        assert config.pg_conninfo is not None
        with psycopg.connect(
            **config.pg_conninfo, options=f"-c search_path={config.pg_schema}"
        ) as conn:
            cursor = conn.cursor()

            def append(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
                names = ", ".join(columns)
                with cursor.copy(self.sql(f"COPY {table} ({names}) FROM STDIN")) as copy:
                    for row in rows:
                        copy.write_row(row)

            with _indexes_deferred(cursor, [self.sql(t) for t in _LARGE_TABLES]):
                yield append
            # Leaving the connection's block commits, or rolls everything back on an error.


@contextmanager
def _indexes_deferred(cursor: Any, tables: list[str]) -> Iterator[None]:
    """Drop the tables' indexes (primary keys too) and make them again afterwards: building
    an index over all rows at once cost the server a third less than keeping it up to date
    row by row (100k statements with their topics: 1.3 s of server CPU instead of 2.1 s)."""
    indexes = cursor.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid), t.relname, c.conname"
        " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
        " JOIN pg_class t ON t.oid = x.indrelid"
        " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype = 'p'"
        " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%s)",
        (tables,),
    ).fetchall()
    for index, _, table, constraint in indexes:
        if constraint is not None:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
        else:
            cursor.execute(f'DROP INDEX "{index}"')
    yield
    for index, definition, table, constraint in indexes:
        cursor.execute(definition)
        if constraint is not None:
            cursor.execute(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}"'
                f' PRIMARY KEY USING INDEX "{index}"'
            )
