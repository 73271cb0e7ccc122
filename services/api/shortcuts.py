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
limit, NUL refusal) and the OpenAPI document are the route's own, untouched.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar

from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

Shortcut = Callable[[Request], Awaitable[Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
T = TypeVar("T")

_ATTRIBUTE = "__ntrack_shortcut__"


def shortcut(fn: Shortcut) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint: `fn` is tried first (the router must use `ShortcutRoute`)."""

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


class StoreThreads:
    """Worker threads for the shortcuts' blocking store calls, reads apart from writes.

    Not anyio's threadpool (FastAPI's `run_in_threadpool`): a hop through it cost ~60 us of
    CPU, one through a concurrent.futures pool ~25 us. And few threads: every thread that
    wakes for a call contends for the GIL with the event loop. A read is one short query,
    so two threads keep up with thousands a second; with 16 a GET of a track cost ~0.65 ms
    of worker CPU and had a longer tail, with 1 or 2 ~0.47 ms. A write holds its store
    connection for a commit, so writes get as many threads as the store's pool has
    connections (more would only wait for one). Threads start when first needed."""

    READERS = 2

    def __init__(self, connections: int) -> None:
        self.reads = ThreadPoolExecutor(self.READERS, thread_name_prefix="ntrack-read")
        self.writes = ThreadPoolExecutor(connections, thread_name_prefix="ntrack-write")

    def close(self) -> None:
        # After the server drained its requests: let a call still running finish before
        # the store closes under it.
        self.reads.shutdown(cancel_futures=True)
        self.writes.shutdown(cancel_futures=True)


async def in_thread(pool: Executor, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in one of `pool`'s threads, in a copy of this context (so log records
    written there carry the request id, as in FastAPI's threadpool)."""
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(pool, context.run, fn, *args)


def header(request: Request, name: bytes) -> str | None:
    """The first value of a header (lower-case `name`), as FastAPI's `Header()` reads it."""
    for key, value in request.scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def is_plain_json(request: Request) -> bool:
    """Content-Type is application/json (parameters aside): the body is surely JSON to
    FastAPI too; anything else (missing, +json, odd) is left to FastAPI to judge."""
    value = header(request, b"content-type")
    return value is not None and value.partition(";")[0].strip().lower() == "application/json"
