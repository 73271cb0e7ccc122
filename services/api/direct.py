"""A cheaper solving of what an endpoint declares, for the hottest routes.

FastAPI's per-request solving of dependencies and parameters (generic checks per field and
request, the JSON body parsed with `json` then validated as Python) cost more worker CPU than
a read of a track (benchmarks/README.md, "One request path per route"). A route added with
`@direct(router, ...)` keeps all FastAPI derives from the endpoint's signature (routing, the
OpenAPI document, the strict query check, which reads the dependant), and answers every
request through one handler compiled from that signature at start-up:

- dependencies are called in FastAPI's order, their parameters validated by FastAPI's own
  fields (same values, `loc` and messages); one whose parameters fail is skipped, its errors
  kept; a JSON body is validated from its bytes, its parse errors raised after the
  dependencies (a refused token is said first, see services.api.auth_first); all errors are
  raised together as `RequestValidationError`, shaped by services.api.problems' table.

Only what these routes use is supported, and a route declaring anything else is refused when
built: `async def` endpoint and dependencies taking the `Request` and path, query and header
parameters, at most one body (not embedded); no cookies, forms, scopes, yield dependencies.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import fastapi.routing
from fastapi import APIRouter, HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from services.api.schemas import nul_free_context
from services.api.strict_query import is_sequence

if TYPE_CHECKING:
    from fastapi._compat import ModelField

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def direct(
    router: APIRouter, method: str, path: str, **options: Any
) -> Callable[[Endpoint], Endpoint]:
    """Like `@router.get(path, ...)` (with `method`), the route being a `DirectRoute`."""

    def add(endpoint: Endpoint) -> Endpoint:
        options.update(methods=[method], route_class_override=DirectRoute)
        router.add_api_route(path, endpoint, **options)
        return endpoint

    return add


_UNREADABLE = "There was an error parsing the body"  # FastAPI's words
Solve = Callable[[Request, list[Any]], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class _Param:
    """A path, query or header parameter, with what reading it needs worked out once."""

    field: ModelField
    name: str
    key: Any  # what it is looked up by: its alias, in bytes for a header (see `_lookups`)
    loc: tuple[str, str]
    required: bool
    default: Any
    as_is: bool  # a str without constraints: validating it would return what was sent


_IMMUTABLE = (type(None), str, int, float, bool, bytes, tuple, frozenset)


def _param(field: ModelField, where: str) -> _Param:
    info = field.field_info
    required = info.is_required()
    default = None if required else info.get_default(call_default_factory=True)
    if not isinstance(default, _IMMUTABLE):
        raise TypeError(f"a direct route's parameters have immutable defaults: {field.name}")
    plain = info.annotation in (str, str | None) and not info.metadata
    key = field.alias.lower().encode("latin-1") if where == "header" else field.alias
    return _Param(field, field.name, key, (where, field.alias), required, default, plain)


class DirectRoute(APIRoute):
    """An APIRoute whose requests are solved by `_handler` (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        return _handler(_effective_dependant(self))


def _effective_dependant(route: APIRoute) -> Dependant:
    """The dependant with the app's and routers' dependencies, as FastAPI's own handler gets
    it (FastAPI >= 0.160 builds it per inclusion and says which through a context variable)."""
    current = getattr(fastapi.routing, "_effective_route_context_var", None)
    context = current.get() if current is not None else None
    found = context.dependant if context and context.original_route is route else None
    return cast(Dependant, found or route.dependant)


def _solver(dependant: Dependant) -> Solve:
    """What solves `dependant` for a request: its arguments, its dependencies called; None if
    any did not validate (their errors added to the list), as FastAPI's `solve_dependencies`."""
    call = dependant.call
    where = getattr(call, "__qualname__", repr(call))
    d = dependant
    unsupported = d.cookie_params or d.websocket_param_name or d.http_connection_param_name
    unsupported = unsupported or d.response_param_name or d.background_tasks_param_name
    if unsupported or d.security_scopes_param_name or not inspect.iscoroutinefunction(call):
        raise TypeError(f"a direct route solves async callables of request parameters: {where}")
    for field in (*dependant.query_params, *dependant.header_params):
        if is_sequence(field.field_info.annotation):
            raise TypeError(f"a direct route takes single-valued parameters: {where}")
    needs = []
    for sub in dependant.dependencies:
        if sub.body_params or sub.call is None:
            raise TypeError(f"a direct route's dependencies take no body: {where}")
        # A dependency without dependencies of its own is read without a coroutine.
        needs.append((sub.name, sub.call, _reader(sub), _solver(sub) if sub.dependencies else None))
    read = _reader(dependant)

    async def solve(request: Request, errors: list[Any]) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for name, need, read_need, solve_need in needs:
            if solve_need is None:
                arguments = read_need(request, errors)
            else:
                arguments = await solve_need(request, errors)
            if arguments is not None:
                result = await need(**arguments)
                if name is not None:
                    values[name] = result
        return read(request, errors, values)

    return solve


def _reader(dependant: Dependant) -> Callable[..., dict[str, Any] | None]:
    """What reads a dependant's own arguments from a request (see `_solver`)."""
    request_name = dependant.request_param_name
    sources = []
    for kind, fields in (
        ("path", dependant.path_params),
        ("query", dependant.query_params),
        ("header", dependant.header_params),
    ):
        params = [_param(field, kind) for field in fields]
        defaults = None
        if kind == "query" and not any(param.required for param in params):
            defaults = {param.name: param.default for param in params}
        if params:
            sources.append((_lookups[kind], params, defaults))

    def read(
        request: Request, errors: list[Any], values: dict[str, Any] | None = None
    ) -> dict[str, Any] | None:
        values = {} if values is None else values
        if request_name is not None:
            values[request_name] = request
        mine: list[Any] = []
        for lookup, params, defaults in sources:
            if defaults is not None and not request.scope["query_string"]:
                values.update(defaults)  # no query string: the defaults, valid by declaration
            else:
                _read(params, lookup(request), values, mine)
        if mine:
            errors.extend(mine)
            return None
        return values

    return read


def _first_header(request: Request) -> Callable[[bytes], str | None]:
    """A header's first value, as `Headers.get` (where an absent one costs a caught KeyError)."""
    headers: list[tuple[bytes, bytes]] = request.scope["headers"]

    def get(key: bytes) -> str | None:
        for name, value in headers:
            if name == key:
                return value.decode("latin-1")
        return None

    return get


_lookups: dict[str, Callable[[Request], Callable[[Any], Any]]] = {
    "path": lambda request: request.path_params.get,
    "query": lambda request: request.query_params.get,
    "header": _first_header,
}


def _handler(dependant: Dependant) -> Callable[[Request], Any]:
    solve = _solver(dependant)
    endpoint = dependant.call
    body = dependant.body_params[0] if dependant.body_params else None
    if len(dependant.body_params) > 1 or getattr(body and body.field_info, "embed", False):
        raise TypeError("a direct route takes one body, not embedded")
    adapter: TypeAdapter[Any] | None = None
    if body is not None:  # what FastAPI validates the body with, from bytes
        annotation: Any = body.field_info.annotation
        adapter = TypeAdapter(Annotated[annotation, body.field_info])

    async def handle(request: Request) -> Response:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        body_errors: list[Any] = []
        unreadable: Exception | None = None
        if body is not None and adapter is not None:
            try:
                values[body.name], body_errors = await _body(request, body, adapter)
            except (HTTPException, RequestValidationError) as e:
                unreadable = e  # said after the token is checked: who asks comes first
        solved = await solve(request, errors)  # raises a refused token (401, 403)
        if unreadable is not None:
            raise unreadable
        errors.extend(body_errors)
        if errors or solved is None:
            raise RequestValidationError(errors)
        response = await endpoint(**solved, **values)  # type: ignore[misc]
        if not isinstance(response, Response):
            raise TypeError(f"a direct route's endpoint returns a Response: {endpoint}")
        return response

    return handle


def _read(
    params: list[_Param], get: Callable[[Any], Any], values: dict[str, Any], errors: list[Any]
) -> None:
    for param in params:
        raw = get(param.key)
        if raw is None:
            if param.required:
                errors.append(_missing(param.loc))
            else:
                values[param.name] = param.default
        elif param.as_is:
            values[param.name] = raw
        else:
            value, problems = param.field.validate(raw, values, loc=param.loc)
            if problems:
                errors.extend(problems)
            else:
                values[param.name] = value


async def _body(
    request: Request, field: ModelField, adapter: TypeAdapter[Any]
) -> tuple[Any, list[Any]]:
    """The validated body and its errors; a body that is not JSON is raised (400), which the
    handler holds until the dependencies have checked the token."""
    try:
        raw = await request.body()
    except HTTPException:
        raise
    except Exception as e:  # a disconnect, a body over the limit (services.api.guards)
        raise HTTPException(status_code=400, detail=_UNREADABLE) from e
    loc = ("body",)
    if not raw:
        if field.field_info.is_required():
            return None, [_missing(loc)]
        return field.field_info.get_default(call_default_factory=True), []
    if not _is_json(request.headers.get("content-type")):
        return field.validate(raw, {}, loc=loc)  # bytes: refused as FastAPI does
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
    except Exception as e:  # not UTF-8, nested too deep
        raise HTTPException(status_code=400, detail=_UNREADABLE) from e
    value, errors = field.validate(parsed, {}, loc=loc)
    return value, errors


def _missing(loc: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}  # FastAPI's


def _is_json(content_type: str | None) -> bool:
    """application/json or application/*+json, parameters aside (FastAPI's test)."""
    if content_type is None:
        return False
    kind, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    json_type = subtype == "json" or subtype.endswith("+json")
    return kind == "application" and "/" not in subtype and json_type
