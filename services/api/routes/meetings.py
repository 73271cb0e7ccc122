"""Meetings of every track (API.md v1.1): as a page (JSON or CSV), and as an iCalendar to
subscribe to. Both take the same filters, declared once (`MeetingFilters`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.requests import Request
from starlette.responses import Response

from domain.statement_types import MeetingFormat
from domain.values import sort_key
from services.api.deps import Reached, Reader, TrackerDep, reflect
from services.api.exports import calendar_answer, export_responses, format_parameter, list_answer
from services.api.paging import decode_after, distinct, moment_key, moment_query, page, track_ids
from services.api.responses import MeetingsPage
from services.api.routes.across import Cursor, Limit, Tracks
from services.bootstrap import Tracker
from services.exports.ics import MEDIA_TYPE as CALENDAR
from services.exports.listings import MEETINGS
from services.queries import MeetingQuery, PageAfter

router = APIRouter(prefix="/v1", tags=["across tracks"])
MeetingsFormat = format_parameter(MEETINGS)
CALENDAR_PAGE = 500  # meetings read per query while a calendar is written


@dataclass(frozen=True)
class MeetingFilters:
    from_: str | None
    to: str | None
    track: list[str] | None
    held: bool | None
    meeting_format: list[MeetingFormat] | None


def meeting_filters(
    from_: Annotated[str | None, moment_query("date or date-time, inclusive", alias="from")] = None,
    to: Annotated[str | None, moment_query("date (whole period) or date-time")] = None,
    track: Tracks = None,
    held: Annotated[
        bool | None, Query(description="true: meetings held; false: meetings scheduled")
    ] = None,
    meeting_format: Annotated[list[MeetingFormat] | None, Query()] = None,
) -> MeetingFilters:
    return MeetingFilters(from_, to, track, held, meeting_format)


Filters = Annotated[MeetingFilters, Depends(meeting_filters)]


def _query(tracker: Tracker, f: MeetingFilters) -> MeetingQuery:
    return MeetingQuery(
        tracks=track_ids(tracker, f.track),
        held=f.held,
        formats=distinct(f.meeting_format),
        from_key=moment_key("from", f.from_),
        to_key=moment_key("to", f.to, period_end=True),
    )


def _meeting_date(item: dict[str, str]) -> str:
    return item.get("meeting_at") or item["occurred_at"]


@router.get(
    "/meetings",
    response_model=MeetingsPage,
    summary="Meetings of every track",
    responses=export_responses(MEETINGS),
)
def meetings(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    filters: Filters,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: MeetingsFormat = None,  # type: ignore[valid-type]
) -> Response:
    """Live scheduled and held meetings, by meeting_at (scheduled) or occurred_at (held),
    each as the start of its period, then commit position."""
    position = reflect(tracker, reached)
    query = replace(_query(tracker, filters), after=decode_after(cursor), limit=limit)
    items, more = tracker.read_model.meetings(query)
    return list_answer(request, page(items, more, _meeting_date), position, MEETINGS)


@router.get(
    "/meetings.ics",
    summary="Meetings of every track, as iCalendar",
    response_class=Response,
    responses={200: {"content": {CALENDAR.split(";")[0]: {"schema": {"type": "string"}}}}},
)
def meetings_calendar(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    filters: Filters,
) -> Response:
    """Every meeting the filters select (not a page: a calendar is subscribed to whole), one
    VEVENT each, its UID the statement id. A time starts then and lasts an hour (or until
    `ended_at`); a day is an all-day event; a month or a year spans the period."""
    position = reflect(tracker, reached)
    query = replace(_query(tracker, filters), limit=CALENDAR_PAGE)
    items: list[dict[str, str]] = []
    while True:
        found, more = tracker.read_model.meetings(query)
        items += found
        if not more or not found:
            break
        last = found[-1]
        query = replace(query, after=PageAfter(sort_key(_meeting_date(last)), last["id"]))
    return calendar_answer(items, position)
