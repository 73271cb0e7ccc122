"""A cheaper solving of what an endpoint declares, for the hottest routes.

FastAPI's per-request solving of an endpoint's dependencies and parameters (generic checks
per field and per request, the JSON body parsed with `json` and then validated as Python,
the content type parsed with `email.message`) cost more worker CPU than a read of a track
(benchmarks/README.md, "One request path per route"). A route declared with `@direct(router,
...)` keeps everything FastAPI does from the endpoint's signature -- routing, the OpenAPI
document, the strict query check (which reads the route's dependant) -- and answers every
request through one handler compiled from that same signature at start-up:

- the dependencies are called in FastAPI's order, each with its path, query and header
  parameters validated by FastAPI's own fields (same values, same `loc`, same messages); a
  dependency whose parameters do not validate is skipped and its errors kept, as FastAPI does;
- a JSON body is validated from its bytes in one step (its parse errors answered before the
  dependencies, as FastAPI does); any other body goes to the same field as in FastAPI;
- the errors, if any, are raised together as FastAPI's `RequestValidationError`, so the app's
  one exception table shapes them (services.api.problems).

Only what these routes use is supported, and a route declaring anything else is refused when
it is built, not served differently: `async def` endpoints and dependencies, the `Request`,
path, query and header parameters, at most one (not embedded) body, no cookies, forms,
security scopes, yield dependencies or background tasks.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import fastapi.routing
from fastapi import APIRouter, HTTPException
from fastapi._compat import ModelField
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_missing_field_error
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from services.api.schemas import nul_free_context

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_NOTHING: Mapping[str, Any] = {}


def direct(
    router: APIRouter, method: str, path: str, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Like `@router.get(path, ...)` (with `method`), the route being a `DirectRoute`."""

    def add(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(
            path, endpoint, methods=[method], route_class_override=DirectRoute, **options
        )
        return endpoint

    return add


@dataclass
class _Step:
    """A callable to call with what the request gives: a dependency or the endpoint."""

    call: Callable[..., Any]
    name: str | None  # the parameter its result fills in the caller
    request_name: str | None
    path: list[ModelField]
    query: list[ModelField]
    headers: list[ModelField]
    needs: list[_Step]


class DirectRoute(APIRoute):
    """An APIRoute whose requests are solved by `_handler` (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        return _handler(_effective_dependant(self))


def _effective_dependant(route: APIRoute) -> Dependant:
    """The dependant with the app's and routers' dependencies, as FastAPI's own handler gets
    it (FastAPI >= 0.160 builds it per inclusion and says which through a context variable)."""
    current = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = current.get() if current is not None else None
    if context is not None and context.original_route is route and context.dependant:
        dependant: Dependant = context.dependant
        return dependant
    return route.dependant


def _step(dependant: Dependant) -> _Step:
    call = dependant.call
    where = getattr(call, "__qualname__", repr(call))
    unsupported = (
        dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )
    if call is None or not inspect.iscoroutinefunction(call) or unsupported:
        raise TypeError(f"a direct route solves async callables of request parameters: {where}")
    for field in (*dependant.query_params, *dependant.header_params):
        if _is_sequence(field):
            raise TypeError(f"a direct route takes single-valued parameters: {where}")
    needs = []
    for sub in dependant.dependencies:
        if sub.body_params:
            raise TypeError(f"a direct route's dependencies take no body: {where}")
        needs.append(_step(sub))
    return _Step(
        call,
        dependant.name,
        dependant.request_param_name,
        list(dependant.path_params),
        list(dependant.query_params),
        list(dependant.header_params),
        needs,
    )


def _is_sequence(field: ModelField) -> bool:
    from fastapi.dependencies.utils import field_annotation_is_sequence

    return bool(field_annotation_is_sequence(field.field_info.annotation))


def _handler(dependant: Dependant) -> Callable[[Request], Any]:
    endpoint = _step(dependant)
    body: ModelField | None = None
    if dependant.body_params:
        body = dependant.body_params[0]
        if len(dependant.body_params) > 1 or getattr(body.field_info, "embed", False):
            raise TypeError("a direct route takes one body, not embedded")
    adapter = TypeAdapter(Annotated[body.field_info.annotation, body.field_info]) if body else None

    async def handle(request: Request) -> Response:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        body_errors: list[Any] = []
        if body is not None and adapter is not None:
            value, body_errors = await _body(request, body, adapter)
            values[body.name] = value
        solved = await _solve(endpoint, request, errors)
        errors.extend(body_errors)
        if errors or solved is None:
            raise RequestValidationError(errors)
        response = await endpoint.call(**solved, **values)
        if not isinstance(response, Response):
            raise TypeError(f"a direct route's endpoint returns a Response: {endpoint.call}")
        return response

    return handle


async def _solve(step: _Step, request: Request, errors: list[Any]) -> dict[str, Any] | None:
    """The arguments of `step.call`, its dependencies called; None if any did not validate
    (their errors added to `errors`), as FastAPI's `solve_dependencies`."""
    values: dict[str, Any] = {}
    for need in step.needs:
        arguments = await _solve(need, request, errors)
        if arguments is None:
            continue
        result = await need.call(**arguments)
        if need.name is not None:
            values[need.name] = result
    if step.request_name is not None:
        values[step.request_name] = request
    mine: list[Any] = []
    if step.path:
        _read(step.path, request.path_params, "path", values, mine)
    if step.query:
        query = request.query_params if request.scope["query_string"] else _NOTHING
        _read(step.query, query, "query", values, mine)
    if step.headers:
        _read(step.headers, request.headers, "header", values, mine)
    if mine:
        errors.extend(mine)
        return None
    return values


def _read(
    fields: list[ModelField],
    given: Mapping[str, Any],
    where: str,
    values: dict[str, Any],
    errors: list[Any],
) -> None:
    for field in fields:
        loc = (where, field.alias)
        raw = given.get(field.alias)
        if raw is None:
            if field.field_info.is_required():
                errors.append(get_missing_field_error(loc=loc))
            else:
                values[field.name] = field.field_info.get_default(call_default_factory=True)
            continue
        value, problems = field.validate(raw, values, loc=loc)
        if problems:
            errors.extend(problems)
        else:
            values[field.name] = value


async def _body(
    request: Request, field: ModelField, adapter: TypeAdapter[Any]
) -> tuple[Any, list[Any]]:
    """The validated body and its errors; a body that is not JSON is raised at once (400),
    before the dependencies, as FastAPI does."""
    try:
        raw = await request.body()
    except HTTPException:
        raise
    except Exception as e:  # a disconnect, a body over the limit (services.api.guards)
        raise HTTPException(status_code=400, detail="There was an error parsing the body") from e
    loc = ("body",)
    if not raw:
        if field.field_info.is_required():
            return None, [get_missing_field_error(loc=loc)]
        return field.field_info.get_default(call_default_factory=True), []
    if not _is_json(request.headers.get("content-type")):
        value, errors = field.validate(raw, {}, loc=loc)  # bytes: refused as FastAPI does
        return value, errors
    try:
        return adapter.validate_json(raw, context=nul_free_context(raw)), []
    except ValidationError:
        pass
    # Refused: said as FastAPI says it, of the parsed value (pydantic words some errors of a
    # JSON input differently, and `json` reads a few texts its parser refuses, such as NaN).
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as e:
        invalid = {"type": "json_invalid", "loc": ("body", e.pos), "msg": "JSON decode error"}
        raise RequestValidationError([{**invalid, "input": {}, "ctx": {"error": e.msg}}]) from e
    value, errors = field.validate(parsed, {}, loc=loc)
    return value, errors


def _is_json(content_type: str | None) -> bool:
    """application/json or application/*+json, parameters aside (FastAPI's test)."""
    if content_type is None:
        return False
    kind, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    return (
        kind == "application"
        and "/" not in subtype
        and (subtype == "json" or subtype.endswith("+json"))
    )
