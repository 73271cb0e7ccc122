"""A snapshot of the `Track` round trip (copied, or through the stored JSON) keeps its head
hash and all its state, and the chain and the views go on as without one."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from domain import errors
from domain.document import TrackView
from domain.hashchain import hash_of_event
from domain.track import Track
from domain.views import statement_view, track_state
from services.application import StatementRecordAsList
from tests.unit.builders import (
    RUSSIA,
    a_track_with_every_kind_of_event,
    first_invalid_version,
    respond,
    retract,
    view_of,
)

# -- snapshots --------------------------------------------------------------------------------


def _state(track: Track) -> dict[str, Any]:
    """Everything the track holds (its index, idempotency keys, head hash...) but its
    pending events."""
    return {name: copy.deepcopy(v) for name, v in vars(track).items() if name != "_pending_events"}


def _views(track: TrackView) -> dict[str, Any]:
    return {
        "state": track_state(track, position=None),
        "statements": {sid: statement_view(track, sid) for sid in track.statements},
        "head_hash": track.head_hash,
        "version": track.version,
    }


def _transcoded_round_trip(track: Track) -> Track:
    """Snapshot -> JSON bytes -> snapshot -> aggregate, as a stored snapshot would go."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DecimalAsStr(), StatementRecordAsList()):
        transcoder.register(transcoding)
    snapshot = Snapshot.take(track)
    state = transcoder.decode(transcoder.encode(snapshot.state))
    stored = Snapshot(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=snapshot.timestamp,
        topic=snapshot.topic,
        state=state,
    )
    return stored.mutate(None)


def _copied_round_trip(track: Track) -> Track:
    """Snapshot -> independent copy -> aggregate. `Snapshot.take` copies the aggregate's
    state shallowly, so without the copy the two aggregates would share their dicts (a
    stored snapshot never does)."""
    return copy.deepcopy(Snapshot.take(track)).mutate(None)


@pytest.fixture(params=["copied", "json-transcoded"])
def round_trip(request):
    if request.param == "copied":
        return _copied_round_trip
    return _transcoded_round_trip


def test_snapshot_take_then_mutate_gives_the_same_head_hash_and_state():
    track = a_track_with_every_kind_of_event()

    restored = Snapshot.take(track).mutate(None)

    assert restored.head_hash == track.head_hash
    assert restored.version == track.version
    assert _state(restored) == _state(track)


def test_a_snapshot_round_trip_keeps_the_head_hash_and_all_the_state(round_trip):
    track = a_track_with_every_kind_of_event()

    restored = round_trip(track)

    assert isinstance(restored, Track)
    assert restored.id == track.id
    assert _state(restored) == _state(track)
    assert restored.pending_events == []


def test_the_chain_continues_unbroken_after_a_snapshot_round_trip(round_trip):
    track = a_track_with_every_kind_of_event()
    restored = round_trip(track)

    respond(restored, "r2", "p1", "counter", party=RUSSIA)
    retract(restored, "r1")

    first, second = restored.pending_events
    assert first.originator_version == track.version + 1
    assert first.prev_hash == track.head_hash
    assert second.prev_hash == first.hash
    assert all(hash_of_event(e) == e.hash for e in restored.pending_events)
    assert first_invalid_version([*track.pending_events, first, second]) is None


def test_the_same_commands_after_a_snapshot_give_the_same_views_as_without_one(round_trip):
    live = a_track_with_every_kind_of_event()
    history = list(live.pending_events)
    restored = round_trip(live)

    for track in (live, restored):
        respond(track, "r2", "p1", "accept", party=RUSSIA, occurred_at="2022-01-20")
        retract(track, "r1")

    after_restore = TrackView.fold([*history, *restored.pending_events])
    assert after_restore is not None
    assert restored.index == live.index
    live_views, restored_views = _views(view_of(live)), _views(after_restore)
    # timestamps (and so hashes) differ between the two runs; the derived state must not
    for views in (live_views, restored_views):
        del views["head_hash"]
        views["state"].pop("last_activity_at")
        for view in views["statements"].values():
            view.pop("recorded_at")
            for response in view.get("responses", []):
                response.pop("recorded_at")
            for item in view["corrections"]:
                item.pop("recorded_at")
    assert restored_views == live_views


def test_idempotency_keys_survive_a_snapshot_round_trip(round_trip):
    track = a_track_with_every_kind_of_event()

    restored = round_trip(track)

    assert restored.replay_for("k-r1", "sha-r1") == ["r1"]
    assert restored.replay_for("add-nato", "sha-n") == []
    with pytest.raises(errors.IdempotencyKeyReused):
        restored.replay_for("k-r1", "sha-other")
