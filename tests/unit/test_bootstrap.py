"""The composition root over stores it is given (services.bootstrap): what it asks of the
stores, and that the store-specific parts (election, wake-ups, change feed, connection
limits) come from them alone. The stores here are fakes around the in-memory store."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from infra.factory import LocalStores
from infra.settings import Settings
from infra.stores import parse_database_url
from services.bootstrap import ConnectionBudgetExceeded, build, check_connection_budget
from services.ports import ConnectionLimits


class Election:
    def __init__(self) -> None:
        self.asked = threading.Event()
        self.released = False

    def hold(self) -> bool:
        self.asked.set()
        return False  # another process leads: this one never applies a batch

    def release(self) -> None:
        self.released = True


class WakeUps:
    def __init__(self) -> None:
        self.wake: Callable[[], None] | None = None
        self.stopped = False

    def start(self, wake: Callable[[], None]) -> None:
        self.wake = wake

    def stop(self) -> None:
        self.stopped = True


class Feed:
    def __init__(self) -> None:
        self.listened = threading.Event()

    def listen(
        self,
        listening: Callable[[], None],
        announced: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        listening()
        self.listened.set()
        stop.wait()


class FakeStores(LocalStores):
    """The in-memory store, with the coordination a server store would have."""

    def __init__(self, *, feed: Feed | None = None, limits: ConnectionLimits | None = None):
        super().__init__(parse_database_url(f"memory://{uuid.uuid4().hex}"))
        self.calls: list[str] = []
        self.elections: list[tuple[str, Election]] = []
        self.wakes: list[tuple[str, WakeUps]] = []
        self.feed = feed
        self.limits = limits

    @contextmanager
    def creating_tables(self) -> Iterator[None]:
        self.calls.append("creating")
        yield
        self.calls.append("created")

    def open_read_model(self) -> Any:
        self.calls.append("read model")
        return super().open_read_model()

    def adopt_event_store(self, recorder: Any) -> None:
        self.calls.append("adopted")

    def election(self, projection: str) -> Any:
        election = Election()
        self.elections.append((projection, election))
        return election

    def wake_ups(self, application_name: str) -> Any:
        wake_ups = WakeUps()
        self.wakes.append((application_name, wake_ups))
        return wake_ups

    def change_feed(self) -> Any:
        return self.feed

    def connection_limits(self) -> Any:
        return self.limits


SETTINGS = Settings(database_url="memory://unused", embedded_projector=False)


def test_the_stores_are_opened_inside_their_table_creation_guard_then_adopted() -> None:
    stores = FakeStores()
    tracker = build(SETTINGS, stores)
    try:
        assert stores.calls == ["creating", "read model", "created", "adopted"]
        assert tracker.stores is stores
    finally:
        tracker.close()


def test_the_projector_is_elected_and_woken_by_what_the_stores_provide() -> None:
    stores = FakeStores()
    tracker = build(SETTINGS, stores)
    try:
        runner = tracker.start_projector()
        (projection, election), (application, wake_ups) = stores.elections[0], stores.wakes[0]
        assert projection == "track_views" and application == tracker.app.name
        assert wake_ups.wake == runner.wake
        assert election.asked.wait(5)
        assert not runner.is_active  # the fake election is held elsewhere
    finally:
        tracker.close()
    assert election.released and wake_ups.stopped


def test_without_a_change_feed_there_is_no_document_cache() -> None:
    tracker = build(SETTINGS, FakeStores(feed=None))
    try:
        assert tracker.document_cache() is None
    finally:
        tracker.close()


def test_with_a_change_feed_the_document_cache_listens_to_it() -> None:
    feed = Feed()
    tracker = build(SETTINGS, FakeStores(feed=feed))
    try:
        cache = tracker.document_cache()
        assert cache is not None
        try:
            assert feed.listened.wait(5)
        finally:
            cache.stop()
    finally:
        tracker.close()


def test_a_turned_off_document_cache_is_not_made_even_with_a_change_feed() -> None:
    settings = Settings(database_url="memory://unused", document_cache_mb=0)
    tracker = build(settings, FakeStores(feed=Feed()))
    try:
        assert tracker.document_cache() is None
    finally:
        tracker.close()


def test_the_connection_budget_is_checked_against_the_stores_limits() -> None:
    settings = Settings(pool_size=5, connection_reserve=10)
    # 2 processes x (2 pools x 5 + 2 for the projector) = 24 connections
    roomy = FakeStores(limits=ConnectionLimits(max_connections=37, reserved=3))
    check_connection_budget(settings, processes=2, projector=True, stores=roomy)
    tight = FakeStores(limits=ConnectionLimits(max_connections=36, reserved=3))
    with pytest.raises(ConnectionBudgetExceeded, match="leaves 23"):
        check_connection_budget(settings, processes=2, projector=True, stores=tight)


def test_a_store_without_connection_limits_has_no_budget() -> None:
    check_connection_budget(
        Settings(pool_size=5), processes=10**6, projector=True, stores=FakeStores(limits=None)
    )
