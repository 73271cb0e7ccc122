"""The composition root: settings -> store -> application, read model and projector."""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eventsourcing.persistence import PersistenceError

from infra.encryption import check_readable, cipher_env
from infra.readmodel import ReadModelStore, open_read_model
from infra.settings import Settings
from infra.stores import (
    StoreConfig,
    StoreConfigError,
    StoreUnavailable,
    ensure_postgres_schema,
    parse_database_url,
)
from services.application import TrackerApp
from services.projections.checkpoint_writer import CheckpointWriter
from services.projections.projector import PROJECTION, Projector, ProjectorRunner

if TYPE_CHECKING:
    from services.api.document_cache import TrackDocumentCache

log = logging.getLogger(__name__)


@dataclass
class Tracker:
    """Everything one process needs, built once and closed on shutdown."""

    settings: Settings
    config: StoreConfig
    app: TrackerApp
    read_model: ReadModelStore
    runner: ProjectorRunner | None = None

    def checkpoint_writer(self) -> CheckpointWriter | None:
        """What writes view checkpoints (for the projector, or a backfill), unless off."""
        interval = self.settings.checkpoint_interval
        return CheckpointWriter(self.app, interval) if interval else None

    def projector(self) -> Projector:
        """The projector, writing view checkpoints as it goes (if they are on)."""
        return Projector(self.app, self.read_model, checkpoints=self.checkpoint_writer())

    def start_projector(self) -> ProjectorRunner:
        projector = self.projector()
        election = listener = None
        if self.config.kind == "postgres":
            from infra.coordination import AdvisoryLockElection, NotifyListener

            assert self.config.pg_conninfo is not None
            election = AdvisoryLockElection(
                self.config.pg_conninfo, f"{self.config.pg_schema}.{PROJECTION}"
            )
            listener = NotifyListener(self.config.pg_conninfo, f"{self.app.name}_events")
        self.runner = ProjectorRunner(
            projector,
            poll_seconds=self.settings.projector_poll_seconds,
            election=election,
            listener=listener,
            min_batch_seconds=self.settings.projector_min_batch_seconds,
        )
        self.runner.start()
        return self.runner

    def document_cache(self) -> TrackDocumentCache | None:
        """A started cache of rendered track documents for an API process (PostgreSQL only:
        SQLite has no NOTIFY to keep it true), or None."""
        if self.config.kind != "postgres" or not self.settings.document_cache_mb:
            return None
        from services.api.document_cache import TrackDocumentCache

        assert self.config.pg_conninfo is not None and self.read_model.channel is not None
        cache = TrackDocumentCache(
            self.config.pg_conninfo,
            self.read_model.channel,
            self.settings.document_cache_mb * 1024 * 1024,
            lambda: self.read_model.position(PROJECTION),
        )
        cache.start()
        return cache

    def after_write(self) -> None:
        """Wake the in-process projector so a write shows up in reads without a poll delay."""
        if self.runner is not None:
            self.runner.wake()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.read_model.close()
        self.app.close()


def build(settings: Settings) -> Tracker:
    """Raises StoreConfigError for a bad URL and StoreUnavailable for an unreachable store."""
    config = parse_database_url(settings.database_url, pool_size=settings.pool_size)
    if config.kind == "postgres":
        ensure_postgres_schema(config)
    with _table_creation_lock(config):
        tracker = _open(settings, config)
    if config.kind == "postgres":
        from infra.coordination import sweep_dead_connections

        sweep_dead_connections(tracker.app.recorder.datastore.pool)
        sweep_dead_connections(tracker.read_model._pool)  # type: ignore[attr-defined]
    return tracker


@contextmanager
def _table_creation_lock(config: StoreConfig) -> Iterator[None]:
    """Processes started together on a fresh PostgreSQL schema would race on CREATE TABLE IF
    NOT EXISTS (a duplicate-key error on pg_type): one at a time creates or finds the tables."""
    if config.kind != "postgres":
        yield
        return
    import psycopg

    assert config.pg_conninfo is not None
    key = zlib.crc32(f"ntrack:tables:{config.pg_schema}".encode())
    try:
        conn = psycopg.connect(**config.pg_conninfo, autocommit=True)
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
    except psycopg.Error as e:
        raise StoreUnavailable(f"cannot reach PostgreSQL: {e}") from e
    try:
        yield
    finally:
        conn.close()  # ends the session, which releases the lock


def _open(settings: Settings, config: StoreConfig) -> Tracker:
    env = dict(config.library_env)
    if settings.aggregate_cache_size:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    env.update(cipher_env(settings.encryption_key))
    try:
        app = TrackerApp(env, snapshot_interval=settings.snapshot_interval)
    except PersistenceError as e:
        raise StoreUnavailable(f"cannot open the event store: {e}") from e
    try:
        check_readable(app, encrypted=bool(settings.encryption_key))
        read_model = open_read_model(config, pool_size=settings.pool_size)
    except Exception:
        app.close()
        raise
    return Tracker(settings, config, app, read_model)


# -- connection budget (docs/operations.md) ----------------------------------------------

PROJECTOR_CONNECTIONS = 2  # the advisory-lock session and the LISTEN connection
DOCUMENT_CACHE_CONNECTIONS = 1  # an API process's LISTEN for read-model changes


class ConnectionBudgetExceeded(StoreConfigError):
    """The processes to start would open more PostgreSQL connections than the server allows."""


def connections_per_process(settings: Settings, *, projector: bool, api: bool = False) -> int:
    """At most: the event-store pool and the read-model pool (`pool_size` each); where a
    projector runs, its election session and its LISTEN connection; in an API process with
    a document cache, the cache's LISTEN connection."""
    return (
        2 * settings.pool_size
        + (PROJECTOR_CONNECTIONS if projector else 0)
        + (DOCUMENT_CACHE_CONNECTIONS if api and settings.document_cache_mb else 0)
    )


def check_connection_budget(
    settings: Settings, *, processes: int, projector: bool, api: bool = False
) -> None:
    """Refuse to start `processes` processes that together could exceed PostgreSQL's
    `max_connections` less its reserved slots and `connection_reserve`. No-op off PostgreSQL."""
    config = parse_database_url(settings.database_url, pool_size=settings.pool_size)
    if config.kind != "postgres":
        return
    import psycopg

    assert config.pg_conninfo is not None
    try:
        with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
            row = conn.execute(
                "SELECT current_setting('max_connections')::int,"
                " current_setting('superuser_reserved_connections')::int,"
                " coalesce(current_setting('reserved_connections', true), '0')::int"
            ).fetchone()
    except psycopg.Error as e:
        raise StoreUnavailable(f"cannot reach PostgreSQL to check max_connections: {e}") from e
    assert row is not None
    max_connections, superuser_reserved, reserved = row
    available = max_connections - superuser_reserved - reserved - settings.connection_reserve
    each = connections_per_process(settings, projector=projector, api=api)
    needed = processes * each
    if needed > available:
        parts = f"2 pools × NTRACK_POOL_SIZE={settings.pool_size}"
        if projector:
            parts += f" + {PROJECTOR_CONNECTIONS} for the projector"
        if api and settings.document_cache_mb:
            parts += f" + {DOCUMENT_CACHE_CONNECTIONS} for the document cache"
        raise ConnectionBudgetExceeded(
            f"{processes} process(es) × {each} connections ({parts}) = {needed} PostgreSQL "
            f"connections, but max_connections={max_connections} less "
            f"{superuser_reserved + reserved} reserved slots and "
            f"NTRACK_CONNECTION_RESERVE={settings.connection_reserve} leaves {available}: "
            "use fewer --workers, a smaller NTRACK_POOL_SIZE, or raise max_connections "
            "(see docs/operations.md)"
        )
