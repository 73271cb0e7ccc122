"""The library's JSON transcoder, encoding with orjson.

Encoding events and snapshots with the standard `json` module was about a fifth of a batch
write's CPU (a snapshot holds every statement of a track). orjson writes the same JSON
structure several times faster: objects of registered types still go through the library's
transcodings (`{"_type_": ..., "_data_": ...}`), and decoding is the library's own, so what
either encoder wrote reads back the same.

orjson differs from `json` in what it writes by itself: UUIDs and enums (as plain values,
where `json` calls the transcodings). Neither occurs in a track's event or snapshot state
(the library takes ids out of both); tests/unit/test_transcoder.py round-trips every event
type and a snapshot through both encoders to keep it so. Anything orjson refuses (an int
beyond 64 bits, an unregistered type) goes to the library's encoder, which answers as before.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder

_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_NON_STR_KEYS)


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(obj, default=self._encode_obj, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().encode(obj)
