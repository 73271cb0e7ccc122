"""With a statement budget smaller than the tracks written, the process keeps within it and
evicted tracks come back from the store intact (services.track_cache), on both stores."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain import views
from infra.settings import Settings
from services.bootstrap import Tracker, build
from services.track_cache import TrackCache

BUDGET = 120


@pytest.fixture
def small_cache(database_url: str) -> Iterator[Tracker]:
    tracker = build(
        Settings(
            database_url=database_url,
            embedded_projector=False,
            aggregate_cache_statements=BUDGET,
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


def test_the_cache_keeps_within_its_statement_budget_and_evicted_tracks_reload_intact(
    small_cache: Tracker,
) -> None:
    app = small_cache.app
    cache = app.repository.cache
    assert isinstance(cache, TrackCache)
    tracks = [open_track(small_cache, f"track-{n}") for n in range(3)]
    for round_ in range(3):
        for track_id in tracks:
            app.record_statements(track_id, demands(25, 25 * round_), recorded_by="tester")
            held = sum(t in cache for t in tracks)
            # Over the budget only when the track just written alone is (it always stays).
            assert cache.statements() <= BUDGET or held == 1
            assert track_id in cache
    assert sum(track_id in cache for track_id in tracks) < 3
    for track_id in tracks:  # each again, written and read back whether cached or not
        result = app.record_statements(track_id, demands(1, 75), recorded_by="tester")
        assert result.version == 77
        state = views.track_state(app.get_track(track_id), None)
        assert state["statement_count"] == 76
        assert len(state["open_demands"]) == 76
