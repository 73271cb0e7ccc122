"""What each listing offers for export: its CSV columns (from its answer models, so every
page has the same header) and the formats API.md allows on it. Wiring a new listing is one
`Listing` here and one `list_answer(...)` call in its route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from services.api.responses.statements import PUBLIC
from services.exports import ics, plover
from services.exports.tabular import Column, columns_of

Format = Literal["json", "csv", "plover"]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# The media type of each format, also what `Accept` may ask for instead of `format=`.
MEDIA_TYPES: dict[str, str] = {
    "json": "application/json",
    "csv": CSV_MEDIA_TYPE,
    "plover": plover.MEDIA_TYPE,
}
CALENDAR_MEDIA_TYPE = ics.MEDIA_TYPE


@dataclass(frozen=True)
class Listing:
    name: str
    columns: tuple[Column, ...]
    formats: tuple[Format, ...] = ("json", "csv")


# A track's timeline: statements of every type.
TIMELINE = Listing("timeline", columns_of(PUBLIC.values()))
# A track's demand board: demands, or with `type=proposal` proposals.
BOARD = Listing("demand board", columns_of([PUBLIC["demand"], PUBLIC["proposal"]]))
# Statements across tracks (`/v1/statements`, `ntrack export`): each item also names its
# track by slug, and with `q` carries a `snippet`; only here does API.md offer PLOVER.
STATEMENTS = Listing(
    "statements",
    columns_of(PUBLIC.values(), extra=("track_slug", "snippet")),
    ("json", "csv", "plover"),
)
# The boards across tracks: the same items as a track's, each naming its track by slug.
DEMANDS = Listing(
    "demands", columns_of([PUBLIC["demand"], PUBLIC["proposal"]], extra=("track_slug",))
)
WARNINGS = Listing(
    "warnings",
    columns_of([PUBLIC["warning"], PUBLIC["sanction_warning"]], extra=("track_slug",)),
)
MEETINGS = Listing(
    "meetings",
    columns_of([PUBLIC["meeting_scheduled"], PUBLIC["meeting_held"]], extra=("track_slug",)),
)
