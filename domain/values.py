"""Value rules shared by the aggregate and its views: types, defaults, instants, ids."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

TRACK_KINDS = ("bilateral", "nato", "osce", "other")
TRACK_STATUSES = ("active", "suspended", "concluded")
POSITIONS = ("accept", "reject", "partial", "counter", "noncommittal")
WARNING_CATEGORIES = ("military", "relations", "other")

# Statement type -> past-tense event name (DESIGN.md's catalogue).
EVENT_FOR_TYPE = {
    "demand": "DemandMade",
    "proposal": "ProposalTabled",
    "response": "ResponseGiven",
    "concession": "ConcessionMade",
    "sanction_warning": "SanctionWarningIssued",
    "warning": "WarningIssued",
    "meeting_scheduled": "MeetingScheduled",
    "meeting_held": "MeetingHeld",
    "agreement": "AgreementReached",
    "withdrawal": "Withdrawn",
    "statement": "StatementMade",
}
STATEMENT_TYPES = tuple(EVENT_FOR_TYPE)

# A withdrawal may only name one of these, made by the same party.
WITHDRAWABLE_TYPES = ("demand", "proposal", "sanction_warning")
# Types whose `status` is derived from responses.
STATUS_BEARING_TYPES = ("demand", "proposal")

_POSITION_TO_STATUS = {
    "accept": "accepted",
    "reject": "rejected",
    "partial": "partially_accepted",
    "counter": "countered",
    "noncommittal": "open",
}

_DEFAULT_CAMEO = {
    "demand": "100",
    "proposal": "030",
    "concession": "080",
    "sanction_warning": "1312",
    "meeting_scheduled": "036",
    "meeting_held": "046",
    "agreement": "057",
    "withdrawal": "0832",
    "statement": "010",
}
_RESPONSE_CAMEO = {"accept": "080", "reject": "120"}
_WARNING_CAMEO = {"military": "138", "relations": "1313", "other": "130"}

# Tracks are addressed by slug as well as id: deriving the id from the slug makes the
# event store itself enforce slug uniqueness (a second "created" event cannot be appended).
_TRACK_NAMESPACE = uuid5(NAMESPACE_URL, "https://negotiation-tracker/tracks")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def track_id_for(slug: str) -> UUID:
    return uuid5(_TRACK_NAMESPACE, slug)


def is_valid_slug(slug: str) -> bool:
    return bool(_SLUG.match(slug)) and len(slug) <= 100


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80].strip("-") or "track"


def default_cameo(statement_type: str, fields: dict) -> str:
    if statement_type == "response":
        return _RESPONSE_CAMEO.get(fields.get("position", ""), "040")
    if statement_type == "warning":
        return _WARNING_CAMEO.get(fields.get("category", ""), "130")
    return _DEFAULT_CAMEO[statement_type]


def status_for_position(position: str) -> str:
    return _POSITION_TO_STATUS[position]


def instant_of(value: str) -> datetime:
    """The UTC instant of a `date` or offset `date-time` string; a date is its start, UTC."""
    if len(value) == 10:
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"date-time without an offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"out of range once converted to UTC: {value!r}") from None


@lru_cache(maxsize=8192)  # the same dates and times recur across a track's statements
def sort_key(value: str) -> str:
    """A fixed-width UTC string that sorts like the instant (for SQL ordering)."""
    return instant_of(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
