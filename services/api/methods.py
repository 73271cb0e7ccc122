"""`Allow` says every method a path takes (RFC 9110 15.5.6), and OPTIONS answers it.

Starlette answers a method a path does not take with 405 and the `Allow` of the first
route whose path matched, though several routes may share a path (`GET` and `POST
/v1/tracks` are two): so `Allow` named some methods only, and OPTIONS, which no route
declares, was such a 405. Here a 405 names the methods of every route of the path, and
OPTIONS on a path some route takes answers 204 with that `Allow`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from services.api import problems

# The methods a route may declare here (HEAD and OPTIONS are answered by no route).
_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route takes on the request's path, and OPTIONS. Each is asked of
    the routes as a request would be routed (`matches`), which works through included
    routers too, whatever shape the framework gives them."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return [*allowed, "OPTIONS"]


def install(app: FastAPI, present: problems.Present = problems.present_as_is) -> None:
    """`present` as for `problems.install` (a browser gets the refusal as a page)."""

    async def _not_allowed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        allow = ", ".join(allowed_methods(request))
        if request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": allow})
        refusal = problems.problem(
            405,
            "Method not allowed",
            f"{request.method} is not a method of this path; it takes {allow}",
            slug="http-405",
            headers={"Allow": allow},
        )
        return present(request, refusal)

    # A handler for the status goes before the one for its class (problems.install).
    app.add_exception_handler(405, _not_allowed)
