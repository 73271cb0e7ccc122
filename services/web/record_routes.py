"""The recording form's routes: the page, and its panel alone (which the page's script
fetches after a write, with the write's position). Thin, like services/web/routes.py.

The form posts to the JSON API with the recorder's bearer token (services/web/static/
record.js); these routes only read. The sign-in pages are included from services/web/signin.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from services.api.deps import Reached, Reader, TrackerDep, TrackId
from services.web import signin
from services.web.pages import render
from services.web.record import form, panel

router = APIRouter(include_in_schema=False)
router.include_router(signin.router)

# The page holds a recorder's token in session storage: it runs no script but its own file,
# loads nothing from elsewhere, and no other site may frame it.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


@router.get("/tracks/{track}/record", response_class=Response)
def record_page(request: Request, track_id: TrackId, tracker: TrackerDep, _: Reader) -> Response:
    """A form to record a statement on the track, beside its demand board."""
    beside = panel(tracker.read_model, str(track_id))
    content = form(tracker.read_model, beside.track, beside.references)
    page = render(request, "record.html", form=content, panel=beside, track=beside.track)
    page.headers["Content-Security-Policy"] = POLICY
    return page


@router.get("/tracks/{track}/record/panel", response_class=Response)
def record_panel(
    request: Request,
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    _waited: Reached,
) -> Response:
    """The panel beside the form, as an HTML fragment, once the read model has applied
    `min_position` (the position a write answered)."""
    beside = panel(tracker.read_model, str(track_id))
    return render(request, "record_panel.html", panel=beside, track=beside.track)
