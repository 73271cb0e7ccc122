"""Value rules shared by the aggregate and its views: types, defaults, instants, ids."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from typing import Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.statement_types import STATEMENT_TYPE_SPECS

TrackKind = Literal["bilateral", "nato", "osce", "other"]
TrackStatus = Literal["active", "suspended", "concluded"]

# Statement type -> past-tense event name (DESIGN.md's catalogue), from the registry.
EVENT_FOR_TYPE: Mapping[str, str] = MappingProxyType(
    {name: spec.event for name, spec in STATEMENT_TYPE_SPECS.items()}
)
STATEMENT_TYPES = tuple(STATEMENT_TYPE_SPECS)
# A withdrawal may only name one of these, made by the same party.
WITHDRAWABLE_TYPES = tuple(n for n, spec in STATEMENT_TYPE_SPECS.items() if spec.withdrawable)
# Types whose `status` is derived from responses.
STATUS_BEARING_TYPES = tuple(n for n, spec in STATEMENT_TYPE_SPECS.items() if spec.has_status)

# The status a response's position gives what it answers (API.md's demand status).
_POSITION_TO_STATUS: Mapping[str, str] = MappingProxyType(
    {
        "accept": "accepted",
        "reject": "rejected",
        "partial": "partially_accepted",
        "counter": "countered",
        "noncommittal": "open",
    }
)
# Every status a demand or proposal can have: open, what a position makes it, or withdrawn.
DEMAND_STATUSES = tuple(dict.fromkeys(("open", *_POSITION_TO_STATUS.values(), "withdrawn")))

# Tracks are addressed by slug as well as id: deriving the id from the slug makes the
# event store itself enforce slug uniqueness (a second "created" event cannot be appended).
_TRACK_NAMESPACE = uuid5(NAMESPACE_URL, "https://negotiation-tracker/tracks")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def track_id_for(slug: str) -> UUID:
    return uuid5(_TRACK_NAMESPACE, slug)


def is_valid_slug(slug: str) -> bool:
    """Lower-case letters, digits and single hyphens, and not a UUID: `{track}` is read as
    an id first, so a track with such a slug could never be reached by it."""
    return bool(_SLUG.match(slug)) and len(slug) <= 100 and not parses_as_uuid(slug)


def parses_as_uuid(ref: str) -> bool:
    try:
        UUID(ref)
    except ValueError:
        return False
    return True


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = slug[:80].strip("-") or "track"
    return f"track-{slug}" if parses_as_uuid(slug) else slug


def default_cameo(statement_type: str, fields: Mapping[str, object]) -> str:
    return STATEMENT_TYPE_SPECS[statement_type].default_cameo(fields)


def status_for_position(position: str) -> str:
    return _POSITION_TO_STATUS[position]


# A date-like value's precision by its length: `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, else a time.
_PRECISION_BY_LENGTH: Mapping[int, str] = MappingProxyType({4: "year", 7: "month", 10: "day"})
Precision = Literal["year", "month", "day", "time"]


def precision_of(value: str) -> str:
    """`year`, `month`, `day` or `time`: how precisely a well-formed date value is given."""
    return _PRECISION_BY_LENGTH.get(len(value), "time")


@lru_cache(maxsize=8192)
def instant_of(value: str) -> datetime:
    """The UTC instant a `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or offset date-time string starts
    at: a period starts at its first day's midnight, UTC."""
    precision = precision_of(value)
    if precision != "time":
        if not value[:4].isdigit():
            raise ValueError(f"not a year: {value!r}")
        padded = {"year": value + "-01-01", "month": value + "-01", "day": value}[precision]
        return datetime.combine(date.fromisoformat(padded), datetime.min.time(), UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without an offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"out of range once converted to UTC: {value!r}") from None


def period_end(value: str) -> datetime:
    """The first instant after the period a date value names (a date-time: itself)."""
    start = instant_of(value)
    precision = precision_of(value)
    if precision == "year":
        return (
            start.replace(year=start.year + 1)
            if start.year < 9999
            else datetime.max.replace(tzinfo=UTC)
        )
    if precision == "month":
        if start.month == 12:
            return (
                start.replace(year=start.year + 1, month=1)
                if start.year < 9999
                else datetime.max.replace(tzinfo=UTC)
            )
        return start.replace(month=start.month + 1)
    if precision == "day":
        return (
            start + timedelta(days=1)
            if start.date() < date.max
            else datetime.max.replace(tzinfo=UTC)
        )
    return start


@lru_cache(maxsize=8192)  # the same dates and times recur across a track's statements
def sort_key(value: str) -> str:
    """A fixed-width UTC string that sorts like the start of the period (for SQL ordering)."""
    return instant_of(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
