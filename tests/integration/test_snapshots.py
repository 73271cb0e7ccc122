"""Snapshots: one per save that crosses a snapshot point, taken from the track in memory, and
a track rebuilt from a snapshot is the same as one replayed from its first event."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.domain import Snapshot

from domain.document import TrackView
from domain.records import StatementRecord
from domain.statement_index import RETRACTED, WITHDRAWN_BY
from domain.track import Track
from infra.settings import Settings
from services import audit
from services.bootstrap import Tracker, build
from tests.conftest import replayed_view, snapshot_versions


def _statement(n: int) -> dict:
    return {
        "type": "demand" if n % 2 else "statement",
        "party": "Russia",
        "occurred_at": f"2022-01-{1 + n % 28:02d}",
        "summary": f"statement {n}",
    }


def _replayed(tracker: Tracker, track_id, version: int) -> Track:
    track = None
    for event in tracker.app.events.get(track_id, lte=version):
        track = event.mutate(track)
    assert track is not None
    return track


def _open(tracker: Tracker, slug: str, parties: tuple[str, ...] = ("Russia",)) -> UUID:
    return tracker.app.open_track(
        slug=slug,
        kind="other",
        title="t",
        venue=None,
        parties=list(parties),
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id


def _record_one_by_one(tracker: Tracker, track_id: UUID, count: int) -> None:
    for n in range(count):
        tracker.app.record_statements(track_id, [_statement(n)], recorded_by="t")


def test_a_batch_crossing_two_intervals_takes_one_snapshot_at_its_end(snappy: Tracker) -> None:
    track_id = _open(snappy, "snap")
    snappy.app.record_statements(track_id, [_statement(n) for n in range(12)], recorded_by="t")
    assert snapshot_versions(snappy, track_id) == [13]


def test_single_writes_snapshot_at_each_interval(snappy: Tracker) -> None:
    track_id = _open(snappy, "single")
    _record_one_by_one(snappy, track_id, 11)
    assert snapshot_versions(snappy, track_id) == [5, 10]


def test_a_long_track_is_snapshotted_ever_more_sparsely(snappy: Tracker) -> None:
    track_id = _open(snappy, "long")
    _record_one_by_one(snappy, track_id, 49)
    # every 5 events up to 20, then every quarter of the version
    assert snapshot_versions(snappy, track_id) == [5, 10, 15, 20, 25, 31, 38, 47]


def test_every_version_rebuilt_from_snapshots_equals_a_full_replay(snappy: Tracker) -> None:
    track_id = _open(snappy, "equal", ("Russia", "NATO"))
    ids = snappy.app.record_statements(
        track_id, [_statement(n) for n in range(7)], recorded_by="t"
    ).targets
    snappy.app.record_statements(
        track_id,
        [
            {
                "type": "response",
                "party": "NATO",
                "occurred_at": "2022-01-20",
                "summary": "no",
                "responds_to": ids[1],
                "position": "reject",
            }
        ],
        recorded_by="t",
    )
    snappy.app.retract_statement(track_id, ids[3], "wrong", recorded_by="t")
    for n in range(7, 16):
        snappy.app.record_statements(track_id, [_statement(n)], recorded_by="t")
    head = snappy.app.get_track(track_id).version
    for version in range(1, head + 1):
        from_snapshot = snappy.app.get_track(track_id, version=version)
        assert _state(from_snapshot) == _state(_replayed(snappy, track_id, version)), version


def _state(track: Track) -> dict:
    return {name: v for name, v in vars(track).items() if name != "_pending_events"}


def _as_version_1(record: StatementRecord) -> dict:
    """A statement as snapshots of Track class version 1 held it."""
    old = {
        "id": record.id,
        "version": record.version,
        "recorded_at": record.recorded_at,
        "recorded_by": record.recorded_by,
        "fields": record.fields,
        "at": record.at,
        "retracted": record.retracted,
        "retraction": record.retraction,
        "corrections": list(record.corrections),
    }
    if record.meeting_key is not None:
        old["meeting_key"] = record.meeting_key
    return old


def _as_version_2(record: StatementRecord) -> StatementRecord:
    """A statement as version 2 held it: its answers and withdrawals were track-wide maps."""
    return StatementRecord.from_list(record.as_list()[:9])


def _version_2_state(head: Track, view: TrackView) -> dict:
    """The track's state in the shape of Track class version 2: every statement's record,
    and its view's counts and last activity."""
    state = {
        k: v for k, v in Snapshot.take(head).state.items() if k not in ("class_version", "index")
    }
    state["class_version"] = 2
    state["last_activity_at"] = view.last_activity_at
    state["live_counts"] = dict(view.live_counts)
    state["statements"] = {i: _as_version_2(r) for i, r in view.statements.items()}
    state["responses_to"] = {i: list(r.answers) for i, r in view.statements.items() if r.answers}
    state["withdrawals_of"] = {
        i: list(r.withdrawals) for i, r in view.statements.items() if r.withdrawals
    }
    state["by_type"] = {}
    for record in view.statements.values():
        state["by_type"].setdefault(record.type, []).append(record.id)
    return state


def _version_1_state(head: Track, view: TrackView) -> dict:
    state = _version_2_state(head, view)
    del state["class_version"]  # the library stores none for version 1
    state["statements"] = {i: _as_version_1(r) for i, r in view.statements.items()}
    return state


@pytest.mark.parametrize(
    "old_state", [_version_1_state, _version_2_state], ids=["class version 1", "class version 2"]
)
def test_a_snapshot_stored_by_an_earlier_track_version_still_loads(
    database_url: str, monkeypatch: pytest.MonkeyPatch, old_state
) -> None:
    tracker = build(
        Settings(database_url=database_url, snapshot_interval=10_000, embedded_projector=False)
    )
    try:
        app = tracker.app
        track_id = app.open_track(
            slug="old-snapshot",
            kind="other",
            title="t",
            venue=None,
            parties=["Russia", "NATO"],
            opened_at="2022-01-01",
            recorded_by="t",
        ).track.id
        ids = app.record_statements(
            track_id, [_statement(n) for n in range(6)], recorded_by="t"
        ).targets
        app.record_statements(
            track_id,
            [
                {
                    "type": "meeting_scheduled",
                    "party": "NATO",
                    "occurred_at": "2022-01-05",
                    "summary": "next round",
                    "meeting_at": "2022-02-01",
                    "location": "Vienna",
                },
                {
                    "type": "response",
                    "party": "NATO",
                    "occurred_at": "2022-01-06",
                    "summary": "no",
                    "responds_to": ids[3],
                    "position": "reject",
                },
                {
                    "type": "withdrawal",
                    "party": "Russia",
                    "occurred_at": "2022-01-07",
                    "summary": "dropped",
                    "withdraws": ids[5],
                },
            ],
            recorded_by="t",
        )
        app.correct_statement(track_id, ids[0], {"summary": "corrected"}, "typo", recorded_by="t")
        app.retract_statement(track_id, ids[1], "wrong", recorded_by="t")
        head = app.get_track(track_id, version=None)
        view = replayed_view(tracker, track_id)
        taken = Snapshot.take(head)
        assert app.snapshots is not None
        app.snapshots.put(
            [
                Snapshot(
                    originator_id=taken.originator_id,
                    originator_version=taken.originator_version,
                    timestamp=taken.timestamp,
                    topic=taken.topic,
                    state=old_state(head, view),
                )
            ]
        )

        upcasts = []
        for name in ("upcast_v1_v2", "upcast_v2_v3", "upcast_v3_v4"):
            upcast = getattr(Track, name)
            monkeypatch.setattr(
                Track,
                name,
                staticmethod(
                    lambda state, name=name, upcast=upcast: (upcasts.append(name), upcast(state))
                ),
            )

        loaded = app.repository.get(track_id, version=head.version)  # from that snapshot

        expected = ["upcast_v2_v3", "upcast_v3_v4"]
        if old_state is _version_1_state:
            expected.insert(0, "upcast_v1_v2")
        assert upcasts == expected
        assert [s.originator_version for s in app.snapshots.get(track_id)] == [head.version]
        assert _state(loaded) == _state(head)
        assert loaded.index[ids[5]][WITHDRAWN_BY] and loaded.index[ids[1]][RETRACTED]
        report = audit.verify(app, track_id)  # the old snapshot agrees with the events
        assert (report["valid"], report["snapshots_checked"]) == (True, 1), report
    finally:
        tracker.close()
