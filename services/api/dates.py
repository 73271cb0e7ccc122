"""`date` or offset `date-time` fields: validated as API.md says, kept as the client wrote
them (normalised to ISO 8601) so the record shows what was said."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT_SCHEMA = {
    "anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
    "examples": ["2022-01-10", "2022-01-10T09:00:00+01:00"],
}


def _string_only(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be a date (YYYY-MM-DD) or a date-time with an offset, as a string")
    return value


def parse_moment(value: str) -> str:
    value = value.strip()
    if _DATE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"not a valid date: {value!r}") from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD) or an RFC 3339 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(
            "a date-time needs an offset (e.g. Z or +01:00): naive times are ambiguous"
        )
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"out of range once converted to UTC: {value!r}") from None
    return parsed.isoformat()


def moment_start(value: str) -> datetime:
    if _DATE.match(value):
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def _not_far_future(value: str) -> str:
    if moment_start(value) > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("lies more than one day in the future")
    return value


Moment = Annotated[
    str, BeforeValidator(_string_only), AfterValidator(parse_moment), WithJsonSchema(_MOMENT_SCHEMA)
]
PastMoment = Annotated[Moment, AfterValidator(_not_far_future)]
