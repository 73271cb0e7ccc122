"""The track cache evicts by statements held as well as by count (services.track_cache)."""

from __future__ import annotations

from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest

from services.track_cache import TrackCache


def track(statements: int) -> SimpleNamespace:
    return SimpleNamespace(statements=dict.fromkeys(range(statements)))


def test_a_miss_is_a_key_error_as_the_library_expects() -> None:
    with pytest.raises(KeyError):
        TrackCache(10, 100).get(uuid4())


def test_tracks_past_the_statement_budget_are_evicted_least_recently_used_first() -> None:
    cache = TrackCache(10, 100)
    a, b, c = uuid4(), uuid4(), uuid4()
    cache.put(a, track(40))
    cache.put(b, track(40))
    cache.get(a)  # a is now the more recent
    cache.put(c, track(40))
    assert a in cache and c in cache and b not in cache
    assert cache.statements() <= 100


def test_a_cached_track_that_grows_in_place_is_trimmed_after_the_write() -> None:
    cache = TrackCache(10, 100)
    a, b = uuid4(), uuid4()
    cache.put(a, track(10))
    grown = track(10)
    cache.put(b, grown)
    grown.statements.update(dict.fromkeys(range(10, 95)))  # a write appended 85 statements
    cache.trim()
    assert b in cache and a not in cache


def test_the_most_recent_track_stays_even_alone_over_the_budget() -> None:
    cache = TrackCache(10, 100)
    big: UUID = uuid4()
    cache.put(big, track(500))
    assert cache.get(big).statements


def test_the_count_limit_still_holds_and_zero_statements_means_no_budget() -> None:
    cache = TrackCache(2, 0)
    ids = [uuid4() for _ in range(3)]
    for i in ids:
        cache.put(i, track(10_000))
    assert [i in cache for i in ids] == [False, True, True]


def test_evicting_on_request_returns_the_track() -> None:
    cache = TrackCache(10, 100)
    a = uuid4()
    cache.put(a, value := track(1))
    assert cache.get(a, evict=True) is value and a not in cache
