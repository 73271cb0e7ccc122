"""Statements: record (one or a batch), timeline, one, demand board, corrections, retraction."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from domain import errors, views
from domain.document import TrackView
from domain.values import DEMAND_STATUSES, STATEMENT_TYPES, sort_key
from services.api.auth import Principal
from services.api.dates import Moment, moment_start
from services.api.deps import (
    IDEMPOTENCY_KEY_LENGTH,
    MinPosition,
    Reader,
    Recorder,
    TrackerDep,
    TrackId,
    WriteOptions,
    WriteOptionsDep,
    authorize,
    read_response,
    reflect,
    write_response,
)
from services.api.problems import ApiProblem
from services.api.responses import (
    BatchWritten,
    DemandBoard,
    StatementPublic,
    StatementWritten,
    TimelinePage,
)
from services.api.schemas import (
    CorrectionCreate,
    RetractionCreate,
    StatementBatch,
    StatementIn,
    nul_free_context,
    statement_fields,
)
from services.api.shortcuts import Shortcut, ShortcutRoute, header, is_plain_json, shortcut
from services.application import WriteResult, resolve_track_ref
from services.bootstrap import Tracker
from services.ports import TimelineFilter

router = APIRouter(prefix="/v1/tracks/{track}", tags=["statements"], route_class=ShortcutRoute)

StatementType = Literal[STATEMENT_TYPES]  # type: ignore[valid-type]
DemandStatus = Literal[DEMAND_STATUSES]  # type: ignore[valid-type]
_moment = TypeAdapter(Moment)
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
    solving, and the body validated from its bytes (see services.api.shortcuts); otherwise,
    or on any doubt about the body, the endpoint answers, with the errors the schema
    describes. `record(tracker, track_id, body, who, write)` is what the endpoint calls."""

    async def plain(request: Request) -> Response | None:
        key = header(request, b"idempotency-key")
        least, most = IDEMPOTENCY_KEY_LENGTH
        if (
            (key is not None and not least <= len(key) <= most)
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


def _cursor(item: dict[str, Any]) -> str:
    raw = f"{sort_key(item['occurred_at'])}|{item['version']}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[str, int]:
    try:
        key, _, version = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        moment_start(key.replace("Z", "+00:00"))
        if not 0 <= int(version) < 2**62:
            raise ValueError("version out of range")
        return key, int(version)
    except (ValueError, UnicodeDecodeError, OverflowError):
        raise ApiProblem(
            422, "Invalid cursor", "cursor is not one this service gave out", slug="invalid-cursor"
        ) from None


def _moment_key(name: str, value: str | None, *, end_of_day: bool = False) -> str | None:
    if value is None:
        return None
    try:
        moment = _moment.validate_python(value)
    except ValidationError:
        raise ApiProblem(
            422,
            "Invalid request",
            f"{name} must be a date or an offset date-time",
            slug="invalid-request",
        ) from None
    key = sort_key(moment)
    if end_of_day and len(moment) == 10:  # `until=2022-01-10` includes that whole day
        key = key[:10] + "T23:59:59.999999Z"
    return key


@router.get("/statements", response_model=TimelinePage, summary="Timeline of a track")
def timeline(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    type: StatementType | None = None,
    party: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    topic: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    since: Annotated[str | None, Query(description="date or date-time, inclusive")] = None,
    until: Annotated[
        str | None, Query(description="date (whole day) or date-time, inclusive")
    ] = None,
    include_retracted: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    min_position: MinPosition = None,
) -> Response:
    """Ordered by occurred_at, then version; `next_cursor` pages on."""
    position = reflect(tracker, min_position)
    _require_track(tracker, track_id)
    filters = TimelineFilter(
        type=type,
        party=party,
        topic=topic,
        since_key=_moment_key("since", since),
        until_key=_moment_key("until", until, end_of_day=True),
        include_retracted=include_retracted,
        after=_decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    items, more = tracker.read_model.timeline(str(track_id), filters)
    next_cursor = _cursor(items[-1]) if more and items else None
    return read_response({"items": items, "next_cursor": next_cursor}, position)


@router.get("/statements/{statement_id}", response_model=StatementPublic, summary="One statement")
def get_statement(
    track_id: TrackId,
    statement_id: str,
    tracker: TrackerDep,
    _: Reader,
    min_position: MinPosition = None,
) -> Response:
    position = reflect(tracker, min_position)
    view = tracker.read_model.get_statement(str(track_id), statement_id)
    if view is None:
        _require_track(tracker, track_id)
        raise errors.StatementNotFound(f"no statement {statement_id} on this track")
    return read_response(view, position)


@router.get("/demands", response_model=DemandBoard, summary="Demand board")
def demands(
    track_id: TrackId,
    tracker: TrackerDep,
    _: Reader,
    status: DemandStatus | None = None,
    min_position: MinPosition = None,
) -> Response:
    position = reflect(tracker, min_position)
    _require_track(tracker, track_id)
    return read_response({"items": tracker.read_model.demands(str(track_id), status)}, position)


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


def _require_track(tracker: TrackerDep, track_id: Any) -> None:
    # An existence check: loading the track's whole state document would be wasted here.
    if not tracker.read_model.has_track(str(track_id)):
        raise errors.TrackNotFound(f"no track {track_id}")
