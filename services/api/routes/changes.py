"""What changed in world time between two dates, on one track or across tracks."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.responses import Response

from domain.changes import window_is_inverted
from services import audit
from services.api import paging
from services.api.dates import Moment, moment_start
from services.api.deps import Reached, Reader, TrackerDep, TrackId, read_response
from services.api.paging import invalid_cursor, query_problem
from services.api.responses import ChangesPage
from services.bootstrap import Tracker

router = APIRouter(tags=["tracks"])

From = Annotated[
    Moment,
    Query(
        alias="from",
        description="the date the window starts after (`YYYY`, `YYYY-MM`, `YYYY-MM-DD` or a"
        " date-time with offset): what had happened by its end is not a change; it may not"
        " end after `to`",
    ),
]
To = Annotated[
    Moment,
    Query(description="the date the window ends with: what had happened by its end counts"),
]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=200)]

_ABOUT = """What changed in world time in (`from`, `to`]: the statements admitted on `to` and
not on `from` (the state "on a date" holds those whose start of period is not after the end
of the date), as now recorded. Each gives one item: a demand or proposal `new_demand`; a
response or withdrawal that gives a demand or proposal another status than it had on `from`
(open, if new) `demand_status_changed`, with the demand as `statement` and itself as `cause`;
a withdrawal of a warning `warning_withdrawn`; a warning or sanction warning
`warning_issued`; meetings and agreements their type; anything else `other` (also a claimed
or unconfirmed response, which sets no status). Only the tracks' own statements count.
Ordered by occurred_at (start of period, of the `cause` if any), then commit position;
`next_cursor` pages on. Rebuilt from the event store: `X-Projection-Position` is the
store's position it reflects at least."""


@router.get(
    "/v1/tracks/{track}/changes",
    response_model=ChangesPage,
    summary="What changed on a track between two dates",
    description=_ABOUT,
)
def track_changes(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    _waited: Reached,
    from_: From,
    to: To,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    return _answer(tracker, [track_id], from_, to, limit, cursor)


@router.get(
    "/v1/changes",
    response_model=ChangesPage,
    summary="What changed on every track between two dates",
    description=_ABOUT,
)
def changes(
    tracker: TrackerDep,
    _: Reader,
    _waited: Reached,
    from_: From,
    to: To,
    track: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=200)]] | None,
        Query(description="a home track (id or slug); repeated: any of them; none: all"),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    track_ids = (
        [UUID(t) for t in paging.track_ids(tracker, track)]
        if track
        else audit.every_track(tracker.read_model)
    )
    return _answer(tracker, track_ids, from_, to, limit, cursor)


def _answer(
    tracker: Tracker,
    track_ids: Sequence[UUID],
    from_: str,
    to: str,
    limit: int,
    cursor: str | None,
) -> Response:
    if window_is_inverted(from_, to):
        detail = f"from ({from_}) ends after to ({to}): the window runs backwards"
        raise query_problem("from", "Invalid request", detail, "invalid-request", error=WINDOW)
    after = _decode_cursor(cursor) if cursor else None
    position = tracker.app.max_position()
    page = audit.changes(tracker.app, track_ids, from_, to, after=after, limit=limit)
    next_cursor = _cursor(*page.next_after) if page.next_after else None
    body = {"from": from_, "to": to, "items": page.items, "next_cursor": next_cursor}
    return read_response(body, position)


# The error type of a window that runs backwards: a rule across two parameters, which the
# OpenAPI document can only say in words.
WINDOW = "window_backwards"


def _cursor(key: str, position: int) -> str:
    """After the change at `key` (the start of its period, a sort key) and commit
    `position`: opaque to clients, as the timeline's."""
    return base64.urlsafe_b64encode(f"{key}|{position}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        key, position = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment_start(key.replace("Z", "+00:00"))
        if not 0 <= int(position) < 2**62:
            raise ValueError("position out of range")
        return key, int(position)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise invalid_cursor() from None
