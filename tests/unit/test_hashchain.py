"""The audit hash chain: hash = sha256(prev_hash ‖ canonical JSON of the event's content).

Given a track after a mix of commands, then each pending event's `hash` is what
`hash_of_event` recomputes from the event alone, each `prev_hash` is the hash before it
(the genesis hash first), any change to any field shows up, and the chain (with every view)
survives a snapshot round trip.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, UUIDAsHex

from domain import errors
from domain.document import TrackView
from domain.events import DemandMade, ProposalTabled
from domain.hashchain import (
    GENESIS_HASH,
    canonical_bytes,
    canonical_json,
    chain_hash,
    event_content,
    hash_of_event,
)
from domain.track import Track
from domain.views import statement_view, track_state
from services.application import StatementRecordAsList
from tests.unit.builders import (
    NATO,
    RECORDER,
    RUSSIA,
    USA,
    correct,
    demand,
    hold_meeting,
    open_track,
    proposal,
    record,
    respond,
    retract,
    sanction_warning,
    schedule_meeting,
    view_of,
    withdraw,
)

_ENVELOPE_AND_CHAIN = {"originator_topic", "hash", "prev_hash"}


def a_track_with_every_kind_of_event() -> Track:
    """Given: a track whose stream holds every event class of the catalogue."""
    track = open_track(parties=[RUSSIA, USA])
    track.add_party(NATO, recorded_by=RECORDER, key="add-nato", digest="sha-n")
    demand(track, "d1", summary="Ни шагу на восток", quote="«гарантии»", red_line=True)
    proposal(track, "p1", USA, topics=["arms-control", "transparency"])
    respond(track, "r1", "d1", "reject", key="k-r1", digest="sha-r1")
    record(track, "c1", "concession", USA, responds_to="d1")
    sanction_warning(track, "sw1", USA, measures=["export controls", "SWIFT"])
    record(track, "wr1", "warning", RUSSIA, category="military")
    schedule_meeting(track, "m1", "2022-01-12T10:00:00+01:00", location="Brussels")
    hold_meeting(track, "h1", "2022-01-10", location="Geneva")
    record(track, "a1", "agreement", NATO)
    withdraw(track, "w1", "sw1", party=USA)
    record(track, "s1", "statement", NATO, source={"url": "https://nato.int/x"})
    correct(track, "d1", summary="No eastward enlargement", occurred_at="2021-12-16")
    retract(track, "c1")
    track.change_status("suspended", reason="pause", occurred_at="2022-01-14", recorded_by=RECORDER)
    track.change_status("active", reason=None, occurred_at=None, recorded_by=RECORDER)
    return track


def first_invalid_version(events: list[Any]) -> int | None:
    """What `verify` does: walk the chain, recompute, report the first broken link."""
    prev = GENESIS_HASH
    for event in events:
        if event.prev_hash != prev or hash_of_event(event) != event.hash:
            return event.originator_version
        prev = event.hash
    return None


def with_changed(event: Any, name: str, value: Any) -> Any:
    """A copy of a (frozen) event with one attribute replaced, as a tampered row would be."""
    changed = copy.deepcopy(event)
    object.__setattr__(changed, name, value)
    return changed


def a_different(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return "tampered"
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "!"
    if isinstance(value, datetime):
        return value + timedelta(microseconds=1)
    if isinstance(value, list):
        return [*value, "extra"]
    if isinstance(value, dict):
        return {**value, "extra": True}
    return uuid4()


# -- the chain as recorded --------------------------------------------------------------------


def test_every_pending_events_hash_is_what_hash_of_event_recomputes():
    track = a_track_with_every_kind_of_event()

    for event in track.pending_events:
        assert event.hash == hash_of_event(event), type(event).__name__


def test_the_first_event_links_to_the_genesis_hash_and_each_next_to_the_one_before():
    track = a_track_with_every_kind_of_event()
    events = track.pending_events

    assert events[0].prev_hash == GENESIS_HASH
    for before, after in pairwise(events):
        assert after.prev_hash == before.hash
    assert first_invalid_version(events) is None


def test_the_track_head_hash_is_the_hash_of_its_last_event():
    track = a_track_with_every_kind_of_event()

    assert track.head_hash == track.pending_events[-1].hash


def test_hashes_are_sha256_hex_digests_and_all_distinct():
    track = a_track_with_every_kind_of_event()
    hashes = [e.hash for e in track.pending_events]

    assert all(len(h) == 64 and int(h, 16) >= 0 for h in hashes)
    assert len(set(hashes)) == len(hashes)
    assert GENESIS_HASH == "0" * 64


def test_a_refused_command_leaves_the_head_hash_where_it_was():
    track = a_track_with_every_kind_of_event()
    head = track.head_hash

    with pytest.raises(errors.AlreadyRetracted):
        retract(track, "c1")

    assert track.head_hash == head


def test_an_event_hash_is_sha256_of_the_prev_hash_and_the_canonical_content():
    track = open_track()
    demand(track, "d1")
    event = track.pending_events[1]

    fields = {
        k: v
        for k, v in vars(event).items()
        if k not in _ENVELOPE_AND_CHAIN | {"originator_id", "originator_version", "timestamp"}
    }
    content = {
        "type": "DemandMade",
        "track_id": str(track.id),
        "version": 2,
        "recorded_at": event.timestamp.isoformat(),
        "fields": fields,
    }
    expected = hashlib.sha256(
        event.prev_hash.encode("ascii")
        + json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8"
        )
    ).hexdigest()
    assert event.hash == expected


# -- any change shows -------------------------------------------------------------------------


def test_changing_any_attribute_of_any_event_changes_its_hash():
    track = a_track_with_every_kind_of_event()

    checked = 0
    for event in track.pending_events:
        for name, value in vars(event).items():
            if name in _ENVELOPE_AND_CHAIN:
                continue
            tampered = with_changed(event, name, a_different(value))
            assert hash_of_event(tampered) != event.hash, (type(event).__name__, name)
            checked += 1
    assert checked > 100


@pytest.mark.parametrize(
    "field", ["type", "party", "occurred_at", "summary", "quote", "red_line", "cameo_code"]
)
def test_changing_a_field_inside_a_statement_changes_its_hash(field):
    track = open_track()
    demand(track, "d1", quote="verbatim", red_line=False)
    event = track.pending_events[1]

    statement = copy.deepcopy(event.statement)
    statement[field] = a_different(statement[field]) if field != "red_line" else True
    tampered = with_changed(event, "statement", statement)

    assert hash_of_event(tampered) != event.hash


def test_changing_a_nested_value_of_a_statement_changes_its_hash():
    track = open_track()
    proposal(track, "p1", USA, topics=["arms-control"], source={"url": "https://state.gov/a"})
    event = track.pending_events[1]

    for path, value in (
        (("topics",), ["arms control"]),
        (("source", "url"), "https://state.gov/b"),
    ):
        statement = copy.deepcopy(event.statement)
        if len(path) == 1:
            statement[path[0]] = value
        else:
            statement[path[0]][path[1]] = value
        assert hash_of_event(with_changed(event, "statement", statement)) != event.hash


def test_changing_the_prev_hash_changes_the_hash():
    track = open_track()
    demand(track, "d1")
    event = track.pending_events[1]

    assert hash_of_event(with_changed(event, "prev_hash", "f" * 64)) != event.hash


def test_changing_the_event_type_changes_the_hash():
    track = open_track()
    demand(track, "d1")
    event = track.pending_events[1]

    relabelled = object.__new__(ProposalTabled)
    object.__setattr__(relabelled, "__dict__", dict(vars(event)))

    assert isinstance(event, DemandMade)
    assert hash_of_event(relabelled) != event.hash


def test_the_same_content_on_another_track_hashes_differently():
    geneva, brussels = open_track(slug="geneva"), open_track(slug="brussels")
    demand(geneva, "d1")
    event = geneva.pending_events[1]

    moved = with_changed(event, "originator_id", brussels.id)

    assert hash_of_event(moved) != event.hash


def test_a_tampered_event_is_found_at_its_version_and_breaks_the_link_after_it():
    track = a_track_with_every_kind_of_event()
    events = list(track.pending_events)
    victim = events[4]
    statement = {**victim.statement, "summary": "rewritten afterwards"}

    events[4] = with_changed(victim, "statement", statement)

    assert first_invalid_version(events) == victim.originator_version


def test_rehashing_a_tampered_event_still_breaks_the_link_to_the_next():
    track = a_track_with_every_kind_of_event()
    events = list(track.pending_events)
    victim = events[4]
    tampered = with_changed(victim, "statement", {**victim.statement, "summary": "forged"})
    tampered = with_changed(tampered, "hash", hash_of_event(tampered))

    events[4] = tampered

    assert first_invalid_version(events) == events[5].originator_version


def test_dropping_an_event_breaks_the_chain_at_the_next_one():
    track = a_track_with_every_kind_of_event()
    events = list(track.pending_events)

    del events[3]

    assert first_invalid_version(events) == events[3].originator_version


# -- canonical content ------------------------------------------------------------------------


def test_canonical_json_sorts_keys_is_compact_and_keeps_non_ascii_text():
    assert canonical_json({"b": 1, "a": {"d": [1, 2], "c": "Лавров"}}) == (
        '{"a":{"c":"Лавров","d":[1,2]},"b":1}'
    )


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": {"d": [1, 2], "c": "Лавров"}},
        {"text": 'tab\t nl\n cr\r nul\x00 us\x1f del\x7f quote" backslash\\ slash/'},
        {"unicode": "\u2028\u2029 é 😀 \ufeff", "keys": {"é": 1, "B": 2, "a": 3, "😀": 4}},
        {"ints": [0, -1, 2**63 - 1, -(2**63), 2**64, 10**30], "flags": [True, False, None]},
        {"floats": [1.0, 0.1, 1e16, 1e-7, -0.0, 123456789.123]},
        [],
        {},
        "",
        "plain",
    ],
)
def test_canonical_bytes_are_the_canonical_json_text_in_utf8(value):
    assert canonical_bytes(value) == canonical_json(value).encode("utf-8")


def test_the_order_of_fields_does_not_change_the_hash():
    track_id, at = uuid4(), datetime.fromisoformat("2022-01-10T10:00:00+00:00")
    one = event_content(
        "DemandMade",
        track_id,
        2,
        at,
        {"statement": {"type": "demand", "party": RUSSIA}, "recorded_by": "a"},
    )
    other = event_content(
        "DemandMade",
        track_id,
        2,
        at,
        {"recorded_by": "a", "statement": {"party": RUSSIA, "type": "demand"}},
    )

    assert chain_hash(GENESIS_HASH, one) == chain_hash(GENESIS_HASH, other)


def test_the_same_content_after_another_prev_hash_hashes_differently():
    content = event_content(
        "DemandMade", uuid4(), 2, datetime.fromisoformat("2022-01-10T10:00:00+00:00"), {"x": 1}
    )

    assert chain_hash(GENESIS_HASH, content) != chain_hash("1" * 64, content)


def test_envelope_attributes_are_not_counted_twice_but_the_aggregate_topic_is_hashed():
    content = event_content(
        "DemandMade",
        uuid4(),
        2,
        datetime.fromisoformat("2022-01-10T10:00:00+00:00"),
        {
            "originator_id": "x",
            "originator_version": 9,
            "timestamp": "t",
            "originator_topic": "m:C",
            "hash": "h",
            "prev_hash": "p",
            "summary": "kept",
        },
    )

    assert content["fields"] == {"originator_topic": "m:C", "summary": "kept"}


def test_an_event_rebuilt_from_stored_json_hashes_the_same():
    track = a_track_with_every_kind_of_event()

    for event in track.pending_events:
        stored = json.loads(
            json.dumps(
                {k: v for k, v in vars(event).items() if k not in {"originator_id", "timestamp"}}
            )
        )
        rebuilt = copy.copy(event)
        for name, value in stored.items():
            object.__setattr__(rebuilt, name, value)
        object.__setattr__(
            rebuilt, "timestamp", datetime.fromisoformat(event.timestamp.isoformat())
        )
        assert hash_of_event(rebuilt) == event.hash, type(event).__name__


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
