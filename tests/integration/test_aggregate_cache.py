"""Tracks are cached by the library's LRU cache (`NTRACK_AGGREGATE_CACHE_SIZE`): a write
mutates the cached track, and a track the cache dropped comes back from the store intact,
on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain import views
from infra.settings import Settings
from services.bootstrap import Tracker, build
from services.checkpoint_reader import load_view

CACHED_TRACKS = 2


@pytest.fixture
def small_cache(database_url: str) -> Iterator[Tracker]:
    tracker = build(
        Settings(
            database_url=database_url,
            embedded_projector=False,
            aggregate_cache_size=CACHED_TRACKS,
            snapshot_interval=20,
        )
    )
    yield tracker
    tracker.close()


def open_track(tracker: Tracker, slug: str) -> UUID:
    return tracker.app.open_track(
        slug=slug,
        kind="bilateral",
        title=slug,
        venue=None,
        parties=["Russia", "United States"],
        opened_at="2022-01-10",
        recorded_by="tester",
    ).track.id


def demands(n: int, start: int = 0) -> list[dict]:
    return [
        {
            "type": "demand",
            "party": "Russia",
            "occurred_at": "2022-01-10",
            "summary": f"demand {start + i}",
        }
        for i in range(n)
    ]


def test_the_cache_keeps_the_tracks_written_last_and_dropped_tracks_reload_intact(
    small_cache: Tracker,
) -> None:
    app = small_cache.app
    cache = app.repository.cache
    assert cache is not None
    tracks = [open_track(small_cache, f"track-{n}") for n in range(3)]
    for round_ in range(3):
        for track_id in tracks:
            result = app.record_statements(track_id, demands(25, 25 * round_), recorded_by="t")
            assert result.track is cache.get(track_id)  # written in place, not copied
    assert [track_id in cache.cache for track_id in tracks] == [False, True, True]
    for track_id in tracks:  # each again, written and read back whether cached or not
        result = app.record_statements(track_id, demands(1, 75), recorded_by="tester")
        assert result.version == 77
        assert len(result.track.index) == 76
        state = views.track_state(load_view(app, track_id, result.version), None)
        assert state["statement_count"] == 76
        assert len(state["open_demands"]) == 76
