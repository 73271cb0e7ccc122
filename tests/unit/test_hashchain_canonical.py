"""The content the hash chain hashes: canonical JSON (sorted keys, compact, UTF-8), the
envelope counted once, the same after a round trip through stored JSON."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from uuid import uuid4

import pytest

from domain.hashchain import (
    GENESIS_HASH,
    canonical_bytes,
    canonical_json,
    chain_hash,
    event_content,
    hash_of_event,
)
from tests.unit.builders import RUSSIA, a_track_with_every_kind_of_event

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
