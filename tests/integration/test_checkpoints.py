"""View checkpoints: a track rebuilt from its newest checkpoint and the events after it shows
exactly what the track replayed from its first event shows, at every version, on both
stores, whatever happened in between (answers, withdrawals, corrections, retractions,
meetings, batches crossing several checkpoints, buckets spread again, lost checkpoints).

The projector writes them as it applies the events: these tests run it (`project`) after
writing, as the service's projector would."""

from __future__ import annotations

import itertools
import random

import pytest

from infra.settings import Settings
from services import audit, checkpoints
from services.bootstrap import Tracker, build
from services.checkpoint_reader import view_at
from tests.integration.checkpoint_history import (
    INTERVAL,
    delete_rows,
    fields,
    latest_checkpoint,
    open_track,
    project,
    random_history,
    replayed,
    state_of,
)

FAR_BEHIND = 200  # events past a checkpoint, beyond which as-of once started from a snapshot


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_track_rebuilt_from_a_checkpoint_equals_a_full_replay_at_every_version(
    checkpointed: Tracker, seed: int
) -> None:
    track_id = random_history(checkpointed, seed, steps=40)
    head = checkpointed.app.get_track(track_id).version
    assert head > 10 * INTERVAL
    for version in range(1, head + 1):
        expected = state_of(replayed(checkpointed, track_id, version))
        from_checkpoint = view_at(checkpointed.app, track_id, version)
        if version < INTERVAL:
            assert from_checkpoint is None  # nothing to start from: folded from the start
            continue
        assert from_checkpoint is not None, version
        assert state_of(from_checkpoint) == expected, version
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
    track_id = random_history(checkpointed, 4, steps=25)
    head = checkpointed.app.get_track(track_id).version
    rows = checkpointed.app.snapshots.get(checkpoints.view_stream(track_id))
    taken = [row.originator_version for row in rows]
    in_view = {
        v: len(replayed(checkpointed, track_id, v).view_parts())
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
    track_id = random_history(checkpointed, 5, steps=40)
    rows = list(checkpointed.app.snapshots.get(checkpoints.view_stream(track_id)))
    counts = [row.buckets for row in rows]
    assert counts == sorted(counts) and len(set(counts)) >= 3, counts
    assert {row.base for row in rows if row.base == row.originator_version} != {INTERVAL}


def test_a_lost_checkpoint_costs_a_longer_fold_never_a_wrong_answer(checkpointed: Tracker) -> None:
    app = checkpointed.app
    track_id = random_history(checkpointed, 6, steps=12)
    head = app.get_track(track_id).version
    lost = (head // INTERVAL) * INTERVAL
    delete_rows(checkpointed, checkpoints.view_stream(track_id), lost)
    # the writes after it fold from the checkpoint before the lost one
    track_id_again = track_id
    for n in range(6):
        app.record_statements(
            track_id_again, [fields(random.Random(n), n, "demand", "Russia")], recorded_by="t"
        )
    project(checkpointed)
    for version in range(1, app.get_track(track_id).version + 1):
        rebuilt = view_at(app, track_id, version)
        if rebuilt is not None:
            assert state_of(rebuilt) == state_of(replayed(checkpointed, track_id, version)), version


def test_a_track_whose_checkpoints_were_all_lost_gets_a_full_one_at_its_next(
    checkpointed: Tracker,
) -> None:
    app = checkpointed.app
    track_id = random_history(checkpointed, 7, steps=10)
    for row in list(app.snapshots.get(checkpoints.view_stream(track_id))):
        delete_rows(checkpointed, checkpoints.view_stream(track_id), row.originator_version)
    version = app.get_track(track_id).version
    assert view_at(app, track_id, version) is None
    # as-of still answers, folded from the first event
    assert audit.as_of(app, track_id, version=version)["version"] == version
    while app.get_track(track_id).version % INTERVAL:
        app.record_statements(
            track_id, [fields(random.Random(0), 0, "statement", "NATO")], recorded_by="t"
        )
    project(checkpointed)
    newest = latest_checkpoint(app, track_id, app.get_track(track_id).version)
    assert newest is not None and newest.base == newest.originator_version  # a full write
    assert state_of(view_at(app, track_id, newest.originator_version)) == state_of(
        replayed(checkpointed, track_id, newest.originator_version)
    )


def test_checkpoints_can_be_turned_off(database_url: str) -> None:
    tracker = build(
        Settings(database_url=database_url, embedded_projector=False, checkpoint_interval=0)
    )
    try:
        track_id = random_history(tracker, 9, steps=30)
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
    track_id = open_track(checkpointed, "all-buckets")
    rng = random.Random(0)
    ids = app.record_statements(
        track_id,
        [
            fields(rng, 1, "demand", "Russia"),
            fields(rng, 2, "meeting_held", "NATO"),
            {**fields(rng, 3, "meeting_held", "NATO"), "occurred_at": "2022-05-01"},
            fields(rng, 4, "statement", "NATO"),
            fields(rng, 5, "statement", "NATO"),
            fields(rng, 6, "statement", "NATO"),
            fields(rng, 7, "statement", "NATO"),
        ],
        recorded_by="t",
    ).targets
    checkpoint = app.get_track(track_id).version  # 8
    assert checkpoint % INTERVAL == 0
    app.correct_statement(
        track_id, ids[0], {"summary": "the corrected demand"}, "typo", recorded_by="t"
    )
    app.retract_statement(track_id, ids[2], "not held", recorded_by="t")
    project(checkpointed)
    version = checkpoint + 2
    assert latest_checkpoint(app, track_id, version).originator_version == 8
    rebuilt = view_at(app, track_id, version)
    assert rebuilt is not None
    state = state_of(rebuilt)
    assert state == state_of(replayed(checkpointed, track_id, version))
    assert state["open_demands"][0]["summary"] == "the corrected demand"


def test_as_of_far_past_a_sparse_checkpoint_folds_from_it_to_the_right_answer(
    checkpointed: Tracker,
) -> None:
    """On a track with a large view checkpoints are sparse (a quarter of the version apart):
    well after the newest checkpoint (and after snapshots, which hold no view), as-of still
    folds from the checkpoint."""
    app = checkpointed.app
    track_id = open_track(checkpointed, "never-answered")
    for start in range(0, 1200, 400):
        app.record_statements(
            track_id,
            [fields(random.Random(n), n, "demand", "Russia") for n in range(start, start + 400)],
            recorded_by="t",
        )
    project(checkpointed)
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
        expected = state_of(replayed(checkpointed, track_id, version))
        assert audit.as_of(app, track_id, version=version) == {
            **expected,
            "as_of": {"version": version, "recorded_at": expected["last_activity_at"]},
        }
