"""The composition root: settings -> store -> application, read model and projector."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eventsourcing.persistence import PersistenceError

from infra.readmodel import ReadModelStore, open_read_model
from infra.settings import Settings
from infra.stores import StoreConfig, StoreUnavailable, ensure_postgres_schema, parse_database_url
from services.application import TrackerApp
from services.projector import PROJECTION, Projector, ProjectorRunner

log = logging.getLogger(__name__)


@dataclass
class Tracker:
    """Everything one process needs, built once and closed on shutdown."""

    settings: Settings
    config: StoreConfig
    app: TrackerApp
    read_model: ReadModelStore
    runner: ProjectorRunner | None = None

    def start_projector(self) -> ProjectorRunner:
        projector = Projector(self.app, self.read_model)
        election = listener = None
        if self.config.kind == "postgres":
            from services.coordination import AdvisoryLockElection, NotifyListener

            assert self.config.pg_conninfo is not None
            election = AdvisoryLockElection(self.config.pg_conninfo,
                                            f"{self.config.pg_schema}.{PROJECTION}")
            listener = NotifyListener(self.config.pg_conninfo, f"{self.app.name}_events")
        self.runner = ProjectorRunner(projector, poll_seconds=self.settings.projector_poll_seconds,
                                      election=election, listener=listener)
        self.runner.start()
        return self.runner

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
    env = dict(config.library_env)
    if settings.aggregate_cache_size:
        env["AGGREGATE_CACHE_MAXSIZE"] = str(settings.aggregate_cache_size)
    try:
        app = TrackerApp(env, snapshot_interval=settings.snapshot_interval)
    except PersistenceError as e:
        raise StoreUnavailable(f"cannot open the event store: {e}") from e
    try:
        read_model = open_read_model(config, pool_size=settings.pool_size)
    except Exception:
        app.close()
        raise
    return Tracker(settings, config, app, read_model)
