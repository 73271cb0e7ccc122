"""The document cache's rules, without a database: what it keeps, what an announcement
removes, and when it refuses to keep or serve anything (services.api.document_cache).
tests/integration/test_document_cache.py drives the same cache through PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from infra.readmodel.postgres import announcement
from infra.stores import StoreUnavailable
from services.api import document_cache
from services.api.document_cache import TrackDocumentCache

A, B = "track-a", "track-b"


class SilentFeed:
    """A change feed that is never started in these tests: they call the cache directly."""

    def listen(
        self,
        listening: Callable[[], None],
        announced: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        raise AssertionError("not started")


def listening_cache(max_bytes: int = 1000, position: int = 10) -> TrackDocumentCache:
    cache = TrackDocumentCache(SilentFeed(), max_bytes, lambda: position)
    cache.listening(position)
    return cache


def cached(cache: TrackDocumentCache, track_id: str, body: bytes, position: int) -> None:
    cache.put(cache.ticket(), track_id, body, position)


def test_a_document_read_after_the_last_announcement_is_served_with_its_position() -> None:
    cache = listening_cache(position=10)
    cached(cache, A, b'{"v":1}', 12)
    hit = cache.get(A)
    assert hit is not None and hit.body == b'{"v":1}' and hit.position == 12


def test_a_served_document_reports_the_newest_position_announced_for_any_track() -> None:
    cache = listening_cache(position=10)
    cached(cache, A, b"a", 10)
    cache.apply(announcement(15, [B]))
    hit = cache.get(A)
    assert hit is not None and hit.position == 15


def test_an_announcement_removes_the_tracks_it_names_and_only_those() -> None:
    cache = listening_cache()
    cached(cache, A, b"a", 10)
    cached(cache, B, b"b", 10)
    cache.apply(announcement(11, [A]))
    assert cache.get(A) is None
    assert cache.get(B) is not None


def test_a_read_that_began_before_an_announcement_of_its_track_is_not_kept() -> None:
    cache = listening_cache()
    ticket = cache.ticket()  # the read begins...
    cache.apply(announcement(11, [A]))  # ...the projector commits a change to A...
    cache.put(ticket, A, b"stale", 10)  # ...and the read, maybe older, ends
    assert cache.get(A) is None


def test_a_read_that_began_before_an_announcement_of_another_track_is_kept() -> None:
    cache = listening_cache()
    ticket = cache.ticket()
    cache.apply(announcement(11, [B]))
    cache.put(ticket, A, b"a", 10)
    assert cache.get(A) is not None


def test_an_announcement_of_everything_empties_the_cache_and_sets_the_position() -> None:
    cache = listening_cache(position=50)
    cached(cache, A, b"a", 50)
    ticket = cache.ticket()
    cache.apply(announcement(40, None))  # a rebuild swapped in a model at position 40
    cache.put(ticket, B, b"b", 50)
    assert len(cache) == 0
    assert cache.seen == 40


def test_a_batch_naming_too_many_tracks_is_announced_as_everything() -> None:
    many = [f"{n:036d}" for n in range(500)]
    payload = announcement(7, many)
    assert payload == "7 *" and len(announcement(7, many[:100])) < 8000


def test_nothing_is_kept_or_served_while_announcements_may_be_missed() -> None:
    cache = listening_cache()
    cached(cache, A, b"a", 10)
    ticket = cache.ticket()
    cache.deaf()
    cache.put(ticket, A, b"a", 10)
    assert cache.get(A) is None
    cache.listening(20)
    cache.put(ticket, A, b"a", 10)  # read before the cache was listening again
    assert cache.get(A) is None
    cached(cache, A, b"a", 20)
    assert cache.get(A) is not None


def test_the_byte_budget_evicts_the_least_recently_read_document() -> None:
    cache = listening_cache(max_bytes=1000)
    cached(cache, A, b"a" * 200, 10)
    cached(cache, B, b"b" * 200, 10)
    cache.get(A)  # A is now the more recent
    for n in range(4):  # 6 x 200 bytes: one of A and B must go
        cached(cache, f"other-{n}", b"x" * 200, 10)
    assert cache.get(A) is not None
    assert cache.get(B) is None


def test_a_document_larger_than_a_quarter_of_the_budget_is_not_kept() -> None:
    cache = listening_cache(max_bytes=1000)
    cached(cache, A, b"a" * 251, 10)
    assert cache.get(A) is None


def test_a_malformed_announcement_empties_the_cache_rather_than_being_ignored() -> None:
    cache = listening_cache()
    cached(cache, A, b"a", 10)
    cache.apply("not-a-position track-a")
    assert cache.get(A) is None


def test_a_document_older_than_the_maximum_age_is_read_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Announcements that stop without the LISTEN failing leave reads stale for at most
    MAX_AGE_SECONDS."""
    now = [1000.0]
    monkeypatch.setattr(document_cache.time, "monotonic", lambda: now[0])
    cache = listening_cache()
    cached(cache, A, b"a", 10)
    now[0] += document_cache.MAX_AGE_SECONDS - 0.1
    assert cache.get(A) is not None
    now[0] += 0.2
    assert cache.get(A) is None


class DroppingFeed:
    """Listens, delivers one announcement, waits for a document to be cached, then is lost."""

    def __init__(self) -> None:
        self.cached = threading.Event()
        self.lost = threading.Event()

    def listen(
        self,
        listening: Callable[[], None],
        announced: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        if self.lost.is_set():  # stays down: the cache keeps retrying
            stop.wait(0.05)
            raise StoreUnavailable("still down")
        listening()
        announced(announcement(11, [B]))
        self.cached.wait(5)
        self.lost.set()
        raise StoreUnavailable("connection lost")


def test_a_lost_change_feed_empties_the_cache_and_stops_it_serving() -> None:
    feed = DroppingFeed()
    cache = TrackDocumentCache(feed, 1000, lambda: 10)
    cache.start()
    try:
        for _ in range(500):
            if cache.seen == 11:
                break
            threading.Event().wait(0.01)
        assert cache.seen == 11
        cached(cache, A, b"a", 11)
        assert cache.get(A) is not None
        feed.cached.set()
        for _ in range(500):
            if cache.get(A) is None:
                break
            threading.Event().wait(0.01)
        assert cache.get(A) is None
        cached(cache, A, b"a", 11)  # while deaf nothing is kept
        assert len(cache) == 0
    finally:
        cache.stop()
