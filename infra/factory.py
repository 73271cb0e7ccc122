"""One factory for the store's adapters: `open_stores(settings)` reads the configured store
kind, here and nowhere else, and returns what the application needs of it (the protocols of
`services.ports`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.readmodel.common import ReadModelStore
from infra.readmodel.sqlite import SQLiteReadModel
from infra.settings import Settings
from infra.stores import StoreConfig, StoreConfigError, parse_database_url
from infra.tokenstore import TokenStore

if TYPE_CHECKING:
    from infra.pgadmin import PostgresStores


class LocalStores:
    """A SQLite file, or memory:// (the library's in-memory store and an in-memory SQLite
    read model). One process at a time writes: no election, no NOTIFY, no connection budget."""

    def __init__(self, config: StoreConfig) -> None:
        self.config = config
        self.library_env = config.library_env
        self.keeps_data = config.kind != "memory"

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        yield

    def exists(self, application_name: str) -> bool:
        """The SQLite file is there and holds the event table (the library's SQLite recorder
        calls it stored_events whatever the application), looked at read-only so that
        nothing is created; memory:// always is."""
        if self.config.sqlite_path is None:
            return True
        path = Path(self.config.sqlite_path).expanduser()
        if not path.is_file():
            return False
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                row = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'stored_events'"
                ).fetchone()
        except sqlite3.DatabaseError as e:
            raise StoreConfigError(f"{path.resolve()} is not an SQLite store: {e}") from e
        return row is not None

    def open_read_model(self) -> SQLiteReadModel:
        if self.config.sqlite_path is not None:
            store = SQLiteReadModel(self.config.sqlite_path)
        else:
            name = self.config.memory_name
            store = SQLiteReadModel(f"file:rm_{name}?mode=memory&cache=shared", uri=True)
        store.create_tables()
        return store

    def adopt_event_store(self, recorder: Any) -> None:
        pass

    def election(self, projection: str) -> None:
        return None

    def wake_ups(self, application_name: str) -> None:
        return None

    def change_feed(self) -> None:
        return None  # without announcements a cache could serve stale documents

    def token_store(self, read_model: Any) -> TokenStore:
        assert isinstance(read_model, ReadModelStore)
        return TokenStore(read_model)

    def connection_limits(self) -> None:
        return None


def open_stores(settings: Settings) -> LocalStores | PostgresStores:
    """The adapters for `settings.database_url`; connects to nothing yet. Raises
    StoreConfigError for a URL it cannot use."""
    config = parse_database_url(settings.database_url, pool_size=settings.pool_size)
    if config.kind == "postgres":
        from infra.pgadmin import PostgresStores  # psycopg is loaded only for PostgreSQL

        return PostgresStores(config, pool_size=settings.pool_size)
    return LocalStores(config)
