"""Errors -> RFC 9457 problem+json, from one table. Routes raise; nothing maps elsewhere."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import orjson
from eventsourcing.persistence import InterfaceError, OperationalError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from domain import errors, search
from infra.errors import OUTAGES, is_store_unavailable
from infra.stores import StoreUnavailable
from services.api import progress
from services.application import TooMuchContention, resolve_track_ref
from services.audit import NotRecordedYet

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ApiProblem(Exception):
    """An HTTP-level refusal raised by the API layer itself (auth, headers, waits)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        slug: str,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.slug = status, title, detail, slug
        self.headers = headers or {}
        self.errors = errors  # a 422's `errors`, when it names where (else one, from detail)


# exception class -> (status, title, type slug); the first matching class in MRO order wins.
STATUS_TABLE: dict[type[BaseException], tuple[int, str, str]] = {
    errors.TrackNotFound: (404, "Track not found", "track-not-found"),
    errors.StatementNotFound: (404, "Statement not found", "statement-not-found"),
    NotRecordedYet: (404, "Not recorded yet", "not-recorded-yet"),
    errors.TrackClosed: (409, "Track is closed", "track-closed"),
    errors.SlugTaken: (409, "Slug is taken", "slug-taken"),
    errors.InvalidTransition: (409, "Status change not allowed", "invalid-transition"),
    errors.AlreadyRetracted: (409, "Statement was retracted", "already-retracted"),
    errors.VersionMismatch: (412, "Track version does not match If-Match", "version-mismatch"),
    errors.IdempotencyKeyReused: (422, "Idempotency key reused", "idempotency-key-reused"),
    errors.UnknownParty: (422, "Unknown party", "unknown-party"),
    errors.UnresolvableReference: (422, "Unresolvable reference", "unresolvable-reference"),
    search.NothingToFind: (422, "Nothing to look for", "nothing-to-find"),
    errors.RuleViolation: (422, "Rule violated", "rule-violation"),
    TooMuchContention: (503, "Too much contention", "contention"),
    progress.TooManyWaits: (503, "Too many waiting reads", "too-many-waits"),
    progress.TooManyStreams: (503, "Too many event streams", "too-many-streams"),
    progress.TooManyStreamsForPrincipal: (429, "Too many event streams", "too-many-streams"),
    StoreUnavailable: (503, "Store unavailable", "store-unavailable"),
    OperationalError: (503, "Store unavailable", "store-unavailable"),
    InterfaceError: (503, "Store unavailable", "store-unavailable"),
}
_RETRY_AFTER = {429: "1", 503: "1"}


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    body = {"type": f"/problems/{slug}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    all_headers = dict(headers or {})
    if status in _RETRY_AFTER:
        all_headers.setdefault("Retry-After", _RETRY_AFTER[status])
    return Response(
        orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=all_headers
    )


def _lookup(exc: BaseException) -> tuple[int, str, str] | None:
    for cls in type(exc).__mro__:
        if cls in STATUS_TABLE:
            return STATUS_TABLE[cls]
    return None


def describe(exc: Exception) -> tuple[int, str, str] | None:
    """The status, title and detail a refusal is answered with (an ApiProblem, or an error
    of the table), for a page that shows it beside its form; None for anything else."""
    if isinstance(exc, ApiProblem):
        return exc.status, exc.title, exc.detail
    found = _lookup(exc)
    return (found[0], found[1], str(exc)) if found else None


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]


def _track_not_found(request: Request, detail: str) -> str:
    """The track as the client typed it (a slug, not the id derived from it), and where to
    find the right one; a hint about `min_position` only to a client that sent one."""
    typed = request.path_params.get("track")
    if not isinstance(typed, str) or str(resolve_track_ref(typed)) not in detail:
        return detail  # not the track of the path (e.g. from the body): say it as raised
    detail = f"no track {typed!r}: GET /v1/tracks lists every track with its slug and id"
    min_position = request.query_params.get("min_position")
    if min_position is not None:
        detail += (
            f"; the read model was at position {min_position} or later: if the track was "
            "opened by a later write, send that write's position"
        )
    return detail


Present = Callable[[Request, Response], Response]


def present_as_is(_: Request, answer: Response) -> Response:
    return answer


def install(app: FastAPI, present: Present = present_as_is) -> None:
    """`present(request, problem_response)` may answer the problem in another form (the
    pages render it as HTML for a browser); status, title and detail stay this table's."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(request: Request, exc: ApiProblem) -> Response:
        extra: dict[str, Any] = {}
        if exc.status == 422:  # every 422 lists its errors, even a single one
            extra["errors"] = exc.errors or [{"loc": [], "msg": exc.detail, "type": exc.slug}]
        answer = problem(
            exc.status, exc.title, exc.detail, slug=exc.slug, headers=exc.headers, **extra
        )
        return present(request, answer)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errs = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errs):
            return problem(
                400, "Malformed JSON", "the request body is not valid JSON", slug="malformed-json"
            )
        answer = problem(
            422,
            "Invalid request",
            "the request does not match the schema",
            slug="invalid-request",
            errors=errs,
        )
        return present(request, answer)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        return present(
            request,
            problem(
                exc.status_code,
                titles.get(exc.status_code, "HTTP error"),
                str(exc.detail),
                slug=f"http-{exc.status_code}",
                headers=dict(exc.headers or {}),
            ),
        )

    async def _mapped(request: Request, exc: Exception) -> Response:
        found = _lookup(exc)
        if found is None and is_store_unavailable(exc):
            found = STATUS_TABLE[StoreUnavailable]
        if found is None:
            log.exception(
                "unexpected error on %s %s", request.method, request.url.path, exc_info=exc
            )
            return problem(
                500,
                "Internal error",
                "an unexpected error occurred; it was logged",
                slug="internal",
            )
        status, title, slug = found
        extra: dict[str, Any] = {}
        if isinstance(exc, errors.RuleViolation):
            extra["errors"] = [
                {
                    "loc": [exc.where, exc.field] if exc.field else [exc.where],
                    "msg": str(exc),
                    "type": slug,
                }
            ]
        detail = str(exc)
        if isinstance(exc, errors.TrackNotFound):
            detail = _track_not_found(request, detail)
        if slug == "store-unavailable":
            # Driver messages can quote SQL or hosts: log them, tell the client what to do.
            log.warning("store unavailable on %s %s: %s", request.method, request.url.path, exc)
            detail = "the store cannot be reached right now; retry shortly"
        return present(request, problem(status, title, detail, slug=slug, **extra))

    # Known failures go through the routing layer's handlers; anything else reaches the
    # server-error middleware, which logs it and answers a 500 problem.
    handled: tuple[type[Exception], ...] = (errors.TrackerError, progress.Overloaded, *OUTAGES)
    for cls in handled:
        app.add_exception_handler(cls, _mapped)
    app.add_exception_handler(Exception, _mapped)
