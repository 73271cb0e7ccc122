"""The adapters of a PostgreSQL store, and the one-off sessions they need at start-up."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from infra.coordination import (
    AdvisoryLockElection,
    ChangeFeed,
    NotifyListener,
    sweep_dead_connections,
)
from infra.readmodel.common import ReadModelStore
from infra.readmodel.postgres import PostgresReadModel, changes_channel
from infra.stores import StoreConfig, ensure_postgres_schema, postgres_unavailable
from infra.tokenstore import TokenStore
from services.ports import ConnectionLimits


class PostgresStores:
    keeps_data = True

    def __init__(self, config: StoreConfig, *, pool_size: int) -> None:
        assert config.pg_conninfo is not None
        self.config = config
        self.library_env = config.library_env
        self._conninfo = config.pg_conninfo
        self._pool_size = pool_size

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        """The library never creates a schema: make it. Then, processes started together on
        a fresh schema would race on CREATE TABLE IF NOT EXISTS (a duplicate-key error on
        pg_type): one at a time creates or finds the tables."""
        ensure_postgres_schema(self.config)
        key = zlib.crc32(f"ntrack:tables:{self.config.pg_schema}".encode())
        try:
            conn = psycopg.connect(**self._conninfo, autocommit=True)
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        except psycopg.Error as e:
            raise postgres_unavailable(self.config, e) from e
        try:
            yield
        finally:
            conn.close()  # ends the session, which releases the lock

    def exists(self, application_name: str) -> bool:
        """The schema holds the application's event table (the library names it so). Only
        reads: the schema is made by `creating_tables`, never here."""
        table = f'"{self.config.pg_schema}".{application_name}_events'
        try:
            with psycopg.connect(**self._conninfo, autocommit=True) as conn:
                row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()
        except psycopg.Error as e:
            raise postgres_unavailable(self.config, e) from e
        return bool(row and row[0])

    def open_read_model(self) -> PostgresReadModel:
        store = PostgresReadModel(self.config, pool_size=self._pool_size)
        store.create_tables()
        return store

    def adopt_event_store(self, recorder: Any) -> None:
        sweep_dead_connections(recorder.datastore.pool)

    def election(self, projection: str) -> AdvisoryLockElection:
        return AdvisoryLockElection(self._conninfo, f"{self.config.pg_schema}.{projection}")

    def wake_ups(self, application_name: str) -> NotifyListener:
        # The library's recorder notifies this channel at every commit of events.
        return NotifyListener(self._conninfo, f"{application_name}_events")

    def change_feed(self) -> ChangeFeed:
        return ChangeFeed(self._conninfo, changes_channel(self.config.pg_schema))

    def token_store(self, read_model: Any) -> TokenStore:
        assert isinstance(read_model, ReadModelStore)
        return TokenStore(read_model)

    def connection_limits(self) -> ConnectionLimits:
        try:
            with psycopg.connect(**self._conninfo, autocommit=True) as conn:
                row = conn.execute(
                    "SELECT current_setting('max_connections')::int,"
                    " current_setting('superuser_reserved_connections')::int,"
                    " coalesce(current_setting('reserved_connections', true), '0')::int"
                ).fetchone()
        except psycopg.Error as e:
            raise postgres_unavailable(self.config, e) from e
        assert row is not None
        max_connections, superuser_reserved, reserved = row
        return ConnectionLimits(max_connections, superuser_reserved + reserved)
