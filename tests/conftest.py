"""Store fixtures: the same test body runs on SQLite and on PostgreSQL.

PostgreSQL comes from NTRACK_TEST_DATABASE_URL when set (each test gets its own schema),
else from testcontainers when Docker is there. With neither, PostgreSQL tests skip with a
message -- except under CI=true, where a skipped PostgreSQL suite is a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from domain.document import TrackView
from infra.settings import Settings
from services.bootstrap import Tracker, build

_container = None


def _postgres_base_url() -> str | None:
    global _container
    url = os.environ.get("NTRACK_TEST_DATABASE_URL")
    if url:
        return url
    if _container is None and shutil.which("docker"):
        try:
            from testcontainers.postgres import PostgresContainer

            _container = PostgresContainer("postgres:16-alpine", driver=None).start()
        except Exception as e:  # no engine behind the docker client
            _container = e
    if _container is None or isinstance(_container, Exception):
        return None
    return _container.get_connection_url().replace("postgresql+psycopg2", "postgresql")


def postgres_url_or_skip() -> str:
    """A PostgreSQL URL with a fresh schema for one test."""
    base = _postgres_base_url()
    if base is None:
        message = (
            "PostgreSQL tests need NTRACK_TEST_DATABASE_URL "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test) or a Docker engine"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " -- and CI=true: PostgreSQL tests must run in CI")
        pytest.skip(message)
    schema = "t_" + uuid.uuid4().hex[:16]
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}schema={schema}"


def drop_schema(url: str) -> None:
    import psycopg

    from infra.stores import parse_database_url

    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{config.pg_schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty store of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/ntrack.sqlite3"
        return
    url = postgres_url_or_skip()
    yield url
    drop_schema(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, api_tokens="", embedded_projector=False)


@pytest.fixture
def tracker(settings: Settings) -> Iterator[Tracker]:
    instance = build(settings)
    yield instance
    instance.close()


@pytest.fixture
def snapshot_interval() -> int:
    """Events between snapshots for `snappy`; a test module overrides this fixture."""
    return 5


@pytest.fixture
def snappy(database_url: str, snapshot_interval: int) -> Iterator[Tracker]:
    """A tracker that snapshots every `snapshot_interval` events."""
    instance = build(
        Settings(
            database_url=database_url, snapshot_interval=snapshot_interval, embedded_projector=False
        )
    )
    yield instance
    instance.close()


def snapshot_versions(tracker: Tracker, track_id: uuid.UUID) -> list[int]:
    assert tracker.app.snapshots is not None
    return [s.originator_version for s in tracker.app.snapshots.get(track_id)]


@pytest.fixture
def memory_tracker() -> Iterator[Tracker]:
    instance = build(
        Settings(database_url=f"memory://{uuid.uuid4().hex}", embedded_projector=False)
    )
    yield instance
    instance.close()


def replayed_view(tracker: Tracker, track_id: uuid.UUID, version: int | None = None) -> TrackView:
    """The track's view folded from its first event (up to `version`): what the views from
    checkpoints, snapshots and write answers must all equal."""
    view = TrackView.fold(tracker.app.events.get(track_id, lte=version))
    assert view is not None
    return view
