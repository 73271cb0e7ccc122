"""A shorter way through FastAPI for the plain form of the hottest requests.

FastAPI's per-request work for a route (solving its dependencies one by one, each with its
own parameter extraction, the JSON body parsed with `json` and then validated as Python,
the content type parsed with `email.message`) cost more CPU than the work of a read of a
track. A route whose endpoint is marked `@shortcut(fn)` runs `fn(request)` first:

- `fn` answers the plain, valid form of the request itself -- it calls the same functions
  the endpoint calls, so both ways answer the same bytes and headers;
- or it returns None, and the request goes on through FastAPI exactly as without a shortcut
  (for a query string, an unusual header, a body that does not validate...), so every
  refusal the schema describes is still shaped in one place. A body the shortcut read is
  kept by the `Request`, and FastAPI reads it from there.

What a shortcut raises is handled as if the endpoint had raised it (the app's exception
handlers: problem+json). Routing, the middlewares (metrics, request id, access log, body
limit, NUL refusal) and the OpenAPI document are the route's own, untouched. Its blocking
store call runs on the app's `services.api.workers` threads, not FastAPI's threadpool.
tests/e2e/test_shortcuts.py holds both ways to the same answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Shortcut = Callable[[Request], Awaitable[Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

_ATTRIBUTE = "__ntrack_shortcut__"


def shortcut(fn: Shortcut) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint: `fn` is tried first. Goes below the route decorator (the route is
    built when that runs), on a router with `route_class=ShortcutRoute`."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _ATTRIBUTE, fn)
        return endpoint

    return mark


class ShortcutRoute(APIRoute):
    """An APIRoute that tries its endpoint's shortcut, if it has one, before FastAPI's own
    request handling (use as `APIRouter(route_class=ShortcutRoute)`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        fn: Shortcut | None = getattr(self.endpoint, _ATTRIBUTE, None)
        if fn is None:
            return handler

        async def shortcut_first(request: Request) -> Response:
            response = await fn(request)
            return response if response is not None else await handler(request)

        return shortcut_first


def header(request: Request, name: bytes) -> str | None:
    """The first value of a header (lower-case `name`), as FastAPI's `Header()` reads it."""
    key: bytes
    value: bytes
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def is_plain_json(request: Request) -> bool:
    """Content-Type is application/json (parameters aside): the body is surely JSON to
    FastAPI too; anything else (missing, +json, odd) is left to FastAPI to judge."""
    value = header(request, b"content-type")
    return value is not None and value.partition(";")[0].strip().lower() == "application/json"
