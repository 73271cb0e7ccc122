"""Reading a track's statements: the timeline (filtered, paged), one statement, the demand board."""

from __future__ import annotations

import base64
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from domain import errors
from domain.values import STATEMENT_TYPES, sort_key
from services.api.dates import moment_start
from services.api.deps import (
    Reached,
    Reader,
    TrackerDep,
    TrackId,
    read_response,
    reflect,
)
from services.api.exports import export_responses, format_parameter, list_answer
from services.api.paging import distinct, invalid_cursor, moment_key, moment_query
from services.api.responses import (
    DemandBoard,
    StatementPublic,
    TimelinePage,
)
from services.api.responses.statements import DemandStatus
from services.exports.listings import BOARD, TIMELINE
from services.ports import TimelineCursor, TimelineFilter

router = APIRouter(prefix="/v1/tracks/{track}", tags=["statements"])

StatementType = Literal[STATEMENT_TYPES]  # type: ignore[valid-type]
TimelineFormat = format_parameter(TIMELINE)
BoardFormat = format_parameter(BOARD)


def _cursor(item: dict[str, Any], track_id: str) -> str:
    """After `item`: its sort key and version, as release 1 gave them, and for a statement
    of another track (shown because it concerns this one) that track's id."""
    raw = f"{sort_key(item['occurred_at'])}|{item['version']}"
    if item["track_id"] != track_id:
        raw += f"|{item['track_id']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> TimelineCursor:
    try:
        key, version, *home = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment_start(key.replace("Z", "+00:00"))
        if not 0 <= int(version) < 2**62:
            raise ValueError("version out of range")
        if len(home) > 1:
            raise ValueError("too many parts")
        return TimelineCursor(key, int(version), str(UUID(home[0])) if home else None)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise invalid_cursor() from None


@router.get(
    "/statements",
    response_model=TimelinePage,
    summary="Timeline of a track",
    responses=export_responses(TIMELINE),
)
def timeline(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    type: StatementType | None = None,
    party: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    topic: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    since: Annotated[str | None, moment_query("date or date-time, inclusive")] = None,
    until: Annotated[str | None, moment_query("date (whole day) or date-time, inclusive")] = None,
    include_retracted: bool = False,
    include_related: Annotated[
        bool,
        Query(
            description="also statements of other tracks that concern this one (`also_concerns`);"
            " each keeps its home `track_id`"
        ),
    ] = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    format: TimelineFormat = None,  # type: ignore[valid-type]
) -> Response:
    """Ordered by occurred_at (start of period), then commit position; `next_cursor` pages
    on. `party` matches the author or a joint author (`with_parties`). As CSV with
    `format=csv` or `Accept: text/csv`: the next page's URL is then in `Link`."""
    position = reflect(tracker, reached)
    _require_track(tracker, track_id)
    filters = TimelineFilter(
        type=type,
        party=party,
        topic=topic,
        since_key=moment_key("since", since),
        until_key=moment_key("until", until, period_end=True),
        include_retracted=include_retracted,
        include_related=include_related,
        after=_decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    items, more = tracker.read_model.timeline(str(track_id), filters)
    next_cursor = _cursor(items[-1], str(track_id)) if more and items else None
    return list_answer(request, {"items": items, "next_cursor": next_cursor}, position, TIMELINE)


@router.get("/statements/{statement_id}", response_model=StatementPublic, summary="One statement")
def get_statement(
    track_id: TrackId,
    statement_id: str,
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
) -> Response:
    position = reflect(tracker, reached)
    view = tracker.read_model.get_statement(str(track_id), statement_id)
    if view is None:
        _require_track(tracker, track_id)
        raise errors.StatementNotFound(f"no statement {statement_id} on this track")
    return read_response(view, position)


BoardType = Literal["demand", "proposal"]


@router.get(
    "/demands",
    response_model=DemandBoard,
    summary="Demand board",
    responses=export_responses(BOARD),
)
def demands(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    status: Annotated[list[DemandStatus] | None, Query()] = None,
    party: Annotated[
        list[Annotated[str, Query(min_length=1, max_length=200)]] | None,
        Query(description="the author or a joint author (`with_parties`)"),
    ] = None,
    type: Annotated[
        list[BoardType] | None, Query(description="`demand` (default) or `proposal`")
    ] = None,
    format: BoardFormat = None,  # type: ignore[valid-type]
) -> Response:
    """The track's live demands (or, with `type=proposal`, proposals) with their status and
    responses. A filter given several times keeps the items matching any of its values.
    As CSV with `format=csv` or `Accept: text/csv`."""
    position = reflect(tracker, reached)
    _require_track(tracker, track_id)
    items = tracker.read_model.demands(
        str(track_id),
        distinct(status),
        parties=distinct(party),
        types=distinct(type) or ("demand",),
    )
    return list_answer(request, {"items": items}, position, BOARD)


def _require_track(tracker: TrackerDep, track_id: Any) -> None:
    # An existence check: loading the track's whole state document would be wasted here.
    if not tracker.read_model.has_track(str(track_id)):
        raise errors.TrackNotFound(f"no track {track_id}")
