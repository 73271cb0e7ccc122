"""Choosing a store: clear errors for bad URLs and unreachable servers, never a traceback; and
what every store answers the same (slugs, If-Match, commit positions of a track's events)."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain import errors
from infra.settings import Settings
from infra.stores import (
    StoreConfigError,
    StoreUnavailable,
    ensure_postgres_schema,
    parse_database_url,
)
from services.bootstrap import Tracker, build


@pytest.mark.parametrize(
    "url",
    [
        "mysql://x/y",
        "sqlite:///",
        "postgresql://host:notaport/db",
        "postgresql:///nodb",
        "",
        "sqlite:////no/such/folder/x.db",
    ],
)
def test_a_bad_database_url_is_refused_with_a_message(url: str) -> None:
    with pytest.raises(StoreConfigError):
        parse_database_url(url)


def test_a_password_in_a_bad_url_is_not_repeated_in_the_message() -> None:
    with pytest.raises(StoreConfigError) as caught:
        parse_database_url("mongodb://user:hunter2@host/db")
    assert "hunter2" not in str(caught.value)


def test_an_unreachable_postgresql_is_reported_as_unavailable() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        build(Settings(database_url="postgresql://postgres@127.0.0.1:1/test"))
    assert "127.0.0.1:1" in str(caught.value)


def test_a_slug_can_open_only_one_track(tracker: Tracker) -> None:
    tracker.app.open_track(
        slug="geneva",
        kind="bilateral",
        title="Geneva",
        venue=None,
        parties=["Russia"],
        opened_at="2022-01-10",
        recorded_by="t",
    )
    with pytest.raises(errors.SlugTaken):
        tracker.app.open_track(
            slug="geneva",
            kind="other",
            title="Again",
            venue=None,
            parties=["NATO"],
            opened_at="2022-01-10",
            recorded_by="t",
        )


def test_a_track_without_a_slug_gets_one_from_its_title_made_unique(tracker: Tracker) -> None:
    first = tracker.app.open_track(
        slug=None,
        kind="nato",
        title="NATO-Russia Council",
        venue=None,
        parties=["NATO"],
        opened_at="2022-01-12",
        recorded_by="t",
    )
    second = tracker.app.open_track(
        slug=None,
        kind="nato",
        title="NATO-Russia Council",
        venue=None,
        parties=["NATO"],
        opened_at="2022-01-12",
        recorded_by="t",
    )
    assert first.track.slug == "nato-russia-council"
    assert second.track.slug == "nato-russia-council-2"


def test_a_stale_writer_is_retried_on_the_fresh_track(settings: Settings) -> None:
    one, two = build(settings), build(settings)
    try:
        track_id = one.app.open_track(
            slug="stale",
            kind="other",
            title="t",
            venue=None,
            parties=["A"],
            opened_at="2022-01-01",
            recorded_by="t",
        ).track.id
        statement = {"type": "statement", "party": "A", "occurred_at": "2022-01-02", "summary": "s"}
        two.app.get_track(track_id)  # warm the second process's cache at version 1
        one.app.record_statements(track_id, [statement], recorded_by="t")
        result = two.app.record_statements(track_id, [statement], recorded_by="t")
        assert result.track.version == 3
        assert len(result.track.index) == 2
    finally:
        one.close()
        two.close()


def test_if_match_refuses_a_write_against_another_version(tracker: Tracker) -> None:
    track_id = tracker.app.open_track(
        slug="ifm",
        kind="other",
        title="t",
        venue=None,
        parties=["A"],
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    with pytest.raises(errors.VersionMismatch):
        tracker.app.add_party(track_id, "B", recorded_by="t", if_match=7)
    assert tracker.app.add_party(track_id, "B", recorded_by="t", if_match=1).track.version == 2


def test_processes_creating_the_same_fresh_schema_at_once_all_succeed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    import psycopg

    from tests.conftest import drop_schema, postgres_url_or_skip

    url = postgres_url_or_skip()
    config = parse_database_url(url)
    racers = 6
    # Every racer connects first, then all send CREATE SCHEMA together: the moment two
    # `ntrack` processes started side by side reach it.
    barrier = threading.Barrier(racers)
    connect = psycopg.connect

    def connect_then_wait(*args, **kwargs):
        conn = connect(*args, **kwargs)
        barrier.wait(timeout=10)
        return conn

    monkeypatch.setattr(psycopg, "connect", connect_then_wait)
    failures: list[Exception] = []

    def race() -> None:
        try:
            ensure_postgres_schema(config)
        except Exception as e:
            failures.append(e)

    threads = [threading.Thread(target=race) for _ in range(racers)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        monkeypatch.undo()
        drop_schema(url)
    assert failures == []


@pytest.mark.parametrize("kind", ["store", "memory"])
def test_the_positions_of_a_track_s_events_are_their_commit_positions(
    settings: Settings, kind: str
) -> None:
    tracker = build(settings if kind == "store" else Settings(database_url="memory://"))
    try:
        app = tracker.app
        last: dict[UUID, tuple[int, int]] = {}  # track -> (version, position) of its last write
        for slug in ("geneva", "brussels"):
            opened = app.open_track(
                slug=slug,
                kind="other",
                title=slug,
                venue=None,
                parties=["Russia"],
                opened_at="2022-01-10",
                recorded_by="t",
            )
            last[opened.track.id] = (1, opened.position)
        body = {"type": "statement", "party": "Russia", "occurred_at": "2022-01-10", "summary": "s"}
        for _ in range(2):  # the tracks' writes interleaved, each a batch of two events
            for track_id in last:
                result = app.record_statements(track_id, [body, body], recorded_by="t")
                last[track_id] = (result.version, result.position)

        every: list[int] = []
        for track_id, (version, position) in last.items():
            positions = app.extras.positions_of(track_id)
            assert positions == {v: app.extras.position_of(track_id, v) for v in range(1, 6)}
            assert (max(positions), positions[version]) == (version, position)
            every += positions.values()
        assert sorted(every) == sorted(set(every)) and max(every) == app.max_position()
        assert app.extras.positions_of(uuid4()) == {}
    finally:
        tracker.close()
