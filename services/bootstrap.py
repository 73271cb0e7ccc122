"""The composition root: settings -> store -> application, read model and projector."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eventsourcing.persistence import PersistenceError

from infra.encryption import check_readable, cipher_env
from infra.factory import open_stores
from infra.settings import Settings
from infra.stores import StoreConfigError, StoreUnavailable, shown_url
from services.application import TrackerApp
from services.ports import RebuildableReadModel, Stores, TokenStore
from services.projections.checkpoint_writer import CheckpointWriter
from services.projections.projector import PROJECTION, Projector, ProjectorRunner

if TYPE_CHECKING:
    from services.api.document_cache import TrackDocumentCache

log = logging.getLogger(__name__)


@dataclass
class Tracker:
    """Everything one process needs, built once and closed on shutdown."""

    settings: Settings
    stores: Stores
    app: TrackerApp
    read_model: RebuildableReadModel
    runner: ProjectorRunner | None = None
    # Told (from any thread) that the log or the read model may have moved: this process's
    # writes, its projector's batches, the read model's announcements (services.api.progress).
    listeners: list[Callable[[], None]] = field(default_factory=list)

    def checkpoint_writer(self) -> CheckpointWriter | None:
        """What writes view checkpoints (for the projector, or a backfill), unless off."""
        interval = self.settings.checkpoint_interval
        return CheckpointWriter(self.app, interval) if interval else None

    def projector(self) -> Projector:
        """The projector, writing view checkpoints as it goes (if they are on)."""
        return Projector(self.app, self.read_model, checkpoints=self.checkpoint_writer())

    def start_projector(self) -> ProjectorRunner:
        self.runner = ProjectorRunner(
            self.projector(),
            poll_seconds=self.settings.projector_poll_seconds,
            election=self.stores.election(PROJECTION),
            listener=self.stores.wake_ups(self.app.name),
            min_batch_seconds=self.settings.projector_min_batch_seconds,
            on_progress=self.changed,
        )
        self.runner.start()
        return self.runner

    def document_cache(self) -> TrackDocumentCache | None:
        """A started cache of rendered track documents for an API process, or None: off, or
        the store announces no changes (SQLite), without which it could not be kept true."""
        if not self.settings.document_cache_mb:
            return None
        feed = self.stores.change_feed()
        if feed is None:
            return None
        from services.api.document_cache import TrackDocumentCache

        cache = TrackDocumentCache(
            feed,
            self.settings.document_cache_mb * 1024 * 1024,
            lambda: self.read_model.position(PROJECTION),
            announced=self.changed,
        )
        cache.start()
        return cache

    def token_store(self) -> TokenStore:
        """API tokens kept in the service's database."""
        return self.stores.token_store(self.read_model)

    def after_write(self) -> None:
        """Wake the in-process projector so a write shows up in reads without a poll delay."""
        if self.runner is not None:
            self.runner.wake()
        self.changed()

    def changed(self) -> None:
        for listener in self.listeners:
            listener()

    def close(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        self.read_model.close()
        self.app.close()


def build(settings: Settings, stores: Stores | None = None) -> Tracker:
    """The composition root: the application, read model and projector over `stores` (by
    default the adapters of `settings.database_url`). Raises StoreConfigError for a bad URL
    and StoreUnavailable for an unreachable store."""
    if stores is None:
        stores = open_stores(settings)
    with stores.creating_tables():
        tracker = _open(settings, stores)
        try:
            _upgrade_read_model(tracker)
        except BaseException:
            tracker.close()
            raise
    stores.adopt_event_store(tracker.app.recorder)
    return tracker


class StoreMissing(StoreConfigError):
    """A store that only reads was asked for one that has not been made: opening it would
    make an empty one and answer from it as if it were the store meant."""


def build_existing(settings: Settings) -> Tracker:
    """`build`, for a store that is already there; else StoreMissing, and nothing made."""
    stores = open_stores(settings)
    if not stores.exists(TrackerApp.name):
        raise StoreMissing(f"there is no store at {shown_url(settings.database_url)}")
    return build(settings, stores)


def _upgrade_read_model(tracker: Tracker) -> None:
    """A read model of an older shape (release 1's rm_statements lacks the commit positions
    that order timelines across tracks, 1.1's first the columns their filters use) is
    rebuilt from the log before anything reads it or projects into it, once: the rebuilt
    tables have the new shape. Other processes starting
    meanwhile wait on `creating_tables`, and then find it done."""
    if not tracker.read_model.outdated():
        return
    from services.projections.rebuild import rebuild  # it imports this module

    log.warning("the read model is of an older shape: rebuilding it from the log")
    done = rebuild(tracker)
    log.warning("read model rebuilt: %d events applied", done["events_applied"])


def _open(settings: Settings, stores: Stores) -> Tracker:
    env = dict(stores.library_env)
    if settings.aggregate_cache_size:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    env.update(cipher_env(settings.encryption_key))
    try:
        app = TrackerApp(env, snapshot_interval=settings.snapshot_interval)
    except PersistenceError as e:
        raise StoreUnavailable(f"cannot open the event store: {e}") from e
    try:
        check_readable(app, encrypted=bool(settings.encryption_key))
        read_model = stores.open_read_model()
    except Exception:
        app.close()
        raise
    return Tracker(settings, stores, app, read_model)


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
    settings: Settings,
    *,
    processes: int,
    projector: bool,
    api: bool = False,
    stores: Stores | None = None,
) -> None:
    """Refuse to start `processes` processes that together could exceed the server's
    `max_connections` less its reserved slots and `connection_reserve`. No-op for a store
    without a connection budget (SQLite)."""
    limits = (stores if stores is not None else open_stores(settings)).connection_limits()
    if limits is None:
        return
    max_connections = limits.max_connections
    available = max_connections - limits.reserved - settings.connection_reserve
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
            f"{limits.reserved} reserved slots and "
            f"NTRACK_CONNECTION_RESERVE={settings.connection_reserve} leaves {available}: "
            "use fewer --workers, a smaller NTRACK_POOL_SIZE, or raise max_connections "
            "(see docs/operations.md)"
        )
