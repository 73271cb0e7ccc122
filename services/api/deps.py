"""Dependencies shared by the routes: the tracker, the caller, write headers, consistency.

The dependencies are `async def` and do no blocking I/O (FastAPI runs every plain `def`
dependency in its own threadpool hop, which cost more than the work). Waiting for
`min_position` (`Reached`) awaits the projector's progress on the event loop, so a waiting
read holds no thread; the read itself then runs in the route, on a worker thread.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import Depends, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from domain.hashchain import canonical_bytes
from services.api import observability
from services.api.auth import ANONYMOUS, Principal, credential
from services.api.problems import ApiProblem
from services.api.progress import Progress
from services.application import WriteResult, resolve_track_ref
from services.bootstrap import Tracker
from services.projections.projector import PROJECTION


async def get_tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


TrackerDep = Annotated[Tracker, Depends(get_tracker)]


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request,
        authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Principal:
        return await authorize(request, authorization, role)

    ROLE_REQUIRED[dependency] = role
    return dependency


# The dependencies `require` made, and the role each asks for (services.api.auth_first).
ROLE_REQUIRED: dict[Callable[..., Any], str] = {}


async def authorize(request: Request, authorization: str | None, role: str) -> Principal:
    """Who presents `authorization` (the header's value; on a page, else the sign-in
    cookie's token), if they may act as `role`; else 401 or 403."""
    tracker: Tracker = request.app.state.tracker
    authorization = credential(request.url.path, authorization, request.cookies)
    if authorization is None:
        if role == "reader" and tracker.settings.public_reads:
            return ANONYMOUS
        raise _unauthorized("this endpoint needs a bearer token")
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise _unauthorized("use the Authorization: Bearer <token> scheme")
    tokens = request.app.state.tokens
    principal: Principal | None
    principal, needs_store = tokens.identify_cached(secret.strip())
    if needs_store:  # (re)loading stored tokens is I/O: off the event loop
        principal = await run_in_threadpool(tokens.identify, secret.strip())
    if principal is None:
        raise _unauthorized("the token is not valid")
    if not principal.may(role):
        raise ApiProblem(
            403,
            "Forbidden",
            f"the {principal.role} role cannot do this; it needs {role}",
            slug="forbidden",
        )
    return principal


def _unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(
        401,
        "Unauthorized",
        detail,
        slug="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="ntrack"'},
    )


Reader = Annotated[Principal, Depends(require("reader"))]
Recorder = Annotated[Principal, Depends(require("recorder"))]
Auditor = Annotated[Principal, Depends(require("auditor"))]


async def track_id(track: str) -> UUID:
    return resolve_track_ref(track)


TrackId = Annotated[UUID, Depends(track_id)]


# A version as an entity tag ("3", also weak, W/"3"), bare (3), or `*`: the document states
# it as the header's pattern, and anything else names no version.
IF_MATCH_PATTERN = r'^(?:\*|(?:W/)?"[0-9]{1,18}"|[0-9]{1,18})$'
_IF_MATCH = re.compile(IF_MATCH_PATTERN)


class WriteOptions:
    """`If-Match` and `Idempotency-Key` of a write to a track."""

    def __init__(self, if_match: str | None, idempotency_key: str | None) -> None:
        self.if_match = _parse_if_match(if_match)
        self.key = idempotency_key

    def options(self, operation: str, body: Any) -> dict[str, Any]:
        digest = None
        if self.key is not None:
            payload = {"op": operation, "body": body}
            digest = hashlib.sha256(canonical_bytes(payload)).hexdigest()
        return {"if_match": self.if_match, "key": self.key, "digest": digest}


IDEMPOTENCY_KEY_LENGTH = (1, 200)  # characters, least and most


async def write_options(
    if_match: Annotated[
        str | None,
        Header(
            description='the track version the write expects, e.g. "3" (or `*`: any); 412'
            " otherwise, also when it names no version",
            json_schema_extra={"pattern": IF_MATCH_PATTERN},
        ),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=IDEMPOTENCY_KEY_LENGTH[0],
            max_length=IDEMPOTENCY_KEY_LENGTH[1],
            description="replays the first answer for the same body",
        ),
    ] = None,
) -> WriteOptions:
    return WriteOptions(if_match, idempotency_key)


# A version no track ever has: an If-Match that names no version can never match, so the
# write is refused with 412 -- but only after the track (404) and the body (422) are checked.
NO_VERSION = -1


def _parse_if_match(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if _IF_MATCH.match(text) is None:
        return NO_VERSION
    return None if text == "*" else int(text.removeprefix("W/").strip('"'))


WriteOptionsDep = Annotated[WriteOptions, Depends(write_options)]


MinPosition = Annotated[
    int | None,
    Query(
        ge=0, le=2**62, description="wait (up to 5 s) until the read model applied this position"
    ),
]


async def wait_for_position(request: Request, min_position: MinPosition = None) -> int | None:
    """Wait (on the event loop, holding no thread) until the read model has applied
    `min_position`; the position it had then, or None if no wait was asked for. 503 with
    Retry-After past the wait, at once if the position was never written or too many reads
    already wait (services.api.progress)."""
    if min_position is None:
        return None
    tracker: Tracker = request.app.state.tracker
    progress: Progress = request.app.state.progress
    deadline = time.monotonic() + tracker.settings.min_position_wait_seconds
    if min_position > progress.log.known and min_position > await progress.head():
        # Nothing was committed there yet: waiting could not help.
        raise _behind(f"position {min_position} has not been written yet")
    tracker.after_write()  # nudge an idle in-process projector
    reached = await progress.projected(min_position, max(0.0, deadline - time.monotonic()))
    if reached is None:
        raise _behind(f"the read model has not reached position {min_position} yet; retry shortly")
    return reached


def _behind(detail: str) -> ApiProblem:
    return ApiProblem(
        503, "Read model behind", detail, slug="projection-behind", headers={"Retry-After": "1"}
    )


# What a read declares to take `min_position`: the position waited for, or None.
Reached = Annotated[int | None, Depends(wait_for_position)]


def reflect(tracker: Tracker, reached: int | None) -> int:
    """The read-model position a read reflects: the one waited for (`Reached`), else the
    current one (a query: call it from a plain `def` route, which runs in the threadpool)."""
    return reached if reached is not None else tracker.read_model.position(PROJECTION)


def json_response(
    body: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


def read_response(body: Any, position: int) -> Response:
    return json_response(body, headers={"X-Projection-Position": str(position)})


def write_response(
    tracker: Tracker, result: WriteResult, body: Any, *, status: int, location: str | None = None
) -> Response:
    tracker.after_write()
    observability.count_write(result)
    headers = {"ETag": f'"{result.version}"'}
    if location:
        headers["Location"] = location
    if result.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(body, status=status, headers=headers)
