"""The search page and the statement page: thin, like services/web/routes.py. The search
takes `GET /v1/statements`'s parameters, declared as the API declares them
(services.api.routes.across), except that a GET form's blank field means no filter."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator
from starlette.requests import Request
from starlette.responses import Response

from domain.statement_types import Attribution
from services.api.deps import Reader, TrackerDep, TrackId
from services.api.routes.across import (
    Cursor,
    Limit,
    Name,
    SearchText,
    StatementFilters,
    StatementType,
    Topic,
    Tracks,
)
from services.web.pages import render
from services.web.search import DEFAULT_LIMIT, search
from services.web.statement import statement_page

router = APIRouter(include_in_schema=False)


def _no_blanks(value: Any) -> Any:
    """A GET form sends an empty field (`type=`, `q=`): no filter, as if left out."""
    if isinstance(value, list):
        return [v for v in value if v != ""] or None
    return value or None


Blank = BeforeValidator(_no_blanks)
Text = Annotated[SearchText, Blank]
TrackRefs = Annotated[Tracks, Blank]
Types = Annotated[list[StatementType] | None, Query(), Blank]
Names = Annotated[list[Name] | None, Query(), Blank]
Topics = Annotated[list[Topic] | None, Query(), Blank]
Attributions = Annotated[list[Attribution] | None, Query(), Blank]
Moment = Annotated[str | None, Query(), Blank]  # checked as the API checks it: a 422 shown
PageCursor = Annotated[Cursor, Blank]


@router.get("/search", response_class=Response)
def search_page(
    request: Request,
    tracker: TrackerDep,
    _: Reader,
    q: Text = None,
    track: TrackRefs = None,
    type: Types = None,
    party: Names = None,
    speaker: Names = None,
    topic: Topics = None,
    attribution: Attributions = None,
    since: Moment = None,
    until: Moment = None,
    include_retracted: bool = False,
    limit: Limit = DEFAULT_LIMIT,
    cursor: PageCursor = None,
) -> Response:
    """Statements of every track: words, filters, a page of results with snippets."""
    filters = StatementFilters(
        track, type, party, speaker, topic, attribution, q, since, until, include_retracted
    )
    content = search(tracker, filters, cursor, limit)
    status = content.problem.status if content.problem else 200
    host = request.url.netloc
    return render(request, "search.html", status=status, page=content, chosen=filters, host=host)


@router.get("/tracks/{track}/statements/{statement_id}", response_class=Response)
def statement(
    request: Request, track_id: TrackId, statement_id: str, tracker: TrackerDep, _: Reader
) -> Response:
    """One statement as recorded, with its corrections, retraction and history."""
    content = statement_page(tracker, track_id, statement_id)
    return render(request, "statement.html", page=content)
