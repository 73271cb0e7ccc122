"""A snapshot of `Track` class version 3 (release 1: every statement's record and the view)
loads into the version 4 track as the same track its events replay to.

tests/fixtures/track_v3/snapshot.json was written by release 1's code: a track with answers,
a withdrawal retracted and one standing, a correction, retractions, meetings, idempotency
keys and an added party; its stored events, and its snapshot at the last of them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain import errors
from domain.statement_index import PARTY, RETRACTED, TYPE, WITHDRAWN_BY
from domain.track import Track
from services.application import TrackerApp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "track_v3" / "snapshot.json"


@pytest.fixture
def app() -> Iterator[TrackerApp]:
    app = TrackerApp({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def _decoded(app: TrackerApp, row: dict[str, Any]) -> Any:
    return app.mapper.to_domain_event(
        StoredEvent(
            originator_id=UUID(row["originator_id"]),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=base64.b64decode(row["state"]),
        )
    )


def _fixture(app: TrackerApp) -> tuple[Any, list[Any]]:
    stored = json.loads(FIXTURE.read_text())
    snapshot = _decoded(app, stored["snapshot"])
    return snapshot, [_decoded(app, row) for row in stored["events"]]


def _replayed(events: list[Any]) -> Track:
    track = None
    for event in events:
        track = event.mutate(track)
    assert isinstance(track, Track)
    return track


def _state(track: Track) -> dict[str, Any]:
    return {name: v for name, v in vars(track).items() if name != "_pending_events"}


def test_the_fixture_is_a_version_3_snapshot_holding_records_and_the_view(app) -> None:
    snapshot, events = _fixture(app)
    assert snapshot.state["class_version"] == 3
    assert {"statements", "in_view", "live_counts", "last_activity_at"} <= set(snapshot.state)
    assert snapshot.originator_version == len(events)


def test_a_version_3_snapshot_loads_as_the_track_its_events_replay_to(app) -> None:
    snapshot, events = _fixture(app)

    loaded = snapshot.mutate(None)

    assert isinstance(loaded, Track)
    assert loaded.version == snapshot.originator_version
    assert _state(loaded) == _state(_replayed(events))
    assert not {"statements", "in_view", "live_counts", "last_activity_at"} & set(vars(loaded))


def test_the_upcast_index_knows_retractions_and_only_the_standing_withdrawal(app) -> None:
    snapshot, _ = _fixture(app)
    loaded = snapshot.mutate(None)
    records = snapshot.state["statements"]
    warning = next(r for r in records.values() if r.type == "sanction_warning")
    withdrawals = [records[i] for i in warning.withdrawals]

    assert [w.retracted for w in withdrawals] == [True, False]
    assert loaded.index[warning.id][WITHDRAWN_BY] == [withdrawals[1].id]
    assert loaded.index[withdrawals[0].id][RETRACTED] is True
    assert loaded.index[warning.id][TYPE] == "sanction_warning"
    assert loaded.index[warning.id][PARTY] == "United States"


def test_a_track_loaded_from_a_version_3_snapshot_keeps_its_rules_and_keys(app) -> None:
    snapshot, _ = _fixture(app)
    loaded = snapshot.mutate(None)
    records = snapshot.state["statements"]
    warning = next(r for r in records.values() if r.type == "sanction_warning")
    proposal = next(r for r in records.values() if r.type == "proposal")

    assert loaded.replay_for("k-1", "d-1") == [r.id for r in records.values()][:3]
    with pytest.raises(errors.UnresolvableReference, match="already withdrawn"):
        loaded.record_statement(
            "w3",
            {
                "type": "withdrawal",
                "party": "United States",
                "occurred_at": "2022-01-11",
                "summary": "again",
                "withdraws": warning.id,
            },
            recorded_by="t",
        )
    with pytest.raises(errors.AlreadyRetracted):
        loaded.retract_statement(proposal.id, "twice", recorded_by="t")
    loaded.record_statement(
        "s1",
        {"type": "statement", "party": "NATO", "occurred_at": "2022-01-11", "summary": "new"},
        recorded_by="t",
    )
    assert loaded.version == snapshot.originator_version + 1
