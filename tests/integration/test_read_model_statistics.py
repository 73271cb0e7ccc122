"""The projector refreshes PostgreSQL's statistics of the read model (ANALYZE) once it has
applied enough events, on a thread of its own, so the reads across tracks are planned for
the rows there are (benchmarks/README.md, S1) and the projection is never held up by it."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from infra.settings import Settings
from infra.stores import parse_database_url
from services.bootstrap import Tracker, build
from services.projections.projector import Projector
from tests.conftest import drop_schema, postgres_url_or_skip

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = postgres_url_or_skip()
    yield url
    drop_schema(url)


def _analyzed(url: str) -> set[str]:
    """The read-model tables PostgreSQL holds column statistics of (ANALYZE writes them)."""
    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = %s", (config.pg_schema,)
        ).fetchall()
    return {name for (name,) in rows}


def _record_demands(tracker: Tracker, count: int) -> None:
    track_id = tracker.app.open_track(
        slug="geneva",
        kind="bilateral",
        title="Geneva",
        venue="Geneva",
        parties=["Russia", "United States"],
        opened_at="2021-12-01",
        recorded_by="tester",
    ).track.id
    statements = [
        {"type": "demand", "party": "Russia", "occurred_at": "2021-12-17", "summary": f"d {n}"}
        for n in range(count)
    ]
    tracker.app.record_statements(track_id, statements, recorded_by="tester")


def test_the_projector_analyzes_the_read_model_once_it_has_applied_enough_events(
    pg_url: str,
) -> None:
    tracker = build(Settings(database_url=pg_url, api_tokens="", embedded_projector=False))
    try:
        _record_demands(tracker, 6)
        projector = Projector(tracker.app, tracker.read_model, statistics_first=5)
        projector.catch_up_once(limit=3)  # under the threshold: nothing yet
        projector.wait_for_statistics()
        assert "rm_statements" not in _analyzed(pg_url)
        projector.catch_up()
        projector.wait_for_statistics()
        assert "rm_statements" in _analyzed(pg_url)
    finally:
        tracker.close()
