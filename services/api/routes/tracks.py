"""Tracks: open, list, current state, parties, status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from domain import errors, views
from domain.document import TrackView
from domain.values import TrackKind, TrackStatus
from services import audit
from services.api.auth_first import AuthFirstRoute
from services.api.dates import Moment
from services.api.deps import (
    Reached,
    Reader,
    Recorder,
    TrackerDep,
    TrackId,
    WriteOptionsDep,
    read_response,
    reflect,
    write_response,
)
from services.api.direct import direct
from services.api.document_cache import TrackDocumentCache
from services.api.responses import TrackList, TrackPublic
from services.api.schemas import PartyCreate, StatusChange, TrackCreate
from services.bootstrap import Tracker
from services.projections.projector import PROJECTION

# `on=` answers are folded from the event store, which holds every committed position.
WorldDate = Annotated[
    Moment | None,
    Query(
        description="the state on this date (world time; `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or"
        " a date-time with offset): only statements whose occurred_at starts by the end of"
        " it, as now recorded. Rebuilt from the record (the event store), not the read"
        " model: `position` and X-Projection-Position give the store's position it"
        " reflects at least."
    ),
]


router = APIRouter(prefix="/v1/tracks", tags=["tracks"], route_class=AuthFirstRoute)


@router.post("", status_code=201, response_model=TrackPublic, summary="Open a track")
def open_track(body: TrackCreate, tracker: TrackerDep, who: Recorder) -> Response:
    """Open a negotiation track (one event stream); 409 if the slug is taken."""
    opened_at = body.opened_at or datetime.now(UTC).isoformat(timespec="seconds")
    result = tracker.app.open_track(
        slug=body.slug,
        kind=body.kind,
        title=body.title,
        venue=body.venue,
        parties=body.parties,
        opened_at=opened_at,
        recorded_by=who.name,
        present=_state,
    )
    state = {**result.answer, "position": result.position}
    return write_response(tracker, result, state, status=201, location=f"/v1/tracks/{state['id']}")


@router.get("", response_model=TrackList, summary="List tracks")
def list_tracks(
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    kind: TrackKind | None = None,
    status: TrackStatus | None = None,
    party: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    on: WorldDate = None,
) -> Response:
    """Tracks with their current state, most recent activity first. With `on`, each track
    on that date (every track, even one with nothing said by then); `status` is then the
    track's status on that date."""
    position = reflect(tracker, reached)
    if on is None:
        items = tracker.read_model.list_tracks(kind, status, party)
        return read_response({"items": items}, position)
    position = tracker.app.max_position()
    states = [
        audit.world_on(tracker.app, UUID(item["id"]), on, position=position)
        for item in tracker.read_model.list_tracks(kind, None, party)
    ]
    items = [s for s in states if status is None or s["status"] == status]
    return read_response({"items": items}, position)


@direct(router, "GET", "/{track}", response_model=TrackPublic, summary="Current state of a track")
async def get_track(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    reached: Reached,
    request: Request,
    on: WorldDate = None,
) -> Response:
    """`{track}` is the id or the slug. Served by the read model; with `on`, rebuilt from
    the event store."""
    documents: TrackDocumentCache | None = request.app.state.documents
    if (
        on is None
        and documents is not None
        and (hit := documents.get(str(track_id))) is not None
        and (reached is None or hit.position >= reached)
    ):
        return _document_response(hit.body, hit.position)
    if on is None:
        answer: Response = await request.app.state.workers.reads.call(
            current_state, tracker, track_id, documents
        )
        return answer
    # A rebuild from the record can hold a thread for a while: not one of the few store
    # workers (services.api.workers), which every read shares.
    return await run_in_threadpool(_read_on, tracker, track_id, on)


def _read_on(tracker: Tracker, track_id: UUID, on: Moment) -> Response:
    position = tracker.app.max_position()
    return read_response(audit.world_on(tracker.app, track_id, on, position=position), position)


def current_state(
    tracker: Tracker, track_id: UUID, documents: TrackDocumentCache | None = None
) -> Response:
    # The stored document goes out as stored: the hottest read skips a parse and an encode.
    ticket = documents.ticket() if documents is not None else None
    document, position = tracker.read_model.track_document(str(track_id), PROJECTION)
    if document is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    body = document.encode()
    if ticket is not None:
        documents.put(ticket, str(track_id), body, position)  # type: ignore[union-attr]
    return _document_response(body, position)


def _document_response(body: bytes, position: int) -> Response:
    return Response(
        body, media_type="application/json", headers={"X-Projection-Position": str(position)}
    )


@router.post("/{track}/parties", status_code=201, response_model=TrackPublic, summary="Add a party")
def add_party(
    track_id: TrackId, body: PartyCreate, tracker: TrackerDep, who: Recorder, write: WriteOptionsDep
) -> Response:
    result = tracker.app.add_party(
        track_id,
        body.name,
        recorded_by=who.name,
        present=_state,
        **write.options(f"party:{track_id}", body.model_dump(mode="json")),
    )
    return write_response(
        tracker, result, {**result.answer, "position": result.position}, status=201
    )


@router.post(
    "/{track}/status",
    response_model=TrackPublic,
    summary="Suspend, resume or conclude a track",
)
def change_status(
    track_id: TrackId,
    body: StatusChange,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
) -> Response:
    result = tracker.app.change_status(
        track_id,
        body.status,
        reason=body.reason,
        occurred_at=body.occurred_at,
        recorded_by=who.name,
        present=_state,
        **write.options(f"status:{track_id}", body.model_dump(mode="json")),
    )
    return write_response(
        tracker, result, {**result.answer, "position": result.position}, status=200
    )


def _state(track: TrackView, _: list[str]) -> dict[str, Any]:
    return views.track_state(track, None)
