"""Date fields (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an offset date-time): validated as API.md
says, kept as the client wrote them (normalised to ISO 8601, a date-time keeping its offset)
so the record shows what was said. Their instants come from `domain.values.instant_of`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from domain.values import instant_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}(?:-\d{2})?$")  # a year or a month
_PERIOD_PATTERN = r"^\d{4}(-\d{2})?$"
_MOMENT_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": _PERIOD_PATTERN},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ],
    "examples": ["2022", "2022-01", "2022-01-10", "2022-01-10T09:00:00+01:00"],
}
_INSTANT_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "examples": ["2022-01-10T09:00:00+01:00"],
}


def _string_only(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError(
            "must be a year (YYYY), a month (YYYY-MM), a date (YYYY-MM-DD) or a date-time"
            " with an offset, as a string"
        )
    return value


def parse_moment(value: str) -> str:
    value = value.strip()
    if _PERIOD.match(value):
        try:
            instant_of(value)
        except ValueError:
            raise ValueError(f"not a valid year or month: {value!r}") from None
        return value
    if _DATE.match(value):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError(f"not a valid date: {value!r}") from None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"not a year, a month, a date (YYYY-MM-DD) or an RFC 3339 date-time: {value!r}"
        ) from None
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
    """When a date value's period starts, in UTC (what ordering and comparisons use)."""
    return instant_of(value)


def _time_only(value: str) -> str:
    if len(value) <= 10:
        raise ValueError("must be a date-time with an offset, not a date")
    return value


def _not_far_future(value: str) -> str:
    if moment_start(value) > datetime.now(UTC) + timedelta(days=1):
        raise ValueError("lies more than one day in the future")
    return value


Moment = Annotated[
    str, BeforeValidator(_string_only), AfterValidator(parse_moment), WithJsonSchema(_MOMENT_SCHEMA)
]
PastMoment = Annotated[Moment, AfterValidator(_not_far_future)]
# A date-time with an offset only (e.g. when a meeting ended).
Instant = Annotated[
    str,
    BeforeValidator(_string_only),
    AfterValidator(parse_moment),
    AfterValidator(_time_only),
    WithJsonSchema(_INSTANT_SCHEMA),
]
