"""Audit: the stream as recorded, the track as it stood, the hash chain, the global feed.
Everything here reads the event store, never the read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from services import audit
from services.api.dates import Moment
from services.api.deps import Auditor, Reached, TrackerDep, TrackId, json_response
from services.api.paging import query_problem
from services.api.responses import EventsPage, HistoryPage, TrackAsOfPublic, VerifyReport

# The error type of as-of without exactly one of its two points: a rule across two
# parameters, which the OpenAPI document can only say in words.
ONE_OF = "exactly_one_of"

router = APIRouter(tags=["audit"])


@router.get(
    "/v1/tracks/{track}/history",
    response_model=HistoryPage,
    summary="The track's event log as recorded",
)
def history(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Auditor,
    _waited: Reached,
    after_version: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
) -> Response:
    """Each event with who recorded it, when, its data and its place in the hash chain."""
    return json_response(audit.history(tracker.app, track_id, after_version, limit))


@router.get(
    "/v1/tracks/{track}/as-of",
    response_model=TrackAsOfPublic,
    summary="The track as it stood at a version or instant",
)
def as_of(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Auditor,
    _waited: Reached,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**62, description="give exactly one of `version` and `recorded_at`"),
    ] = None,
    recorded_at: Annotated[
        Moment | None,
        Query(
            description="what had been recorded by this instant (a date, month or year: its"
            " start); give exactly one of `version` and `recorded_at`"
        ),
    ] = None,
    on: Annotated[
        Moment | None,
        Query(description="and about the world up to this date (see `on` on the state)"),
    ] = None,
) -> Response:
    """Rebuilt from the event store (snapshots keep it fast); same shape as the current state.
    With `on`, both axes: what the record held then about the world up to that date."""
    if (version is None) == (recorded_at is None):
        detail = "give exactly one of version or recorded_at"
        raise query_problem("version", "Invalid request", detail, "invalid-request", error=ONE_OF)
    if on is not None:
        return json_response(
            audit.world_on(tracker.app, track_id, on, version=version, recorded_at=recorded_at)
        )
    return json_response(
        audit.as_of(tracker.app, track_id, version=version, recorded_at=recorded_at)
    )


@router.get(
    "/v1/tracks/{track}/verify",
    response_model=VerifyReport,
    summary="Recompute the track's hash chain",
)
def verify(track_id: TrackId, tracker: TrackerDep, _: Auditor, _waited: Reached) -> Response:
    """Reads every stored event; an altered or undecodable row is reported at its version."""
    return json_response(audit.verify(tracker.app, track_id))


@router.get("/v1/events", response_model=EventsPage, summary="Every track's events in commit order")
def events(
    tracker: TrackerDep,
    _: Auditor,
    _waited: Reached,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
) -> Response:
    return json_response(audit.events_feed(tracker.app, after, limit))
