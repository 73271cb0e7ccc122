"""Read-model tables (track summaries, statement timeline, demand board) for SQLite and
PostgreSQL. The SQL is shared; the two stores differ only in how a connection is had and
how a parameter is written. The projector writes rows and its tracking position in one
transaction, so each event is applied exactly once, also across crashes.
"""

from __future__ import annotations

import copy
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from infra.stores import StoreConfig, StoreUnavailable

_DDL = [
    """CREATE TABLE IF NOT EXISTS rm_tracking (
        projection TEXT PRIMARY KEY, position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rm_tracks (
        id TEXT PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
        last_activity_at TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL,
        state TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rm_track_parties (
        track_id TEXT NOT NULL, party TEXT NOT NULL, PRIMARY KEY (track_id, party))""",
    """CREATE TABLE IF NOT EXISTS rm_statements (
        id TEXT PRIMARY KEY, track_id TEXT NOT NULL, version INTEGER NOT NULL,
        type TEXT NOT NULL, party TEXT NOT NULL, occurred_key TEXT NOT NULL,
        retracted INTEGER NOT NULL, status TEXT, view TEXT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS rm_statements_timeline
        ON rm_statements (track_id, occurred_key, version)""",
    """CREATE TABLE IF NOT EXISTS rm_statement_topics (
        statement_id TEXT NOT NULL, track_id TEXT NOT NULL, topic TEXT NOT NULL,
        PRIMARY KEY (statement_id, topic))""",
    """CREATE INDEX IF NOT EXISTS rm_statement_topics_by_topic
        ON rm_statement_topics (track_id, topic)""",
]

# The columns the projector writes (and a rebuild copies), with their PostgreSQL types.
TRACK_COLUMNS = {
    "id": "text",
    "slug": "text",
    "kind": "text",
    "status": "text",
    "last_activity_at": "text",
    "version": "integer",
    "position": "bigint",
    "state": "text",
}
PARTY_COLUMNS = {"track_id": "text", "party": "text"}
STATEMENT_COLUMNS = {
    "id": "text",
    "track_id": "text",
    "version": "integer",
    "type": "text",
    "party": "text",
    "occurred_key": "text",
    "retracted": "integer",
    "status": "text",
    "view": "text",
}
TOPIC_COLUMNS = {"statement_id": "text", "track_id": "text", "topic": "text"}
_TABLE_LOCK_RETRIES = 400  # x 5 ms: a shared-cache read waits up to 2 s for a write
T = TypeVar("T")
ROWS_PER_STATEMENT = 200  # rows per multi-row INSERT (SQLite allows 32,766 parameters)

TABLES = ("rm_tracks", "rm_track_parties", "rm_statements", "rm_statement_topics")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# -- change announcements (PostgreSQL NOTIFY; services.api.document_cache listens) -------------

EVERYTHING = "*"


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


@dataclass(frozen=True)
class TimelineFilter:
    type: str | None = None
    party: str | None = None
    topic: str | None = None
    since_key: str | None = None
    until_key: str | None = None
    include_retracted: bool = False
    after: tuple[str, int] | None = None  # cursor: (occurred_key, version)
    limit: int = 100


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
        """Insert many rows in one statement per chunk: `columns` maps each column to its
        PostgreSQL type. (executemany costs a protocol message and driver bookkeeping per
        row: for a live projector's small batches that was most of its CPU.)"""
        if not rows:
            return
        names = ", ".join(columns)
        if self._store.placeholder == "?":  # SQLite: VALUES (…),(…)
            group = "(" + ",".join("?" * len(columns)) + ")"
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                self._exec(
                    f"INSERT INTO {table} ({names}) VALUES {','.join([group] * len(chunk))} {tail}",
                    [value for row in chunk for value in row],
                )
            return
        # PostgreSQL: one array per column, so the statement's text is the same for any
        # number of rows (psycopg parses every new query text for placeholders: a VALUES
        # list of 200 rows cost 5 ms of it).
        # `%b` (left alone by `sql()`, which rewrites `?`): the arrays go in binary; as text,
        # psycopg escapes every element with a regular expression (most of a large batch's CPU).
        arrays = ", ".join(f"%b::{kind}[]" for kind in columns.values())
        self._exec(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) {tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def upsert_tracks(self, rows: list[tuple[dict[str, Any], int]]) -> None:
        """Write track documents (state, position)."""
        self._insert_rows(
            "rm_tracks",
            TRACK_COLUMNS,
            [
                (
                    state["id"],
                    state["slug"],
                    state["kind"],
                    state["status"],
                    state["last_activity_at"],
                    state["version"],
                    position,
                    dumps(state),
                )
                for state, position in rows
            ],
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
        self, rows: list[tuple[dict[str, Any], str]], changed_topics: Collection[str] | None = None
    ) -> None:
        """Write statement views (with their timeline keys) and their topics. Topics change
        only when a statement is corrected: `changed_topics` names those whose old topic
        rows go first (None: every row's), and the rest only add what is missing, so a
        batch without corrections skips a DELETE round trip."""
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
                )
                for v, key in rows
            ],
            "ON CONFLICT (id) DO UPDATE SET"
            " party=excluded.party, occurred_key=excluded.occurred_key,"
            " retracted=excluded.retracted, status=excluded.status, view=excluded.view",
        )
        stale = [v["id"] for v, _ in rows] if changed_topics is None else list(changed_topics)
        if stale:
            self._delete_topics(stale)
        self._insert_rows(
            "rm_statement_topics",
            TOPIC_COLUMNS,
            [
                (v["id"], v["track_id"], topic)
                for v, _ in rows
                for topic in dict.fromkeys(v.get("topics") or [])
            ],
            "ON CONFLICT (statement_id, topic) DO NOTHING",
        )

    def _delete_topics(self, ids: list[str]) -> None:
        if self._store.placeholder != "?":  # one statement text whatever the count
            self._exec(
                "DELETE FROM rm_statement_topics WHERE statement_id = ANY(%b::text[])", (ids,)
            )
            return
        for start in range(0, len(ids), ROWS_PER_STATEMENT):
            chunk = ids[start : start + ROWS_PER_STATEMENT]
            self._exec(
                "DELETE FROM rm_statement_topics WHERE statement_id IN"
                f" ({','.join('?' * len(chunk))})",
                chunk,
            )

    def announce(self, position: int, track_ids: Collection[str] | None) -> None:
        """Tell API processes' document caches, at commit, which tracks changed (None: all).
        Only the live tables are announced; SQLite has no one to tell."""
        channel = self._store.channel
        if channel is not None and self._store.prefix == "rm_":
            self._cur.execute(
                "SELECT pg_notify(%s, %s)", (channel, announcement(position, track_ids))
            )

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


class ReadModelStore:
    placeholder = "?"
    # Tables are written `rm_*` in the SQL; a sibling store with another prefix holds a
    # second copy of the read model (rebuilds build beside the live one, then swap).
    prefix = "rm_"
    channel: str | None = None  # where changes are announced (PostgreSQL)

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

    def create_tables(self) -> None:
        with self._connection(write=True) as conn:
            cur = conn.cursor()
            for ddl in _DDL:
                cur.execute(self.sql(ddl))

    def drop_tables(self) -> None:
        with self._connection(write=True) as conn:
            cur = conn.cursor()
            for table in (*TABLES, "rm_tracking"):
                cur.execute(self.sql(f"DROP TABLE IF EXISTS {table}"))

    # -- writes ------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[ReadModelTx]:
        with self._connection(write=True) as conn:
            yield ReadModelTx(self, conn.cursor())

    # -- reads --------------------------------------------------------------------------------

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            cur = conn.cursor()
            cur.execute(self.sql(sql), params)
            return list(cur.fetchall())

    def position(self, projection: str) -> int:
        rows = self._fetch("SELECT position FROM rm_tracking WHERE projection=?", (projection,))
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
        rows = self._fetch(
            "SELECT t.state, p.position FROM rm_tracking p LEFT JOIN rm_tracks t ON t.id=?"
            " WHERE p.projection=?",
            (track_id, projection),
        )
        if not rows:
            return None, 0
        return rows[0][0], int(rows[0][1])

    def has_track(self, track_id: str) -> bool:
        return bool(self._fetch("SELECT 1 FROM rm_tracks WHERE id=?", (track_id,)))

    def get_track(self, track_id: str) -> dict[str, Any] | None:
        rows = self._fetch("SELECT state, position FROM rm_tracks WHERE id=?", (track_id,))
        if not rows:
            return None
        state = orjson.loads(rows[0][0])
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
        for state_json, position in self._fetch(sql, params):
            state = orjson.loads(state_json)
            state["position"] = int(position)
            items.append(state)
        return items

    def get_statement(self, track_id: str, statement_id: str) -> dict[str, Any] | None:
        rows = self._fetch(
            "SELECT view FROM rm_statements WHERE id=? AND track_id=?", (statement_id, track_id)
        )
        return orjson.loads(rows[0][0]) if rows else None

    def timeline(self, track_id: str, f: TimelineFilter) -> tuple[list[dict[str, Any]], bool]:
        """A page of statements by (occurred_at, version); and whether more follow."""
        sql = "SELECT view FROM rm_statements WHERE track_id=?"
        params: list[Any] = [track_id]
        for column, value in (("type", f.type), ("party", f.party)):
            if value is not None:
                sql += f" AND {column}=?"
                params.append(value)
        if not f.include_retracted:
            sql += " AND retracted=0"
        if f.since_key is not None:
            sql += " AND occurred_key>=?"
            params.append(f.since_key)
        if f.until_key is not None:
            sql += " AND occurred_key<=?"
            params.append(f.until_key)
        if f.topic is not None:
            sql += (
                " AND id IN (SELECT statement_id FROM rm_statement_topics"
                " WHERE track_id=? AND topic=?)"
            )
            params += [track_id, f.topic]
        if f.after is not None:
            sql += " AND (occurred_key > ? OR (occurred_key = ? AND version > ?))"
            params += [f.after[0], f.after[0], f.after[1]]
        sql += " ORDER BY occurred_key, version LIMIT ?"
        params.append(f.limit + 1)
        rows = self._fetch(sql, params)
        return [orjson.loads(r[0]) for r in rows[: f.limit]], len(rows) > f.limit

    def demands(self, track_id: str, status: str | None) -> list[dict[str, Any]]:
        sql = "SELECT view FROM rm_statements WHERE track_id=? AND type='demand' AND retracted=0"
        params: list[Any] = [track_id]
        if status is not None:
            sql += " AND status=?"
            params.append(status)
        sql += " ORDER BY occurred_key, version"
        return [orjson.loads(r[0]) for r in self._fetch(sql, params)]

    def ping(self) -> None:
        self._fetch("SELECT 1")


class SQLiteReadModel(ReadModelStore):
    """One connection per thread: sqlite3 connections are cheap and not thread-safe."""

    def __init__(self, path: str, *, uri: bool = False) -> None:
        self._path = path
        self._uri = uri
        self._local = threading.local()
        self._keepalive: sqlite3.Connection | None = None
        if uri:  # an in-memory database lives only while a connection holds it
            self._keepalive = self._connect()

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        # An in-memory database (memory:// URLs) is shared between connections through
        # SQLite's shared cache, which locks whole tables: a read that meets the projector's
        # write fails at once with "database table is locked" (SQLITE_LOCKED), which the
        # busy timeout does not cover. Wait for the write to end instead.
        return _waiting_out_table_locks(lambda: super(SQLiteReadModel, self)._fetch(sql, params))

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


class PostgresReadModel(ReadModelStore):
    placeholder = "%s"

    def __init__(self, config: StoreConfig, *, pool_size: int = 5) -> None:
        from psycopg_pool import ConnectionPool

        assert config.pg_conninfo is not None
        self.channel = changes_channel(config.pg_schema)
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
            raise StoreUnavailable(f"cannot reach PostgreSQL for the read model: {e}") from e

    @contextmanager
    def _connection(self, write: bool = False) -> Iterator[Any]:
        import psycopg
        from psycopg_pool import PoolTimeout

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


def _waiting_out_table_locks(call: Callable[[], T]) -> T:
    for attempt in range(_TABLE_LOCK_RETRIES):
        try:
            return call()
        except sqlite3.OperationalError as e:
            if "table is locked" not in str(e) or attempt == _TABLE_LOCK_RETRIES - 1:
                raise
            time.sleep(0.005)
    raise AssertionError("unreachable")


def open_read_model(config: StoreConfig, *, pool_size: int = 5) -> ReadModelStore:
    if config.kind == "postgres":
        store: ReadModelStore = PostgresReadModel(config, pool_size=pool_size)
    elif config.kind == "sqlite":
        assert config.sqlite_path is not None
        store = SQLiteReadModel(config.sqlite_path)
    else:
        store = SQLiteReadModel(f"file:rm_{config.memory_name}?mode=memory&cache=shared", uri=True)
    store.create_tables()
    return store
