"""The pages' routes: thin, like services/api/routes; what they show is read in
services/web (through the ReadModel port) and rendered from services/web/templates."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BeforeValidator, StringConstraints
from starlette.requests import Request
from starlette.responses import Response

from domain.values import TrackKind, TrackStatus
from services.api.dates import Moment
from services.api.deps import Reader, TrackerDep
from services.web.overview import overview
from services.web.pages import render

router = APIRouter(include_in_schema=False)


def blank_is_none(value: Any) -> Any:
    """A GET form sends an unchosen filter as `kind=`: that means no filter."""
    return value or None


Kind = Annotated[TrackKind | None, BeforeValidator(blank_is_none), Query()]
Status = Annotated[TrackStatus | None, BeforeValidator(blank_is_none), Query()]
PartyName = Annotated[str, StringConstraints(max_length=200)]  # as `GET /v1/tracks?party=`
Party = Annotated[PartyName | None, BeforeValidator(blank_is_none), Query()]
WorldDate = Annotated[Moment | None, BeforeValidator(blank_is_none), Query()]  # as the API's `on`


@router.get("/", response_class=Response)
def overview_page(
    request: Request,
    tracker: TrackerDep,
    _: Reader,
    kind: Kind = None,
    party: Party = None,
    status: Status = None,
    on: WorldDate = None,
) -> Response:
    """Every track at a glance, filtered by kind, party and status; `on`, as on a date."""
    content = overview(tracker, kind, status, party, on)
    chosen = {"kind": kind, "party": party, "status": status, "on": on}
    return render(request, "overview.html", overview=content, chosen=chosen)
