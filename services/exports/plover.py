"""PLOVER events (API.md v1.1, "PLOVER"): one JSON object per statement, one per line
(`application/x-ndjson`), for event-data tools that read the PLOVER fields."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from domain.plover import plover_of
from domain.values import instant_of

MEDIA_TYPE = "application/x-ndjson"


def plover_event(item: dict[str, Any]) -> dict[str, Any]:
    """A statement as a PLOVER event. `recipient` is whom it addresses, else the target of a
    sanction warning; `source` names the first source by its publisher, else its URL, else
    its title (the shipped examples have sources known only by title)."""
    event_type, mode, context = plover_of(item.get("cameo_code"))
    speaker = item.get("speaker") or {}
    sources = item.get("sources") or []
    first = sources[0] if sources else {}
    return {
        "event_id": item["id"],
        "event_date": instant_of(item["occurred_at"]).date().isoformat(),
        "event_type": event_type,
        "mode": mode,
        "context": context,
        "actor": item["party"],
        "actor_name": speaker.get("name"),
        "recipient": item.get("addressee") or item.get("target"),
        "source": first.get("publisher") or first.get("url") or first.get("title"),
        "text": item["summary"],
        "track_slug": item.get("track_slug"),
        "cameo_code": item.get("cameo_code"),
    }


def lines(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """One newline-terminated JSON line per item."""
    for item in items:
        yield orjson.dumps(plover_event(item), option=orjson.OPT_APPEND_NEWLINE)
