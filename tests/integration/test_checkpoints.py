"""View checkpoints: a track rebuilt from its newest checkpoint and the events after it shows
exactly what the track replayed from its first event shows, at every version, on both
stores, whatever happened in between (answers, withdrawals, corrections, retractions,
meetings, batches crossing several checkpoints, buckets spread again, lost checkpoints).

The projector writes them as it applies the events: these tests run it (`_project`) after
writing, as the service's projector would."""

from __future__ import annotations

import contextlib
import itertools
import random
import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest

from domain import errors, views
from domain.document import TrackView
from infra.settings import Settings
from services import audit, checkpoints
from services.bootstrap import Tracker, build
from services.checkpoint_reader import view_at
from services.projections.checkpoint_writer import CheckpointWriter
from services.projections.projector import LostRace, Projector
from tests.conftest import replayed_view

PARTIES = ["Russia", "United States", "NATO"]
INTERVAL = 4
FAR_BEHIND = 200  # events past a checkpoint, beyond which as-of once started from a snapshot


@pytest.fixture
def small_buckets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Few records per bucket and early regrowth, so short tracks spread their buckets
    again several times."""
    monkeypatch.setattr(checkpoints, "MIN_BUCKETS", 2)
    monkeypatch.setattr(checkpoints, "RECORDS_PER_BUCKET", 1)
    monkeypatch.setattr(checkpoints, "REGROW_AFTER", 3)


@pytest.fixture
def checkpointed(database_url: str, small_buckets: None) -> Iterator[Tracker]:
    instance = build(
        Settings(
            database_url=database_url,
            embedded_projector=False,
            snapshot_interval=7,
            checkpoint_interval=INTERVAL,
        )
    )
    yield instance
    instance.close()


def _project(tracker: Tracker) -> None:
    """Let the tracker's projector (one per tracker, kept across calls) catch up."""
    projector = tracker.__dict__.setdefault("_projector", tracker.projector())
    projector.catch_up()


def _latest_checkpoint(app: Any, track_id: UUID, version: int) -> checkpoints.ViewCheckpoint | None:
    rows = app.snapshots.recorder.select_events(
        checkpoints.view_stream(track_id), lte=version, desc=True, limit=1
    )
    return app.snapshots.mapper.to_domain_event(rows[0]) if rows else None


def _replayed(tracker: Tracker, track_id: UUID, version: int | None = None) -> TrackView:
    return replayed_view(tracker, track_id, version)


def _fields(rng: random.Random, n: int, kind: str, party: str) -> dict[str, Any]:
    day = f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}"
    fields: dict[str, Any] = {
        "type": kind,
        "party": party,
        "occurred_at": day,
        "summary": f"{kind} {n}",
    }
    if kind == "sanction_warning":
        fields["target"] = "Russia"
    if kind == "warning":
        fields["category"] = "military"
    if kind in ("meeting_scheduled", "meeting_held"):
        fields["location"] = "Geneva"
    if kind == "meeting_scheduled":
        fields["meeting_at"] = f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}"
    return fields


def _statement(rng: random.Random, n: int, track: TrackView) -> dict[str, Any]:
    party = rng.choice(PARTIES)
    live = [r for r in track.statements.values() if not r.retracted]
    choice = rng.random()
    if choice < 0.25 and live:
        target = rng.choice(live)
        return {
            **_fields(rng, n, "response", party),
            "responds_to": target.id,
            "position": rng.choice(["accept", "reject", "partial", "counter", "noncommittal"]),
        }
    withdrawable = [r for r in live if r.type in ("demand", "proposal", "sanction_warning")]
    if choice < 0.33 and withdrawable:
        target = rng.choice(withdrawable)
        return {**_fields(rng, n, "withdrawal", target.party), "withdraws": target.id}
    kind = rng.choice(
        [
            "demand",
            "demand",
            "proposal",
            "sanction_warning",
            "statement",
            "meeting_scheduled",
            "meeting_held",
            "meeting_held",
            "concession",
        ]
    )
    return _fields(rng, n, kind, party)


def _random_history(tracker: Tracker, seed: int, steps: int) -> UUID:
    """A track written the ways the API writes: batches of one to nine statements (a
    batch may cross several checkpoints), corrections and retractions of any earlier
    statement (meetings and answers too)."""
    rng = random.Random(seed)
    app = tracker.app
    track_id = app.open_track(
        slug=f"cp-{seed}-{uuid.uuid4().hex[:6]}",
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    for n in range(steps):
        track = _replayed(tracker, track_id)
        live = [r for r in track.statements.values() if not r.retracted]
        try:
            roll = rng.random()
            if roll < 0.12 and live:
                target = rng.choice(live)
                app.correct_statement(
                    track_id,
                    target.id,
                    {
                        "occurred_at": f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}",
                        "summary": f"corrected {n}",
                    },
                    "wrong date",
                    recorded_by="t",
                )
            elif roll < 0.22 and live:
                app.retract_statement(track_id, rng.choice(live).id, "in error", recorded_by="t")
            else:
                batch = [_statement(rng, n * 10 + i, track) for i in range(rng.randint(1, 9))]
                app.record_statements(track_id, batch, recorded_by="t")
        except errors.TrackerError:
            pass  # e.g. a second withdrawal of the same statement: refused, nothing recorded
    _project(tracker)
    return track_id


def _state(track: TrackView) -> dict[str, Any]:
    return views.track_state(track, None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_track_rebuilt_from_a_checkpoint_equals_a_full_replay_at_every_version(
    checkpointed: Tracker, seed: int
) -> None:
    track_id = _random_history(checkpointed, seed, steps=40)
    head = checkpointed.app.get_track(track_id).version
    assert head > 10 * INTERVAL
    for version in range(1, head + 1):
        expected = _state(_replayed(checkpointed, track_id, version))
        from_checkpoint = view_at(checkpointed.app, track_id, version)
        if version < INTERVAL:
            assert from_checkpoint is None  # nothing to start from: folded from the start
            continue
        assert from_checkpoint is not None, version
        assert _state(from_checkpoint) == expected, version
        assert audit.as_of(checkpointed.app, track_id, version=version) == {
            **expected,
            "as_of": {"version": version, "recorded_at": expected["last_activity_at"]},
        }


def test_checkpoints_are_spaced_by_the_interval_or_by_the_size_of_the_view_if_larger(
    checkpointed: Tracker,
) -> None:
    """A checkpoint costs the size of what is in view: one is taken at each multiple of the
    interval at which at least that many events passed since the one before (or a quarter
    of the version, as snapshots are spaced, if fewer)."""
    track_id = _random_history(checkpointed, 4, steps=25)
    head = checkpointed.app.get_track(track_id).version
    rows = checkpointed.app.snapshots.get(checkpoints.view_stream(track_id))
    taken = [row.originator_version for row in rows]
    in_view = {
        v: len(_replayed(checkpointed, track_id, v).view_parts())
        for v in range(INTERVAL, head + 1, INTERVAL)
    }
    expected, last = [], None
    for version, size in in_view.items():
        if last is None or version - last >= min(size, version // 4):
            expected.append(version)
            last = version
    assert taken == expected
    assert any(b - a > INTERVAL for a, b in itertools.pairwise(taken))  # the rule was used


def test_buckets_are_spread_again_as_the_track_grows(checkpointed: Tracker) -> None:
    track_id = _random_history(checkpointed, 5, steps=40)
    rows = list(checkpointed.app.snapshots.get(checkpoints.view_stream(track_id)))
    counts = [row.buckets for row in rows]
    assert counts == sorted(counts) and len(set(counts)) >= 3, counts
    assert {row.base for row in rows if row.base == row.originator_version} != {INTERVAL}


def _delete_rows(tracker: Tracker, originator_id: UUID, version: int) -> None:
    """Remove stored snapshot-store rows behind the application's back (a lost write)."""
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            conn.execute(
                "DELETE FROM stored_snapshots WHERE originator_id IN (?, ?)"
                " AND originator_version = ?",
                (originator_id.hex, str(originator_id), version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        conn.execute(
            f'DELETE FROM "{tracker.stores.config.pg_schema}".ntrack_snapshots'
            " WHERE originator_id = %s AND originator_version = %s",
            (originator_id, version),
        )


def _edit_row(tracker: Tracker, originator_id: UUID, version: int, edit: Any) -> None:
    """Rewrite a snapshot-store row's state behind the application's back."""
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            where = "WHERE originator_id IN (?, ?) AND originator_version = ?"
            key = (originator_id.hex, str(originator_id), version)
            (state,) = conn.execute(f"SELECT state FROM stored_snapshots {where}", key).fetchone()
            conn.execute(
                f"UPDATE stored_snapshots SET state = ? {where}", (edit(bytes(state)), *key)
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    table = f'"{tracker.stores.config.pg_schema}".ntrack_snapshots'
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        where = "WHERE originator_id = %s AND originator_version = %s"
        (state,) = conn.execute(
            f"SELECT state FROM {table} {where}", (originator_id, version)
        ).fetchone()
        conn.execute(
            f"UPDATE {table} SET state = %s {where}", (edit(bytes(state)), originator_id, version)
        )


def _replacing(old: bytes, new: bytes) -> Any:
    def edit(state: bytes) -> bytes:
        assert old in state
        return state.replace(old, new)

    return edit


def _copy_row(tracker: Tracker, originator_id: UUID, version: int, to_version: int) -> None:
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            conn.execute(
                "INSERT INTO stored_snapshots SELECT originator_id, ?, topic, state"
                " FROM stored_snapshots WHERE originator_id IN (?, ?)"
                " AND originator_version = ?",
                (to_version, originator_id.hex, str(originator_id), version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    table = f'"{tracker.stores.config.pg_schema}".ntrack_snapshots'
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {table} SELECT originator_id, %s, topic, state FROM {table}"
            " WHERE originator_id = %s AND originator_version = %s",
            (to_version, originator_id, version),
        )


def _a_checkpointed_track(tracker: Tracker) -> tuple[UUID, str, int]:
    """A track with checkpoints at 4, 8 and 12; the statement recorded at version 10."""
    app = tracker.app
    track_id = app.open_track(
        slug=f"verify-{uuid.uuid4().hex[:6]}",
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    # one demand (in view, so in the checkpoint itself), the rest plain statements
    ids = app.record_statements(
        track_id,
        [
            {
                **_fields(random.Random(n), n, "demand" if n == 9 else "statement", "Russia"),
                "summary": f"statement number {n}",
            }
            for n in range(11)
        ],
        recorded_by="t",
    ).targets
    _project(tracker)
    return track_id, ids[8], 12


def _bucket_holding(tracker: Tracker, track_id: UUID, statement_id: str, version: int) -> UUID:
    """The bucket stream that the checkpoint at `version` puts the statement in."""
    newest = _latest_checkpoint(tracker.app, track_id, version)
    assert newest is not None and newest.originator_version == version
    return checkpoints.bucket_stream(
        track_id, newest.buckets, checkpoints.bucket_of(statement_id, newest.buckets)
    )


def test_verify_checks_every_checkpoint_and_bucket_row_against_the_events(
    checkpointed: Tracker,
) -> None:
    track_id, _, _ = _a_checkpointed_track(checkpointed)
    _random_history(checkpointed, 10, steps=20)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["checkpoints_checked"], report["invalid_checkpoints"]) == (
        True,
        3,
        [],
    )


def test_an_edited_checkpoint_is_reported_at_its_version(checkpointed: Tracker) -> None:
    track_id, _, last = _a_checkpointed_track(checkpointed)
    _edit_row(
        checkpointed,
        checkpoints.view_stream(track_id),
        last,
        _replacing(b"statement number 9", b"statement number 0"),
    )
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["first_invalid_version"], report["invalid_checkpoints"]) == (
        False,
        None,
        [last],
    )
    everything = audit.verify_all(checkpointed.app)
    assert (everything["valid"], everything["items"][0]["invalid_checkpoints"]) == (False, [last])


def test_an_edited_bucket_row_is_reported_at_its_version(checkpointed: Tracker) -> None:
    track_id, statement_id, last = _a_checkpointed_track(checkpointed)
    stream = _bucket_holding(checkpointed, track_id, statement_id, last)
    _edit_row(checkpointed, stream, last, _replacing(b"statement number 8", b"statement number 0"))
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last])


def test_a_bucket_row_no_checkpoint_wrote_is_reported(checkpointed: Tracker) -> None:
    track_id, statement_id, last = _a_checkpointed_track(checkpointed)
    stream = _bucket_holding(checkpointed, track_id, statement_id, last)
    _copy_row(checkpointed, stream, last, last + 1)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last + 1])


def test_a_deleted_bucket_row_is_reported_at_the_checkpoints_that_would_read_it(
    checkpointed: Tracker,
) -> None:
    track_id, statement_id, last = _a_checkpointed_track(checkpointed)
    stream = _bucket_holding(checkpointed, track_id, statement_id, last)
    _delete_rows(checkpointed, stream, last)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last])


def test_as_of_answers_from_the_snapshot_when_a_checkpoint_cannot_be_read(
    checkpointed: Tracker,
) -> None:
    track_id, _, last = _a_checkpointed_track(checkpointed)
    _edit_row(
        checkpointed,
        checkpoints.view_stream(track_id),
        last,
        lambda state: b"\x00 not a checkpoint",
    )
    expected = _state(_replayed(checkpointed, track_id, last))
    assert audit.as_of(checkpointed.app, track_id, version=last) == {
        **expected,
        "as_of": {"version": last, "recorded_at": expected["last_activity_at"]},
    }
    assert audit.verify(checkpointed.app, track_id)["invalid_checkpoints"] == [last]


def test_a_lost_checkpoint_costs_a_longer_fold_never_a_wrong_answer(checkpointed: Tracker) -> None:
    app = checkpointed.app
    track_id = _random_history(checkpointed, 6, steps=12)
    head = app.get_track(track_id).version
    lost = (head // INTERVAL) * INTERVAL
    _delete_rows(checkpointed, checkpoints.view_stream(track_id), lost)
    # the writes after it fold from the checkpoint before the lost one
    track_id_again = track_id
    for n in range(6):
        app.record_statements(
            track_id_again, [_fields(random.Random(n), n, "demand", "Russia")], recorded_by="t"
        )
    _project(checkpointed)
    for version in range(1, app.get_track(track_id).version + 1):
        rebuilt = view_at(app, track_id, version)
        if rebuilt is not None:
            assert _state(rebuilt) == _state(_replayed(checkpointed, track_id, version)), version


def test_a_track_whose_checkpoints_were_all_lost_gets_a_full_one_at_its_next(
    checkpointed: Tracker,
) -> None:
    app = checkpointed.app
    track_id = _random_history(checkpointed, 7, steps=10)
    for row in list(app.snapshots.get(checkpoints.view_stream(track_id))):
        _delete_rows(checkpointed, checkpoints.view_stream(track_id), row.originator_version)
    version = app.get_track(track_id).version
    assert view_at(app, track_id, version) is None
    # as-of still answers, folded from the first event
    assert audit.as_of(app, track_id, version=version)["version"] == version
    while app.get_track(track_id).version % INTERVAL:
        app.record_statements(
            track_id, [_fields(random.Random(0), 0, "statement", "NATO")], recorded_by="t"
        )
    _project(checkpointed)
    newest = _latest_checkpoint(app, track_id, app.get_track(track_id).version)
    assert newest is not None and newest.base == newest.originator_version  # a full write
    assert _state(view_at(app, track_id, newest.originator_version)) == _state(
        _replayed(checkpointed, track_id, newest.originator_version)
    )


def test_a_failed_checkpoint_does_not_fail_the_projector(
    checkpointed: Tracker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = checkpointed.app
    track_id = _random_history(checkpointed, 8, steps=2)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(CheckpointWriter, "_take", broken)
    app.record_statements(
        track_id,
        [_fields(random.Random(n), n, "statement", "NATO") for n in range(2 * INTERVAL)],
        recorded_by="t",
    )
    _project(checkpointed)  # the read model moves on
    assert (
        checkpointed.read_model.get_track(str(track_id))["version"]
        == app.get_track(track_id).version
    )
    assert "could not take the view checkpoint" in caplog.text
    monkeypatch.undo()
    app.record_statements(
        track_id,
        [_fields(random.Random(n), n, "statement", "NATO") for n in range(INTERVAL)],
        recorded_by="t",
    )
    _project(checkpointed)
    version = app.get_track(track_id).version
    assert view_at(app, track_id, version) is not None
    assert audit.as_of(app, track_id, version=version) == {
        **_state(_replayed(checkpointed, track_id, version)),
        "as_of": {
            "version": version,
            "recorded_at": _replayed(checkpointed, track_id, version).last_activity_at,
        },
    }


def test_a_projector_taking_over_continues_from_the_checkpoints_of_the_one_before(
    checkpointed: Tracker,
) -> None:
    """Projectors take turns (one leads at a time): each knows only the events it applied,
    reads the rest back from the store and builds on the other's checkpoints."""
    first, second = checkpointed.projector(), checkpointed.projector()
    track_id = checkpointed.app.open_track(
        slug="turns",
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    rng = random.Random(11)
    for n in range(40):
        track = _replayed(checkpointed, track_id)
        batch = [_statement(rng, 1000 + n * 10 + i, track) for i in range(rng.randint(1, 3))]
        with contextlib.suppress(errors.TrackerError):  # refused: nothing recorded
            checkpointed.app.record_statements(track_id, batch, recorded_by="t")
        projector = (first, second)[rng.randrange(2)]
        try:
            projector.catch_up_once(limit=rng.randint(1, 6))
        except LostRace:  # it trusted its own last position: told, it reads the store's
            projector.catch_up_once(limit=rng.randint(1, 6))
    with contextlib.suppress(LostRace):
        first.catch_up()
    first.catch_up()
    head = checkpointed.app.get_track(track_id).version
    for version in range(INTERVAL, head + 1):
        rebuilt = view_at(checkpointed.app, track_id, version)
        assert rebuilt is not None
        assert _state(rebuilt) == _state(_replayed(checkpointed, track_id, version)), version
    assert audit.verify(checkpointed.app, track_id)["invalid_checkpoints"] == []


def test_checkpoints_can_be_turned_off(database_url: str) -> None:
    tracker = build(
        Settings(database_url=database_url, embedded_projector=False, checkpoint_interval=0)
    )
    try:
        track_id = _random_history(tracker, 9, steps=30)
        assert list(tracker.app.snapshots.get(checkpoints.view_stream(track_id))) == []
        version = tracker.app.get_track(track_id).version
        assert audit.as_of(tracker.app, track_id, version=version)["version"] == version
    finally:
        tracker.close()


def test_records_changed_since_the_checkpoint_survive_loading_every_bucket(
    checkpointed: Tracker,
) -> None:
    """Retracting the newest held meeting makes a rebuilt track load all its buckets; a
    record an earlier event changed must keep the change, not come back as checkpointed."""
    app = checkpointed.app
    track_id = app.open_track(
        slug="all-buckets",
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    rng = random.Random(0)
    ids = app.record_statements(
        track_id,
        [
            _fields(rng, 1, "demand", "Russia"),
            _fields(rng, 2, "meeting_held", "NATO"),
            {**_fields(rng, 3, "meeting_held", "NATO"), "occurred_at": "2022-05-01"},
            _fields(rng, 4, "statement", "NATO"),
            _fields(rng, 5, "statement", "NATO"),
            _fields(rng, 6, "statement", "NATO"),
            _fields(rng, 7, "statement", "NATO"),
        ],
        recorded_by="t",
    ).targets
    checkpoint = app.get_track(track_id).version  # 8
    assert checkpoint % INTERVAL == 0
    app.correct_statement(
        track_id, ids[0], {"summary": "the corrected demand"}, "typo", recorded_by="t"
    )
    app.retract_statement(track_id, ids[2], "not held", recorded_by="t")
    _project(checkpointed)
    version = checkpoint + 2
    assert _latest_checkpoint(app, track_id, version).originator_version == 8
    rebuilt = view_at(app, track_id, version)
    assert rebuilt is not None
    state = _state(rebuilt)
    assert state == _state(_replayed(checkpointed, track_id, version))
    assert state["open_demands"][0]["summary"] == "the corrected demand"


def test_as_of_far_past_a_sparse_checkpoint_folds_from_it_to_the_right_answer(
    checkpointed: Tracker,
) -> None:
    """On a track with a large view checkpoints are sparse (a quarter of the version apart):
    well after the newest checkpoint (and after snapshots, which hold no view), as-of still
    folds from the checkpoint."""
    app = checkpointed.app
    track_id = app.open_track(
        slug="never-answered",
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id
    for start in range(0, 1200, 400):
        app.record_statements(
            track_id,
            [_fields(random.Random(n), n, "demand", "Russia") for n in range(start, start + 400)],
            recorded_by="t",
        )
    _project(checkpointed)
    taken = [row.originator_version for row in app.snapshots.get(checkpoints.view_stream(track_id))]
    snapshots = [row.originator_version for row in app.snapshots.get(track_id)]
    far = [
        v
        for v in range(1, 1202)
        if v - max(c for c in [0, *taken] if c <= v) > FAR_BEHIND
        and any(s > max(c for c in [0, *taken] if c <= v) for s in snapshots if s <= v)
    ]
    assert far, (taken, snapshots)
    for version in (far[0], far[-1]):
        rebuilt = view_at(app, track_id, version)
        assert rebuilt is not None
        assert rebuilt.version == version
        expected = _state(_replayed(checkpointed, track_id, version))
        assert audit.as_of(app, track_id, version=version) == {
            **expected,
            "as_of": {"version": version, "recorded_at": expected["last_activity_at"]},
        }


def test_a_projector_applying_the_log_again_stores_no_checkpoint_twice(
    checkpointed: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    """A projector re-applies events after a failed batch, or from the start into a fresh
    read model: the checkpoints it passes are there already, and are left as they are."""
    track_id = _random_history(checkpointed, 12, steps=20)
    stored = [
        (row.originator_version, row.timestamp)
        for row in checkpointed.app.snapshots.get(checkpoints.view_stream(track_id))
    ]
    fresh = checkpointed.read_model.sibling("rmagain_")
    fresh.create_tables()
    try:
        again = Projector(checkpointed.app, fresh, checkpoints=checkpointed.checkpoint_writer())
        again.catch_up()
    finally:
        fresh.drop_tables()
    assert "could not store" not in caplog.text
    assert [
        (row.originator_version, row.timestamp)
        for row in checkpointed.app.snapshots.get(checkpoints.view_stream(track_id))
    ] == stored
