"""The live feed: the global log in commit order as Server-Sent Events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.types import Receive, Scope, Send

from services.api.deps import Auditor, Reached, TrackerDep
from services.api.problems import ApiProblem
from services.api.progress import Progress, StreamSlots
from services.application import TrackerApp
from services.audit import events_feed

log = logging.getLogger(__name__)

router = APIRouter(tags=["audit"])

PAGE_SIZE = 500
RETRY_SECONDS = 0.2  # after a failed read of the log, doubling up to MAX_BACKOFF_SECONDS
MAX_BACKOFF_SECONDS = 5.0
PING_SECONDS = 15  # a comment line now and then keeps proxies from closing an idle stream


@router.get(
    "/v1/events/stream",
    summary="Live event feed (Server-Sent Events)",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "one SSE event per log event: `id:` is its position, "
            "`data:` the same JSON object as an item of /v1/events",
        }
    },
)
async def events_stream(
    tracker: TrackerDep,
    who: Auditor,
    _waited: Reached,
    request: Request,
    after: Annotated[
        int | None,
        Query(ge=0, le=2**62, description="start after this position; default: the current end"),
    ] = None,
    last_event_id: Annotated[
        str | None, Header(description="sent by a reconnecting EventSource; wins over `after`")
    ] = None,
) -> EventSourceResponse:
    """Every event appended to the log, in commit order, as it is committed. Resumes after
    `Last-Event-ID` (or `after`); without either it starts at the current end of the log.
    Ends when the client disconnects. Streams are capped per principal (429) and per
    process (503)."""
    start = _resume_position(last_event_id, after)
    progress: Progress = request.app.state.progress
    if start is None:
        start = await progress.head()
    slots: StreamSlots = request.app.state.streams
    slots.take(who.name)
    return _Stream(
        _follow(tracker.app, progress, start),
        ping=PING_SECONDS,
        release=lambda: slots.give_back(who.name),
    )


class _Stream(EventSourceResponse):
    """Gives its slot back however the stream ends, even before its first event."""

    def __init__(self, *args: Any, release: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._release = release

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._release()


def _resume_position(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is None or not last_event_id.strip():
        return after
    text = last_event_id.strip()
    if not text.isdigit() or len(text) > 19:
        raise ApiProblem(
            422,
            "Invalid request",
            f"Last-Event-ID must be a position this feed sent as `id:`, not {last_event_id[:40]!r}",
            slug="invalid-request",
        )
    return int(text)


async def _follow(
    app: TrackerApp, progress: Progress, position: int
) -> AsyncIterator[ServerSentEvent]:
    """Page through the notification log after `position`; idle, wait for the log to grow
    (services.api.progress: one poller for every stream of the process, woken at once by its
    own writes). The store is read in a worker thread: the event loop serves other requests.
    A store outage does not end the stream: it waits and retries from where it was."""
    delay = RETRY_SECONDS
    log.debug("event stream opened after position %d", position)
    try:
        while True:
            head = progress.log.known  # before the read: anything later wakes the wait below
            try:
                page = await anyio.to_thread.run_sync(events_feed, app, position, PAGE_SIZE)
            except Exception as e:
                log.warning(
                    "event stream cannot read the log (%s); retrying in %.1fs",
                    type(e).__name__,
                    delay,
                )
                await anyio.sleep(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)
                continue
            delay = RETRY_SECONDS
            for item in page["items"]:
                position = item["position"]
                yield ServerSentEvent(data=orjson.dumps(item).decode(), id=str(position))
            if page["next_after"] is None:
                # Beyond both: a head already known past an empty page cannot wake it again.
                await progress.appended(max(position, head))
    finally:  # the client went away (or the server is shutting down)
        log.debug("event stream closed at position %d", position)
