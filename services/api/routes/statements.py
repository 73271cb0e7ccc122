"""Recording statements: one or a batch, corrections, retractions (the timeline: `timeline`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from domain import views
from domain.document import TrackView
from services.api.auth import Principal
from services.api.correction_schemas import CorrectionCreate, RetractionCreate
from services.api.deps import (
    IDEMPOTENCY_KEY_LENGTH,
    Recorder,
    TrackerDep,
    TrackId,
    WriteOptions,
    WriteOptionsDep,
    authorize,
    write_response,
)
from services.api.responses import (
    BatchWritten,
    StatementWritten,
)
from services.api.schemas import (
    StatementBatch,
    StatementIn,
    nul_free_context,
    statement_fields,
)
from services.api.shortcuts import Shortcut, ShortcutRoute, header, is_plain_json, shortcut
from services.application import WriteResult, resolve_track_ref
from services.bootstrap import Tracker

router = APIRouter(prefix="/v1/tracks/{track}", tags=["statements"], route_class=ShortcutRoute)

_one_statement: TypeAdapter[BaseModel] = TypeAdapter(StatementIn)
_statement_batch: TypeAdapter[StatementBatch] = TypeAdapter(StatementBatch)


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


def _plain_write(schema: TypeAdapter[Any], record: Callable[..., Response]) -> Shortcut:
    """A write whose body validates against `schema`, sent as application/json with a
    Content-Length and an Idempotency-Key (if any) of the allowed length: no dependency
    solving, and the body validated from its bytes (see services.api.shortcuts), without a
    query string (the route refuses any: services.api.strict_query); otherwise,
    or on any doubt about the body, the endpoint answers, with the errors the schema
    describes. `record(tracker, track_id, body, who, write)` is what the endpoint calls."""

    async def plain(request: Request) -> Response | None:
        key = header(request, b"idempotency-key")
        least, most = IDEMPOTENCY_KEY_LENGTH
        if (
            request.scope["query_string"]  # the writes take none: refused by the route
            or (key is not None and not least <= len(key) <= most)
            or not is_plain_json(request)
            or header(request, b"content-length") is None
        ):
            return None
        try:
            raw = await request.body()
        except Exception:  # a disconnect, a body over the limit: FastAPI answers as always
            return None
        try:
            body = schema.validate_json(raw, context=nul_free_context(raw))
        except ValidationError:  # reported by FastAPI, in its terms (400 or 422, `errors`)
            return None
        who = await authorize(request, header(request, b"authorization"), "recorder")
        track_id = resolve_track_ref(request.path_params["track"])
        write = WriteOptions(header(request, b"if-match"), key)
        answer: Response = await request.app.state.workers.writes.call(
            record, request.app.state.tracker, track_id, body, who, write
        )
        return answer

    return plain


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


@router.post(
    "/statements",
    status_code=201,
    response_model=StatementWritten,
    summary="Record a statement",
)
@shortcut(_plain_write(_one_statement, record_one))
def record_statement(
    track_id: TrackId, body: StatementIn, tracker: TrackerDep, who: Recorder, write: WriteOptionsDep
) -> Response:
    return record_one(tracker, track_id, body, who, write)


@router.post(
    "/statements:batch",
    status_code=201,
    response_model=BatchWritten,
    summary="Record up to 500 statements",
)
@shortcut(_plain_write(_statement_batch, record_many))
def record_batch(
    track_id: TrackId,
    body: StatementBatch,
    tracker: TrackerDep,
    who: Recorder,
    write: WriteOptionsDep,
) -> Response:
    """All or nothing, in one transaction."""
    return record_many(tracker, track_id, body, who, write)


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
