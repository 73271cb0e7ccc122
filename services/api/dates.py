"""Date fields (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an offset date-time): validated as API.md
says, kept as the client wrote them (normalised to ISO 8601, a date-time keeping its offset)
so the record shows what was said. Their instants come from `domain.values.instant_of`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from domain.values import instant_of

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PERIOD = re.compile(r"^\d{4}(?:-\d{2})?$")  # a year or a month
# What the schema states a year or month to be: the years 0001 to 9999, the months 01 to 12.
_YEAR = "(?:[0-9]{3}[1-9]|[0-9]{2}[1-9][0-9]|[0-9][1-9][0-9]{2}|[1-9][0-9]{3})"
_PERIOD_PATTERN = f"^{_YEAR}(?:-(?:0[1-9]|1[0-2]))?$"
MOMENT_JSON_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": _PERIOD_PATTERN},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "date-time"},
    ],
    "examples": ["2022", "2022-01", "2022-01-10", "2022-01-10T09:00:00+01:00"],
}
FUTURE_LIMIT = timedelta(days=1)  # how far ahead an `occurred_at` may lie (clocks differ)
PAST_MOMENT_NOTE = (
    "When it happened: not more than one day in the future (a rule of time, which a schema"
    " cannot state; refused with 422, error type `future_moment`)."
)
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
    if moment_start(value) > datetime.now(UTC) + FUTURE_LIMIT:
        raise PydanticCustomError(
            "future_moment", "lies more than one day in the future: give when it happened"
        )
    return value


Moment = Annotated[
    str,
    BeforeValidator(_string_only),
    AfterValidator(parse_moment),
    WithJsonSchema(MOMENT_JSON_SCHEMA),
]
PastMoment = Annotated[
    str,
    BeforeValidator(_string_only),
    AfterValidator(parse_moment),
    AfterValidator(_not_far_future),
    WithJsonSchema({**MOMENT_JSON_SCHEMA, "description": PAST_MOMENT_NOTE}),
]
# A date-time with an offset only (e.g. when a meeting ended).
Instant = Annotated[
    str,
    BeforeValidator(_string_only),
    AfterValidator(parse_moment),
    AfterValidator(_time_only),
    WithJsonSchema(_INSTANT_SCHEMA),
]
