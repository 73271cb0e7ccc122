"""The document cache through a real PostgreSQL: the projector's and the rebuild's
announcements reach it at commit and remove exactly what they must. SQLite has no NOTIFY,
so there the API reads the database every time (Tracker.document_cache is None)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from uuid import UUID

import pytest

from infra.settings import Settings
from services.api.document_cache import TrackDocumentCache
from services.api.routes.tracks import current_state
from services.bootstrap import Tracker, build
from services.projections import rebuild
from services.projections.projector import PROJECTION, Projector
from tests.conftest import drop_schema, postgres_url_or_skip

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_tracker() -> Iterator[Tracker]:
    url = postgres_url_or_skip()
    tracker = build(Settings(database_url=url, embedded_projector=False))
    yield tracker
    tracker.close()
    drop_schema(url)


@pytest.fixture
def cache(pg_tracker: Tracker) -> Iterator[TrackDocumentCache]:
    documents = pg_tracker.document_cache()
    assert documents is not None
    eventually(lambda: documents.get("warm-up") is None and documents._live)
    yield documents
    documents.stop()


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the timeout"
        time.sleep(0.01)


def open_with_demand(tracker: Tracker, slug: str) -> UUID:
    track_id = tracker.app.open_track(
        slug=slug,
        kind="bilateral",
        title=slug,
        venue=None,
        parties=["Russia", "United States"],
        opened_at="2022-01-10",
        recorded_by="tester",
    ).track.id
    record_demand(tracker, track_id, "no enlargement")
    return track_id


def record_demand(tracker: Tracker, track_id: UUID, summary: str) -> None:
    tracker.app.record_statements(
        track_id,
        [{"type": "demand", "party": "Russia", "occurred_at": "2022-01-10", "summary": summary}],
        recorded_by="tester",
    )


def read_through(tracker: Tracker, cache: TrackDocumentCache, track_id: UUID) -> bytes:
    return bytes(current_state(tracker, track_id, cache).body)


def test_a_projected_change_removes_the_cached_document_of_its_track_only(
    pg_tracker: Tracker, cache: TrackDocumentCache
) -> None:
    projector = Projector(pg_tracker.app, pg_tracker.read_model)
    geneva = open_with_demand(pg_tracker, "geneva")
    brussels = open_with_demand(pg_tracker, "brussels")
    projector.catch_up()
    eventually(lambda: cache.seen == pg_tracker.read_model.position(PROJECTION))
    before = read_through(pg_tracker, cache, geneva)
    read_through(pg_tracker, cache, brussels)
    assert cache.get(str(geneva)) is not None and cache.get(str(brussels)) is not None

    record_demand(pg_tracker, geneva, "no missiles in Europe")
    projector.catch_up()
    eventually(lambda: cache.get(str(geneva)) is None)
    assert cache.seen == pg_tracker.read_model.position(PROJECTION)
    brussels_hit = cache.get(str(brussels))
    assert brussels_hit is not None and brussels_hit.position == cache.seen
    assert read_through(pg_tracker, cache, geneva) != before


def test_a_rebuild_swap_empties_the_cache(pg_tracker: Tracker, cache: TrackDocumentCache) -> None:
    geneva = open_with_demand(pg_tracker, "geneva")
    Projector(pg_tracker.app, pg_tracker.read_model).catch_up()
    eventually(lambda: cache.seen == pg_tracker.read_model.position(PROJECTION))
    read_through(pg_tracker, cache, geneva)
    assert len(cache) == 1
    rebuild.rebuild(pg_tracker)
    eventually(lambda: len(cache) == 0)


def test_a_lost_listen_connection_stops_the_cache_until_it_listens_again(
    pg_tracker: Tracker, cache: TrackDocumentCache
) -> None:
    import psycopg

    geneva = open_with_demand(pg_tracker, "geneva")
    Projector(pg_tracker.app, pg_tracker.read_model).catch_up()
    eventually(lambda: cache.seen == pg_tracker.read_model.position(PROJECTION))
    read_through(pg_tracker, cache, geneva)
    assert pg_tracker.stores.config.pg_conninfo is not None
    with psycopg.connect(**pg_tracker.stores.config.pg_conninfo, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
            (f'LISTEN "{pg_tracker.read_model.channel}"',),
        )
    eventually(lambda: cache.get(str(geneva)) is None)
    eventually(
        lambda: (
            read_through(pg_tracker, cache, geneva) is not None
            and cache.get(str(geneva)) is not None
        )
    )
