"""The library's JSON transcoder, encoding with orjson.

Encoding events and snapshots with the standard `json` module was about a fifth of a batch
write's CPU (a snapshot holds every statement of a track). orjson writes the same JSON
structure several times faster: objects of registered types still go through the library's
transcodings (`{"_type_": ..., "_data_": ...}`). Decoding parses with orjson and then turns
those dicts into objects bottom-up, as the library's `object_hook` does during its parse, so
what either encoder wrote reads back the same, and JSON orjson will not read (NaN, huge
ints) is left to the library's decoder.

orjson differs from `json` in what it writes by itself: UUIDs and enums (as plain values,
where `json` calls the transcodings), and NaN or infinite floats (null, where `json` writes
NaN). None occurs in a track's event or snapshot state: the library takes the ids out of
both, and no API schema admits a float. tests/unit/test_transcoder.py round-trips every
event type and a snapshot through both encoders to keep it so. Anything orjson refuses (an
int beyond 64 bits, an unregistered type) goes to the library's encoder, which answers as
before.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

# Events are read faster by orjson and a walk; a large state (thousands of small containers
# the walk would visit in Python) faster by the library (benchmarks/README.md).
_LARGE = 16 * 1024
_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_NON_STR_KEYS
)


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        if len(data) > _LARGE:
            return super().decode(data)
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:  # e.g. NaN, or ints beyond 64 bits: json reads those
            return super().decode(data)
        kind = type(value)
        if kind is not dict and kind is not list:
            return value
        # Each object of a registered type is a dict with a "_type_" key, which orjson writes
        # as these exact bytes (a quote inside a string is escaped, so text cannot fake one).
        # Counting them lets the walk stop at the last: an event's one (its timestamp) comes
        # first, and the statement after it need not be visited (a third of an as-of's time).
        markers = data.count(b'"_type_"')
        return self._revive(value, [markers]) if markers else value

    def _revive(self, value: Any, remaining: list[int]) -> Any:
        """What the library's object_hook does while `json` parses, after orjson has: inner
        containers first, then a `{"_type_", "_data_"}` dict becomes its object. `remaining`
        counts the "_type_" keys not yet met; none left, nothing below needs a visit."""
        if type(value) is dict:
            for key, item in value.items():
                if not remaining[0]:
                    break
                kind = type(item)
                if kind is dict or kind is list:
                    value[key] = self._revive(item, remaining)
            if "_type_" in value:
                remaining[0] -= 1
                if len(value) == 2 and "_data_" in value:
                    return self._decode_obj(value)
            return value
        for index, item in enumerate(value):
            if not remaining[0]:
                break
            kind = type(item)
            if kind is dict or kind is list:
                value[index] = self._revive(item, remaining)
        return value
