"""The track page's route: thin, like services/web/routes.py; what it shows is read in
services/web/track.py and rendered from templates/track.html."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BeforeValidator
from starlette.requests import Request
from starlette.responses import Response

from services.api.auth import Principal
from services.api.dates import Moment
from services.api.deps import Reader, TrackerDep, TrackId, authorize
from services.api.problems import ApiProblem
from services.web.pages import render
from services.web.routes import WorldDate, blank_is_none
from services.web.track import AsOf, track_page

router = APIRouter(include_in_schema=False)

Version = Annotated[int | None, BeforeValidator(blank_is_none), Query(ge=1, le=2**62)]
RecordedAt = Annotated[Moment | None, BeforeValidator(blank_is_none), Query()]


async def auditor_or_refusal(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal | ApiProblem:
    """The caller if they may audit, else the refusal the audit endpoints would give: the
    page shows its audit part to auditors only and refuses an as-of to anyone else."""
    try:
        return await authorize(request, authorization, "auditor")
    except ApiProblem as refusal:
        return refusal


@router.get("/tracks/{track}", response_class=Response)
def track(
    request: Request,
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    auditor: Annotated[Principal | ApiProblem, Depends(auditor_or_refusal)],
    on: WorldDate = None,
    version: Version = None,
    recorded_at: RecordedAt = None,
) -> Response:
    """A track: its timeline by party, demand board, warnings and meetings; `on`, a date
    (world time); `version` or `recorded_at`, the record as it stood (auditors)."""
    as_of = AsOf(version, recorded_at)  # both at once: the as-of service refuses it (422)
    if as_of and isinstance(auditor, ApiProblem):
        raise auditor
    page = track_page(tracker, track_id, on, as_of, auditor=not isinstance(auditor, ApiProblem))
    return render(request, "track.html", page=page)
