"""The audit hash chain: hash = sha256(prev_hash ‖ canonical JSON of the event's content).

Given a track after a mix of commands, then each pending event's `hash` is what
`hash_of_event` recomputes from the event alone, each `prev_hash` is the hash before it
(the genesis hash first), and any change to any field shows up. (Canonical content and
snapshot round trips: test_hashchain_canonical.py, test_snapshot_round_trip.py.)
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

from domain import errors
from domain.events import DemandMade, ProposalTabled
from domain.hashchain import GENESIS_HASH, hash_of_event
from tests.unit.builders import (
    USA,
    a_track_with_every_kind_of_event,
    demand,
    first_invalid_version,
    open_track,
    proposal,
    retract,
)

_ENVELOPE_AND_CHAIN = {"originator_topic", "hash", "prev_hash"}


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
