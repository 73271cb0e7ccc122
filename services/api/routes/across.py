"""Reads across tracks (API.md v1.1): every track's statements, demands, warnings and
meetings, and the people named. A filter given several times keeps the items matching any
of its values; filters combine with AND. Each list builds its page, then answers it in the
format asked for (`services.api.exports.list_answer`: JSON, CSV, PLOVER for statements).
Meetings, with their calendar, are in `services.api.routes.meetings`."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from domain.search import fold, parse, words
from domain.statement_types import Attribution
from domain.values import STATEMENT_TYPES
from services.api.deps import Reached, Reader, TrackerDep, read_response, reflect
from services.api.exports import export_responses, format_parameter, list_answer
from services.api.paging import (
    decode_after,
    distinct,
    invalid_cursor,
    moment_key,
    moment_query,
    page,
    track_ids,
)
from services.api.responses import (
    ActorsPage,
    DemandsPage,
    StatementsPage,
    WarningsPage,
)
from services.api.responses.statements import DemandStatus
from services.bootstrap import Tracker
from services.exports.listings import DEMANDS, STATEMENTS, WARNINGS
from services.queries import ActorQuery, DemandQuery, StatementQuery, WarningQuery

router = APIRouter(prefix="/v1", tags=["across tracks"])

StatementType = Literal[STATEMENT_TYPES]  # type: ignore[valid-type]
BoardType = Literal["demand", "proposal"]
WarningType = Literal["warning", "sanction_warning"]
Name = Annotated[str, Query(min_length=1, max_length=200)]
Tracks = Annotated[
    list[Annotated[str, Query(min_length=1, max_length=100)]] | None,
    Query(description="a track's id or slug: statements of that home track"),
]
Parties = Annotated[
    list[Name] | None, Query(description="the author or a joint author (`with_parties`)")
]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=400, description="`next_cursor` of a page")]
StatementsFormat = format_parameter(STATEMENTS)
DemandsFormat = format_parameter(DEMANDS)
WarningsFormat = format_parameter(WARNINGS)
Topic = Annotated[str, Query(min_length=1, max_length=100)]
SearchText = Annotated[str | None, Query(min_length=1, max_length=1000)]  # ~500 words at most


@router.get(
    "/statements",
    response_model=StatementsPage,
    summary="Statements of every track",
    responses=export_responses(STATEMENTS),
)
def statements(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    track: Tracks = None,
    type: Annotated[list[StatementType] | None, Query()] = None,
    party: Parties = None,
    speaker: Annotated[
        list[Name] | None, Query(description="the speaker's name (case and accents aside)")
    ] = None,
    topic: Annotated[list[Topic] | None, Query()] = None,
    attribution: Annotated[list[Attribution] | None, Query()] = None,
    q: Annotated[
        SearchText,
        Query(
            description='full text: words, "phrases", -excluded, OR; case and accents ignored;'
            " items then carry `snippet`"
        ),
    ] = None,
    since: Annotated[str | None, moment_query("date or date-time, inclusive")] = None,
    until: Annotated[str | None, moment_query("date (whole period) or date-time")] = None,
    include_retracted: bool = False,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: StatementsFormat = None,  # type: ignore[valid-type]
) -> Response:
    """Ordered by occurred_at (start of period), then commit position."""
    position = reflect(tracker, reached)
    query = statement_query(
        tracker,
        StatementFilters(
            track, type, party, speaker, topic, attribution, q, since, until, include_retracted
        ),
        cursor,
        limit,
    )
    items, more = tracker.read_model.statements(query)
    return list_answer(request, page(items, more), position, STATEMENTS)


@dataclass(frozen=True)
class StatementFilters:
    """`GET /v1/statements`'s filters as given: what the search page takes too."""

    track: Sequence[str] | None = None
    type: Sequence[str] | None = None
    party: Sequence[str] | None = None
    speaker: Sequence[str] | None = None
    topic: Sequence[str] | None = None
    attribution: Sequence[str] | None = None
    q: str | None = None
    since: str | None = None
    until: str | None = None
    include_retracted: bool = False


def statement_query(
    tracker: Tracker, f: StatementFilters, cursor: str | None, limit: int
) -> StatementQuery:
    """The read those filters ask for; 422 (ApiProblem, NothingToFind) for a bad date, q,
    cursor or track."""
    return StatementQuery(
        tracks=track_ids(tracker, f.track),
        types=distinct(f.type),
        parties=distinct(f.party),
        speakers=distinct([fold(s) for s in f.speaker or ()]),
        topics=distinct(f.topic),
        attributions=distinct(f.attribution),
        text=parse(f.q) if f.q is not None else None,
        since_key=moment_key("since", f.since),
        until_key=moment_key("until", f.until, period_end=True),
        include_retracted=f.include_retracted,
        after=decode_after(cursor),
        limit=limit,
    )


@router.get(
    "/demands",
    response_model=DemandsPage,
    summary="Demands of every track",
    responses=export_responses(DEMANDS),
)
def demands(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    status: Annotated[list[DemandStatus] | None, Query()] = None,
    party: Parties = None,
    track: Tracks = None,
    red_line: bool | None = None,
    type: Annotated[
        list[BoardType] | None, Query(description="`demand` (default) or `proposal`")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: DemandsFormat = None,  # type: ignore[valid-type]
) -> Response:
    """Live demands (or proposals) with status and responses, in the timeline order."""
    position = reflect(tracker, reached)
    query = DemandQuery(
        tracks=track_ids(tracker, track),
        statuses=distinct(status),
        parties=distinct(party),
        red_line=red_line,
        types=distinct(type) or ("demand",),
        after=decode_after(cursor),
        limit=limit,
    )
    items, more = tracker.read_model.all_demands(query)
    return list_answer(request, page(items, more), position, DEMANDS)


@router.get(
    "/warnings",
    response_model=WarningsPage,
    summary="Warnings of every track",
    responses=export_responses(WARNINGS),
)
def warnings(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    type: Annotated[list[WarningType] | None, Query()] = None,
    active: Annotated[
        bool | None, Query(description="true: neither withdrawn nor retracted; false: withdrawn")
    ] = None,
    party: Parties = None,
    target: Annotated[
        list[Name] | None,
        Query(description="a sanction warning's target or a warning's addressee"),
    ] = None,
    track: Tracks = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    format: WarningsFormat = None,  # type: ignore[valid-type]
) -> Response:
    """Live warnings and sanction warnings, in the timeline order."""
    position = reflect(tracker, reached)
    query = WarningQuery(
        tracks=track_ids(tracker, track),
        types=distinct(type),
        parties=distinct(party),
        targets=distinct(target),
        active=active,
        after=decode_after(cursor),
        limit=limit,
    )
    items, more = tracker.read_model.warnings(query)
    return list_answer(request, page(items, more), position, WARNINGS)


@router.get("/actors", response_model=ActorsPage, summary="People named in statements")
def actors(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="words of the name or of a role"),
    ] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Response:
    """Speakers and reporters of live statements, by folded name (case and accents aside)."""
    position = reflect(tracker, reached)
    query = ActorQuery(words=words(q or ""), after=_name_after(cursor), limit=limit)
    items, more = tracker.read_model.actors(query)
    next_cursor = None
    if more and items:
        next_cursor = base64.urlsafe_b64encode(fold(items[-1]["name"]).encode()).decode()
    return read_response({"items": items, "next_cursor": next_cursor}, position)


def _name_after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        name_key = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid_cursor() from None
    if not name_key or fold(name_key) != name_key:
        raise invalid_cursor()
    return name_key
