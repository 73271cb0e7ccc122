"""CAMEO codes to PLOVER event types (API.md v1.1, "PLOVER"), from the table the Open Event
Data Alliance publishes, kept verbatim in `plover_table.txt` (its header names the commit).

A line `CODE: CATEGORY, mode, context # description` maps a code; a root line (`10: DEMAND`)
maps a two-digit root with no mode or context. Where the file gives a code twice (`08` as
CONCEDE and as RETREAT, `175` twice), the first line wins: the second `08` heads the RETREAT
block, whose codes (084-087) are listed themselves. A code the table lacks takes its nearest
listed parent (`0412` -> `041`), so every code under roots 01 and 02, which PLOVER drops, has
no event type, and every other well-formed code has one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType
from typing import NamedTuple


class PloverEvent(NamedTuple):
    """What PLOVER calls an event coded with a CAMEO code: category, mode and context
    (None where the table leaves them empty, and all None for codes PLOVER drops)."""

    event_type: str | None
    mode: str | None = None
    context: str | None = None


NOT_MAPPED = PloverEvent(None)
_LINE = re.compile(r"(\d{2,4}):([^#]*)(?:#.*)?")


def parse_table(text: str) -> Mapping[str, PloverEvent]:
    """The table in `text` (the file's format; `#` lines and blank lines are skipped, a
    line of `~` ends it), the first line of a code winning."""
    table: dict[str, PloverEvent] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("~"):
            break
        if not line or line.startswith("#"):
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ValueError(f"not a CAMEO to PLOVER line: {raw!r}")
        code, rest = match[1], match[2]
        category, mode, context, *_ = [
            *(part.strip() or None for part in rest.split(",")),
            None,
            None,
        ]
        if category is None:
            raise ValueError(f"no PLOVER category for {code}: {raw!r}")
        table.setdefault(code, PloverEvent(category, mode, context))
    return MappingProxyType(table)


def _shipped_text() -> str:
    # The table ships inside this package, like a module; reading it is part of importing.
    return resources.files(__package__ or "domain").joinpath("plover_table.txt").read_text("utf-8")


TABLE: Mapping[str, PloverEvent] = parse_table(_shipped_text())


def plover_of(cameo_code: str | None) -> PloverEvent:
    """The PLOVER event of a CAMEO code: its own line, else its nearest listed parent's
    (`NOT_MAPPED` for roots 01 and 02, their codes, and anything not a CAMEO code)."""
    if cameo_code is None or not cameo_code.isdigit():
        return NOT_MAPPED
    for length in range(len(cameo_code), 1, -1):
        found = TABLE.get(cameo_code[:length])
        if found is not None:
            return found
    return NOT_MAPPED
