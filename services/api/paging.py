"""What the list routes share: date filters as sort keys, cursors, repeated filter values,
and track references in filters (`track=` names an id or a slug)."""

from __future__ import annotations

import base64
import calendar
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from fastapi import Query
from pydantic import TypeAdapter, ValidationError

from domain.values import sort_key
from services.api.dates import MOMENT_JSON_SCHEMA, Moment, moment_start
from services.api.problems import ApiProblem
from services.application import resolve_track_ref
from services.bootstrap import Tracker
from services.queries import PageAfter

_moment = TypeAdapter(Moment)


def query_problem(
    parameter: str, title: str, detail: str, slug: str, *, error: str | None = None
) -> ApiProblem:
    """A 422 about one query parameter, its `errors` entry shaped as a validation error's
    (its `type` is `error`, or the slug's)."""
    kind = error or slug.replace("-", "_")
    return ApiProblem(
        422,
        title,
        detail,
        slug=slug,
        errors=[{"loc": ["query", parameter], "msg": detail, "type": kind}],
    )


def invalid_cursor() -> ApiProblem:
    detail = "cursor is not one this service gave out; pass a page's next_cursor as it is"
    return query_problem("cursor", "Invalid cursor", detail, "invalid-cursor")


def moment_query(description: str, **options: Any) -> Any:
    """The `Query` of a date filter that `moment_key` reads: the OpenAPI document states the
    forms it takes (a year, a month, a date or an offset date-time)."""
    return Query(description=description, json_schema_extra=dict(MOMENT_JSON_SCHEMA), **options)


def moment_key(name: str, value: str | None, *, period_end: bool = False) -> str | None:
    """A date filter as a sort key: the start of its period (`since`, `from`), or with
    `period_end` its end (`until`, `to`: `2022-01-10` includes that whole day)."""
    if value is None:
        return None
    try:
        moment = _moment.validate_python(value)
    except ValidationError:
        raise ApiProblem(
            422,
            "Invalid request",
            f"{name} must be a year, a month, a date or an offset date-time",
            slug="invalid-request",
        ) from None
    key = sort_key(moment)
    return end_of_period(moment, key) if period_end else key


def end_of_period(moment: str, key: str) -> str:
    """The last instant of a date's period, as a sort key: `until=2022-01-10` includes that
    whole day, and `2022-01` or `2022` the whole month or year. A date-time is its own end
    (`key`, its sort key)."""
    if len(moment) == 10:
        return moment + "T23:59:59.999999Z"
    if len(moment) == 7:
        last_day = calendar.monthrange(int(moment[:4]), int(moment[5:]))[1]
        return f"{moment}-{last_day:02d}T23:59:59.999999Z"
    if len(moment) == 4:
        return moment + "-12-31T23:59:59.999999Z"
    return key


def distinct(values: Sequence[Any] | None) -> tuple[Any, ...]:
    """A repeated filter's values, each once, in the order given."""
    return tuple(dict.fromkeys(values or ()))


# -- pages across tracks --------------------------------------------------------------------


def encode_after(key: str, statement_id: str) -> str:
    return base64.urlsafe_b64encode(f"{key}|{statement_id}".encode()).decode()


def decode_after(cursor: str | None) -> PageAfter | None:
    """A cursor of `encode_after`; anything else is 422."""
    if cursor is None:
        return None
    try:
        key, statement_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment_start(key.replace("Z", "+00:00"))
        return PageAfter(key, str(UUID(statement_id)))
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise invalid_cursor() from None


def occurred(item: dict[str, Any]) -> str:
    return str(item["occurred_at"])


def page(
    items: list[dict[str, Any]], more: bool, ordered_by: Callable[[dict[str, Any]], str] = occurred
) -> dict[str, Any]:
    """A list's answer: its items and the cursor after the last (null: the last page), made
    of the sort key of the date it is `ordered_by` and its id."""
    next_cursor = None
    if more and items:
        last = items[-1]
        next_cursor = encode_after(sort_key(ordered_by(last)), last["id"])
    return {"items": items, "next_cursor": next_cursor}


def track_ids(tracker: Tracker, refs: Sequence[str] | None) -> tuple[str, ...]:
    """The ids of the tracks a `track=` filter names (ids or slugs); 422 for one that names
    no track."""
    ids = []
    for ref in distinct(refs):
        track_id = str(resolve_track_ref(ref))
        if not tracker.read_model.has_track(track_id):
            detail = f"track={ref} names no track; GET /v1/tracks lists them"
            raise query_problem("track", "Unknown track", detail, "unknown-track")
        ids.append(track_id)
    return tuple(ids)
