"""The token before the body, on FastAPI's own routes (the direct routes do the same).

FastAPI reads and parses a JSON body before it solves any dependency, so a body that is not
JSON was answered 400 even to a caller without a token (or with a reader's token on a
write): the answer told an unknown caller about the request before saying they may not
make it. An `AuthFirstRoute` checks the route's token when FastAPI refuses the body as
unreadable, and answers 401 or 403 if the token is refused; otherwise the 400 stands. A
body that parses is no concern: FastAPI solves the token's dependency, which raises, before
it validates the body.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from services.api.deps import ROLE_REQUIRED, authorize


class AuthFirstRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        role = _required_role(self.dependant)
        if role is None:
            return handle

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except (RequestValidationError, HTTPException) as e:
                if _unreadable(e):
                    await authorize(request, request.headers.get("authorization"), role)
                raise

        return handler


def _required_role(dependant: Dependant) -> str | None:
    for sub in dependant.dependencies:
        if sub.call in ROLE_REQUIRED:
            return ROLE_REQUIRED[sub.call]
        found = _required_role(sub)
        if found is not None:
            return found
    return None


def _unreadable(error: Exception) -> bool:
    """A body FastAPI could not parse (malformed JSON, 400), as against one it validated."""
    if isinstance(error, RequestValidationError):
        return any(e.get("type") == "json_invalid" for e in error.errors())
    return isinstance(error, HTTPException) and error.status_code == 400
