"""The projector writes view checkpoints as it applies events: a failure never fails it, a
projector taking over builds on the one before, and applying the log again stores nothing
twice."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest

from domain import errors
from services import audit, checkpoints
from services.bootstrap import Tracker
from services.checkpoint_reader import view_at
from services.projections.checkpoint_writer import CheckpointWriter
from services.projections.projector import LostRace, Projector
from tests.integration.checkpoint_history import (
    INTERVAL,
    fields,
    open_track,
    project,
    random_history,
    replayed,
    state_of,
    statement,
)


def test_a_failed_checkpoint_does_not_fail_the_projector(
    checkpointed: Tracker, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = checkpointed.app
    track_id = random_history(checkpointed, 8, steps=2)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(CheckpointWriter, "_take", broken)
    app.record_statements(
        track_id,
        [fields(random.Random(n), n, "statement", "NATO") for n in range(2 * INTERVAL)],
        recorded_by="t",
    )
    project(checkpointed)  # the read model moves on
    assert (
        checkpointed.read_model.get_track(str(track_id))["version"]
        == app.get_track(track_id).version
    )
    assert "could not take the view checkpoint" in caplog.text
    monkeypatch.undo()
    app.record_statements(
        track_id,
        [fields(random.Random(n), n, "statement", "NATO") for n in range(INTERVAL)],
        recorded_by="t",
    )
    project(checkpointed)
    version = app.get_track(track_id).version
    assert view_at(app, track_id, version) is not None
    assert audit.as_of(app, track_id, version=version) == {
        **state_of(replayed(checkpointed, track_id, version)),
        "as_of": {
            "version": version,
            "recorded_at": replayed(checkpointed, track_id, version).last_activity_at,
        },
    }


def test_a_projector_taking_over_continues_from_the_checkpoints_of_the_one_before(
    checkpointed: Tracker,
) -> None:
    """Projectors take turns (one leads at a time): each knows only the events it applied,
    reads the rest back from the store and builds on the other's checkpoints."""
    first, second = checkpointed.projector(), checkpointed.projector()
    track_id = open_track(checkpointed, "turns")
    rng = random.Random(11)
    for n in range(40):
        track = replayed(checkpointed, track_id)
        batch = [statement(rng, 1000 + n * 10 + i, track) for i in range(rng.randint(1, 3))]
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
        assert state_of(rebuilt) == state_of(replayed(checkpointed, track_id, version)), version
    assert audit.verify(checkpointed.app, track_id)["invalid_checkpoints"] == []


def test_a_projector_applying_the_log_again_stores_no_checkpoint_twice(
    checkpointed: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    """A projector re-applies events after a failed batch, or from the start into a fresh
    read model: the checkpoints it passes are there already, and are left as they are."""
    track_id = random_history(checkpointed, 12, steps=20)
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
