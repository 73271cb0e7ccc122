"""The read model in SQLite (a file, or a shared-cache in-memory database for memory://)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from domain.search import SearchQuery, to_fts5
from infra.readmodel.common import ReadModelStore
from infra.readmodel.schema import TEXT_COLUMNS
from infra.readmodel.writes import ReadModelTx
from services.ports import Append

T = TypeVar("T")
_TABLE_LOCK_RETRIES = 400  # x 5 ms: a shared-cache read waits up to 2 s for a write
ROWS_PER_STATEMENT = 200  # rows per multi-row INSERT (SQLite allows 32,766 parameters)
CHUNK = 5000  # rows per write transaction of a rebuild: the write lock is held only briefly


# The search text: an FTS5 table whose rowid is the statement's commit position, so the
# projector finds a statement's text by rowid (a search on the UNINDEXED statement_id would
# read the whole table) and a match joins rm_statements on its position.
_TEXT_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS rm_statement_text USING fts5("
    "statement_id UNINDEXED, body, tokenize = 'unicode61')"
)
# Inserts the text of statements that have none yet, `{texts}` being a table of parameters
# in TEXT_COLUMNS (only the id and body are kept: FTS5 has no order index to serve); the
# rowid comes from the statement's row, written before.
_INSERT_TEXTS = (
    "INSERT INTO rm_statement_text (rowid, statement_id, body)"
    " SELECT s.position, s.id, p.body FROM {texts} JOIN rm_statements s ON s.id = p.statement_id"
    " WHERE NOT EXISTS (SELECT 1 FROM rm_statement_text t WHERE t.rowid = s.position)"
)


def _values(rows: Sequence[Sequence[Any]], *names: str) -> str:
    """A VALUES table of `rows` with its columns named (SQLite names them column1, …)."""
    values = ",".join(["(" + ",".join("?" * len(names)) + ")"] * len(rows))
    columns = ", ".join(f"column{n} AS {name}" for n, name in enumerate(names, 1))
    return f"(SELECT {columns} FROM (VALUES {values})) AS p"


class SQLiteTx(ReadModelTx):
    def _insert_rows(
        self, table: str, columns: dict[str, str], rows: Sequence[Sequence[Any]], tail: str = ""
    ) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        group = "(" + ",".join("?" * len(columns)) + ")"  # VALUES (…),(…)
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            self._exec(
                f"INSERT INTO {table} ({names}) VALUES {','.join([group] * len(chunk))} {tail}",
                [value for row in chunk for value in row],
            )

    def _delete_statement_rows(self, table: str, ids: list[str]) -> None:
        for start in range(0, len(ids), ROWS_PER_STATEMENT):
            chunk = ids[start : start + ROWS_PER_STATEMENT]
            marks = ",".join("?" * len(chunk))
            if table == "rm_statement_text":  # by rowid: see _TEXT_DDL
                where = f"rowid IN (SELECT position FROM rm_statements WHERE id IN ({marks}))"
            else:
                where = f"statement_id IN ({marks})"
            self._exec(f"DELETE FROM {table} WHERE {where}", chunk)

    def _live_actors(self, ids: list[str]) -> list[tuple[Any, ...]]:
        found = []
        for start in range(0, len(ids), ROWS_PER_STATEMENT):
            chunk = ids[start : start + ROWS_PER_STATEMENT]
            ask = f"a.statement_id IN ({','.join('?' * len(chunk))})"
            found += self._exec(self.LIVE_ACTORS.format(ids=ask), chunk).fetchall()
        return found

    def _insert_texts(self, rows: list[tuple[Any, ...]]) -> None:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            texts = _values(chunk, *TEXT_COLUMNS)
            self._exec(_INSERT_TEXTS.format(texts=texts), [v for row in chunk for v in row])

    def _place_related(self, pairs: list[tuple[str, str]]) -> None:
        for start in range(0, len(pairs), ROWS_PER_STATEMENT):
            chunk = pairs[start : start + ROWS_PER_STATEMENT]
            table = _values(chunk, "track_id", "statement_id")
            self._exec(
                self.PLACE_RELATED.format(pairs=table), [value for pair in chunk for value in pair]
            )


class SQLiteReadModel(ReadModelStore):
    """One connection per thread: sqlite3 connections are cheap and not thread-safe."""

    tx_class = SQLiteTx
    store_ddl = (_TEXT_DDL,)

    def __init__(self, path: str, *, uri: bool = False) -> None:
        self._path = path
        self._uri = uri
        self._local = threading.local()
        self._keepalive: sqlite3.Connection | None = None
        if uri:  # an in-memory database lives only while a connection holds it
            self._keepalive = self._connect()

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # An in-memory database (memory:// URLs) is shared between connections through
        # SQLite's shared cache, which locks whole tables: a read that meets the projector's
        # write fails at once with "database table is locked" (SQLITE_LOCKED), which the
        # busy timeout does not cover. Wait for the write to end instead.
        return _waiting_out_table_locks(lambda: super(SQLiteReadModel, self).fetch(sql, params))

    def _text_filter(self, query: SearchQuery) -> tuple[str, list[Any]]:
        return (
            "s.position IN (SELECT rowid FROM rm_statement_text WHERE rm_statement_text MATCH ?)",
            [to_fts5(query)],
        )

    def run(self, cursor: Any, sql: str, params: Sequence[Any]) -> Any:
        # The same the other way round: readers in a tight loop kept the projector's writes
        # failing, and its batch retried with back-off. A failed statement leaves SQLite's
        # transaction open, so it is simply tried again.
        return _waiting_out_table_locks(lambda: cursor.execute(sql, params))

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._path, uri=self._uri, timeout=30, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA busy_timeout=30000")
        if not self._uri:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        if conn.in_transaction:  # nested use inside a transaction on this thread
            yield conn
            return
        # Writers take the lock up front, so two writers never deadlock on an upgrade.
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def bulk_writer(self) -> Iterator[Append]:
        """INSERTs in transactions of CHUNK rows: SQLite has one writer, and the live
        projector (or an API write, on a shared file) should not wait long for it."""

        def append(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
            sql = (
                f"INSERT INTO {table} ({', '.join(columns)})"
                f" VALUES ({','.join('?' * len(columns))})"
            )
            if table == "rm_statement_text":  # its rowids: see _TEXT_DDL
                sql = _INSERT_TEXTS.format(texts=_values([columns], *columns))
            for chunk in _chunks(rows, CHUNK):
                with self.transaction() as tx:
                    for row in chunk:
                        tx.execute(sql, row)

        yield append

    def _rename_indexes(self, tx: ReadModelTx, prefix: str) -> None:
        # SQLite cannot rename an index: recreate it from its own DDL under the live name.
        # (Primary-key autoindexes have no SQL and follow the table's rename by themselves.)
        rows = tx.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
            " AND sql IS NOT NULL AND substr(name, 1, ?) = ?",
            (len(prefix), prefix),
        ).fetchall()
        for name, ddl in rows:
            tx.execute(f'DROP INDEX "{name}"')
            tx.execute(ddl.replace(prefix, "rm_"))


def _waiting_out_table_locks(call: Callable[[], T]) -> T:
    for attempt in range(_TABLE_LOCK_RETRIES):
        try:
            return call()
        except sqlite3.OperationalError as e:
            if "table is locked" not in str(e) or attempt == _TABLE_LOCK_RETRIES - 1:
                raise
            time.sleep(0.005)
    raise AssertionError("unreachable")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
