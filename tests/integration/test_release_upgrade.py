"""Release 1's read model has no commit positions on its statements; the first start of the
current code rebuilds it from the log, so it then equals what the live projector makes.
(test_release_fixture.py checks that every answer of release 1 is still given after it.)"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.settings import Settings
from services.bootstrap import Tracker, build
from services.projections import rebuild
from services.projections.projector import PROJECTION
from tests.integration.test_release_fixture import FIXTURE, _restore_postgres


@pytest.fixture
def release_1_url(database_url: str, tmp_path: Path) -> str:
    """A copy of release 1's database on this store."""
    if database_url.startswith("sqlite"):
        copy = tmp_path / "release-1.sqlite3"
        shutil.copyfile(FIXTURE / "ntrack.sqlite3", copy)
        return f"sqlite:///{copy}"
    _restore_postgres(database_url)
    return database_url


def _statement_columns(url: str) -> set[str]:
    """rm_statements' columns, read without starting the service."""
    if url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite:///") :]) as conn:
            return {row[1] for row in conn.execute("PRAGMA table_info(rm_statements)")}
    import psycopg

    from infra.stores import parse_database_url

    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo) as conn:
        rows = conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = 'rm_statements'",
            (config.pg_schema,),
        ).fetchall()
    return {row[0] for row in rows}


@pytest.fixture
def upgraded(release_1_url: str) -> Iterator[Tracker]:
    assert "position" not in _statement_columns(release_1_url)  # release 1's shape
    instance = build(Settings(database_url=release_1_url, embedded_projector=False))
    yield instance
    instance.close()


def test_release_1_statements_get_their_commit_positions_on_the_first_start(
    upgraded: Tracker,
) -> None:
    assert not upgraded.read_model.outdated()
    with upgraded.read_model.transaction() as tx:
        rows = tx.execute("SELECT track_id, version, position FROM rm_statements").fetchall()
    assert len(rows) > 40  # the fixture has 47
    for track_id, version, position in rows:
        assert position == upgraded.app.extras.position_of(uuid.UUID(track_id), version)
    assert upgraded.read_model.position(PROJECTION) == upgraded.app.max_position()


def test_an_upgraded_release_1_model_passes_the_rebuild_check(upgraded: Tracker) -> None:
    assert rebuild.check(upgraded) == []
