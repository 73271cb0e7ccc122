"""Recording statements: one or a batch, corrections, retractions (the timeline: `timeline`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from domain import views
from domain.document import TrackView
from services.api.auth import Principal
from services.api.auth_first import AuthFirstRoute
from services.api.correction_schemas import CorrectionCreate, RetractionCreate
from services.api.deps import (
    Recorder,
    TrackerDep,
    TrackId,
    WriteOptions,
    WriteOptionsDep,
    write_response,
)
from services.api.direct import direct
from services.api.responses import (
    BatchWritten,
    StatementWritten,
)
from services.api.schemas import (
    StatementBatch,
    StatementIn,
    statement_fields,
)
from services.application import WriteResult
from services.bootstrap import Tracker

router = APIRouter(prefix="/v1/tracks/{track}", tags=["statements"], route_class=AuthFirstRoute)


def _statement(track: TrackView, ids: list[str]) -> dict[str, Any]:
    return views.statement_view(track, ids[0])


def _batch(track: TrackView, ids: list[str]) -> list[dict[str, Any]]:
    return [views.statement_view(track, sid) for sid in ids]


def _written(result: WriteResult) -> dict[str, Any]:
    """A statement as returned, plus the write's `track_version` and commit `position`.

    A response's own `position` (accept, reject, ...) would collide with the commit position
    that every write answers (API.md); the write answer keeps the commit position, which
    clients pass on as `min_position`, and echoes the stance as `response_position`."""
    body = dict(result.answer)
    if body.get("type") == "response":
        body["response_position"] = body["position"]
    body["track_version"] = result.version
    body["position"] = result.position
    return body


def record_one(
    tracker: Tracker, track_id: UUID, body: BaseModel, who: Principal, write: WriteOptions
) -> Response:
    fields = statement_fields(body)
    result = tracker.app.record_statements(
        track_id,
        [fields],
        recorded_by=who.name,
        present=_statement,
        **write.options(f"statement:{track_id}", fields),
    )
    statement_id = result.targets[0]
    return write_response(
        tracker,
        result,
        _written(result),
        status=201,
        location=f"/v1/tracks/{track_id}/statements/{statement_id}",
    )


def record_many(
    tracker: Tracker, track_id: UUID, body: StatementBatch, who: Principal, write: WriteOptions
) -> Response:
    fields = [statement_fields(s) for s in body.statements]
    result = tracker.app.record_statements(
        track_id,
        fields,
        recorded_by=who.name,
        present=_batch,
        **write.options(f"batch:{track_id}", fields),
    )
    return write_response(
        tracker,
        result,
        {"items": result.answer, "track_version": result.version, "position": result.position},
        status=201,
    )


@direct(
    router,
    "POST",
    "/statements",
    status_code=201,
    response_model=StatementWritten,
    summary="Record a statement",
)
async def record_statement(
    track_id: TrackId,
    body: StatementIn,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
    request: Request,
) -> Response:
    answer: Response = await request.app.state.workers.writes.call(
        record_one, tracker, track_id, body, who, write
    )
    return answer


@direct(
    router,
    "POST",
    "/statements:batch",
    status_code=201,
    response_model=BatchWritten,
    summary="Record up to 500 statements",
)
async def record_batch(
    track_id: TrackId,
    body: StatementBatch,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
    request: Request,
) -> Response:
    """All or nothing, in one transaction."""
    answer: Response = await request.app.state.workers.writes.call(
        record_many, tracker, track_id, body, who, write
    )
    return answer


@router.post(
    "/statements/{statement_id}/corrections",
    status_code=201,
    response_model=StatementWritten,
    summary="Correct a statement",
)
def correct(
    track_id: TrackId,
    statement_id: str,
    body: CorrectionCreate,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
) -> Response:
    """The original words stay in history; the statement shows the corrected fields."""
    changes = body.changes.as_fields()
    result = tracker.app.correct_statement(
        track_id,
        statement_id,
        changes,
        body.reason,
        recorded_by=who.name,
        present=_statement,
        **write.options(f"correction:{track_id}:{statement_id}", body.model_dump(mode="json")),
    )
    return write_response(tracker, result, _written(result), status=201)


@router.post(
    "/statements/{statement_id}/retraction",
    response_model=StatementWritten,
    summary="Retract a statement",
)
def retract(
    track_id: TrackId,
    statement_id: str,
    body: RetractionCreate,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
) -> Response:
    """Retracted statements leave counts and boards but stay in history."""
    result = tracker.app.retract_statement(
        track_id,
        statement_id,
        body.reason,
        recorded_by=who.name,
        present=_statement,
        **write.options(f"retraction:{track_id}:{statement_id}", body.model_dump(mode="json")),
    )
    return write_response(tracker, result, _written(result), status=200)
