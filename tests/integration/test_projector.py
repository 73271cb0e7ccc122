"""The projector applies each event exactly once, also across crashes and races."""

from __future__ import annotations

import pytest

from domain import views
from infra.readmodel import ReadModelTx
from services.bootstrap import Tracker
from services.ports import TimelineFilter
from services.projections.projector import PROJECTION, LostRace, Projector
from tests.conftest import replayed_view


def _open(tracker: Tracker, slug: str):
    return tracker.app.open_track(
        slug=slug,
        kind="bilateral",
        title=slug,
        venue="Geneva",
        parties=["Russia", "United States"],
        opened_at="2021-12-01",
        recorded_by="tester",
    ).track.id


def _demand(summary: str, day: int = 17) -> dict:
    return {
        "type": "demand",
        "party": "Russia",
        "occurred_at": f"2021-12-{day:02d}",
        "summary": summary,
        "topics": ["nato"],
    }


def _record(tracker: Tracker, track_id, *statements: dict) -> list[str]:
    return tracker.app.record_statements(track_id, list(statements), recorded_by="tester").targets


def _timeline_ids(tracker: Tracker, track_id) -> list[str]:
    items, _ = tracker.read_model.timeline(
        str(track_id), TimelineFilter(include_retracted=True, limit=500)
    )
    return [i["id"] for i in items]


def test_the_read_model_shows_what_the_aggregate_says(tracker: Tracker) -> None:
    track_id = _open(tracker, "ssd")
    (demand,) = _record(tracker, track_id, _demand("no enlargement"))
    _record(
        tracker,
        track_id,
        {
            "type": "response",
            "party": "United States",
            "occurred_at": "2022-01-26",
            "summary": "no",
            "responds_to": demand,
            "position": "reject",
        },
    )
    Projector(tracker.app, tracker.read_model).catch_up()

    track = replayed_view(tracker, track_id)
    stored = tracker.read_model.get_track(str(track_id))
    assert stored == views.track_state(track, stored["position"])
    assert tracker.read_model.get_statement(str(track_id), demand) == views.statement_view(
        track, demand
    )
    assert tracker.read_model.position(PROJECTION) == tracker.app.max_position()


def test_catching_up_twice_applies_nothing_the_second_time(tracker: Tracker) -> None:
    track_id = _open(tracker, "nrc")
    _record(tracker, track_id, _demand("a"), _demand("b"))
    projector = Projector(tracker.app, tracker.read_model)
    assert projector.catch_up() == 3  # opened, then one batch of two statements
    assert projector.catch_up() == 0
    assert len(_timeline_ids(tracker, track_id)) == 2


def test_a_crash_in_the_middle_of_a_batch_leaves_nothing_half_applied(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    track_id = _open(tracker, "osce")
    for n in range(5):
        _record(tracker, track_id, _demand(f"demand {n}", day=10 + n))
    projector = Projector(tracker.app, tracker.read_model)
    original = ReadModelTx.upsert_statements
    calls = {"n": 0}

    def crash_after_writing_some(self, rows, **options):
        calls["n"] += 1
        original(self, rows[:2], **options)
        raise RuntimeError("power cut")

    monkeypatch.setattr(ReadModelTx, "upsert_statements", crash_after_writing_some)
    with pytest.raises(RuntimeError):
        projector.catch_up()
    assert tracker.read_model.position(PROJECTION) == 0
    assert _timeline_ids(tracker, track_id) == []

    monkeypatch.setattr(ReadModelTx, "upsert_statements", original)
    assert projector.catch_up() == 6
    assert len(_timeline_ids(tracker, track_id)) == 5


def test_two_projectors_racing_never_apply_an_event_twice(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    track_id = _open(tracker, "race")
    _record(tracker, track_id, _demand("first"))
    first = Projector(tracker.app, tracker.read_model)
    second = Projector(tracker.app, tracker.read_model)
    first.catch_up()

    # The second projector read the old position before the first one moved it.
    with monkeypatch.context() as patch:
        patch.setattr(tracker.read_model, "position", lambda name: 0)
        with pytest.raises(LostRace):
            second.catch_up_once()

    _record(tracker, track_id, _demand("second"))
    assert second.catch_up() == 1
    assert len(_timeline_ids(tracker, track_id)) == 2
    assert tracker.read_model.get_track(str(track_id))["statement_count"] == 2


def test_catching_up_goes_on_from_where_a_racing_projector_got_to(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    track_id = _open(tracker, "race-on")
    _record(tracker, track_id, _demand("first"))
    Projector(tracker.app, tracker.read_model).catch_up()
    _record(tracker, track_id, _demand("second"))
    late = Projector(tracker.app, tracker.read_model)

    # It first reads a position another projector has since moved past, then the real one.
    stale = [0]
    real = tracker.read_model.position
    monkeypatch.setattr(
        tracker.read_model, "position", lambda name: stale.pop() if stale else real(name)
    )
    applied = late.catch_up()

    assert applied == 1  # the second demand; the race over the first was lost, not raised
    assert len(_timeline_ids(tracker, track_id)) == 2
    assert tracker.read_model.get_track(str(track_id))["statement_count"] == 2


def test_a_projector_started_late_rebuilds_tracks_it_has_not_seen(tracker: Tracker) -> None:
    track_id = _open(tracker, "late")
    ids = _record(tracker, track_id, *[_demand(f"d{n}") for n in range(3)])
    Projector(tracker.app, tracker.read_model).catch_up()
    tracker.app.retract_statement(track_id, ids[0], "wrongly attributed", recorded_by="tester")

    # A fresh projector has no track in memory: it loads the track as of the version before.
    Projector(tracker.app, tracker.read_model).catch_up()
    state = tracker.read_model.get_track(str(track_id))
    assert state["statement_count"] == 2
    assert tracker.read_model.get_statement(str(track_id), ids[0])["retracted"] is True


def test_topic_and_party_filters_come_from_the_projected_rows(tracker: Tracker) -> None:
    track_id = _open(tracker, "filters")
    _record(
        tracker,
        track_id,
        _demand("tagged"),
        {
            "type": "statement",
            "party": "United States",
            "occurred_at": "2021-12-20",
            "summary": "untagged",
        },
    )
    Projector(tracker.app, tracker.read_model).catch_up()
    tagged, _ = tracker.read_model.timeline(str(track_id), TimelineFilter(topic="nato"))
    by_us, _ = tracker.read_model.timeline(str(track_id), TimelineFilter(party="United States"))
    assert [i["summary"] for i in tagged] == ["tagged"]
    assert [i["summary"] for i in by_us] == ["untagged"]


def test_reads_of_an_in_memory_store_wait_out_the_projectors_writes() -> None:
    import threading
    import uuid as uuid_module

    from infra.settings import Settings
    from services.bootstrap import build

    # memory:// shares one SQLite database between connections through the shared cache,
    # whose table locks fail a concurrent read at once unless the read waits.
    tracker = build(
        Settings(database_url=f"memory://{uuid_module.uuid4().hex}", embedded_projector=True)
    )
    tracker.start_projector()
    failures: list[Exception] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                tracker.read_model.position(PROJECTION)
                tracker.read_model.list_tracks(None, None, None)
            except Exception as e:
                failures.append(e)
                return

    try:
        track_id = _open(tracker, "busy")
        readers = [threading.Thread(target=read) for _ in range(3)]
        for reader in readers:
            reader.start()
        for n in range(150):
            _record(tracker, track_id, _demand(f"demand {n}", day=1 + n % 28))
            tracker.after_write()
        assert tracker.read_model.wait_for(PROJECTION, tracker.app.max_position(), 10)
        done.set()
        for reader in readers:
            reader.join()
    finally:
        done.set()
        tracker.close()
    assert failures == []
