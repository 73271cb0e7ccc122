"""`NTRACK_DATABASE_URL` -> the eventsourcing library's environment, in one place."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class StoreConfigError(ValueError):
    """NTRACK_DATABASE_URL cannot be understood."""


class StoreUnavailable(RuntimeError):
    """The store is configured but cannot be reached."""


@dataclass(frozen=True)
class StoreConfig:
    kind: str  # "sqlite" | "postgres" | "memory"
    library_env: dict[str, str]
    sqlite_path: str | None = None
    pg_conninfo: dict[str, Any] | None = None
    pg_schema: str = "public"
    memory_name: str | None = None


def parse_database_url(url: str, *, pool_size: int = 5) -> StoreConfig:
    if url.startswith("memory://"):
        name = url[len("memory://") :] or "ntrack"
        return StoreConfig("memory", {"PERSISTENCE_MODULE": "eventsourcing.popo"}, memory_name=name)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path:
            raise StoreConfigError("sqlite URL needs a file path: sqlite:///./ntrack.sqlite3")
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise StoreConfigError(f"the folder for the SQLite file does not exist: {parent}")
        return StoreConfig(
            "sqlite",
            {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": path,
                "SQLITE_LOCK_TIMEOUT": "10",
            },
            sqlite_path=path,
        )
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, pool_size)
    raise StoreConfigError(
        f"unsupported NTRACK_DATABASE_URL {_redact(url)!r}: use sqlite:///PATH, "
        "postgresql://user:pass@host:port/db or memory://"
    )


def _postgres(url: str, pool_size: int) -> StoreConfig:
    parts = urlsplit(url)
    try:
        port = str(parts.port or 5432)
    except ValueError as e:
        raise StoreConfigError(f"bad port in {_redact(url)!r}") from e
    dbname = unquote(parts.path.lstrip("/"))
    if not dbname or not parts.hostname:
        raise StoreConfigError(f"postgresql URL needs a host and a database: {_redact(url)!r}")
    schema = parse_qs(parts.query).get("schema", ["public"])[0]
    if not _SCHEMA_NAME.match(schema):
        raise StoreConfigError(f"bad schema name {schema!r}")
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    env = {
        "PERSISTENCE_MODULE": "infra.pgstore:PostgresStore",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(pool_size),
        "POSTGRES_MAX_OVERFLOW": "0",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_PRE_PING": "y",
        "POSTGRES_LOCK_TIMEOUT": "10",
    }
    conninfo: dict[str, Any] = {
        "dbname": dbname,
        "host": parts.hostname,
        "port": port,
        "user": user,
        "password": password,
        "connect_timeout": "5",
    }
    return StoreConfig("postgres", env, pg_conninfo=conninfo, pg_schema=schema)


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def shown_url(url: str) -> str:
    """The store as a user should see it: a SQLite file by its absolute path (a relative
    one depends on the folder a command runs in), PostgreSQL without its password."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return "sqlite:///" + str(Path(url[len("sqlite:///") :]).expanduser().resolve())
    return _redact(url)


def postgres_unavailable(config: StoreConfig, error: Exception) -> StoreUnavailable:
    """A failed connection, as what to change: the server is not where the URL says, it
    refuses the user, or it has no such database. Each names NTRACK_DATABASE_URL, the one
    setting that decides all three."""
    assert config.pg_conninfo is not None
    info = config.pg_conninfo
    where = f"{info['host']}:{info['port']}"
    # psycopg gives no SQLSTATE for a refused connection: its text is all there is.
    driver = " ".join(str(error).split()) or type(error).__name__
    if 'database "' in driver and "does not exist" in driver:
        advice = (
            f"PostgreSQL at {where} has no database {info['dbname']!r}: create it "
            f"(createdb -h {info['host']} -p {info['port']} -U {info['user']} "
            f"{info['dbname']}) or name an existing one in NTRACK_DATABASE_URL"
        )
    elif any(
        words in driver
        for words in ("password authentication failed", 'role "', "no pg_hba.conf entry")
    ):
        advice = (
            f"PostgreSQL at {where} refuses the user {info['user']!r}: correct the "
            "user:password@ part of NTRACK_DATABASE_URL"
        )
    else:
        advice = (
            f"cannot reach PostgreSQL at {where}: start the server, or point "
            "NTRACK_DATABASE_URL (or --database-url) at the host and port where it runs"
        )
    return StoreUnavailable(f"{advice} [{driver}]")


def ensure_postgres_schema(config: StoreConfig) -> None:
    """The library never creates a schema; do it here so a fresh database just works."""
    import psycopg

    assert config.pg_conninfo is not None
    try:
        # IF NOT EXISTS is not safe against a concurrent CREATE: processes started together
        # on a fresh schema race here, and the loser finds the schema made.
        with (
            psycopg.connect(**config.pg_conninfo, autocommit=True) as conn,
            contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.DuplicateSchema),
        ):
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{config.pg_schema}"')
    except psycopg.Error as e:
        raise postgres_unavailable(config, e) from e
