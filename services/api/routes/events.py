"""The live feed: the global log in commit order as Server-Sent Events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Header, Query
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.api.deps import Auditor, MinPosition, TrackerDep, reflect
from services.api.problems import ApiProblem
from services.application import TrackerApp
from services.audit import events_feed

log = logging.getLogger(__name__)

router = APIRouter(tags=["audit"])

PAGE_SIZE = 500
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
    _: Auditor,
    after: Annotated[
        int | None,
        Query(ge=0, le=2**62, description="start after this position; default: the current end"),
    ] = None,
    last_event_id: Annotated[
        str | None, Header(description="sent by a reconnecting EventSource; wins over `after`")
    ] = None,
    min_position: MinPosition = None,
) -> EventSourceResponse:
    """Every event appended to the log, in commit order, as it is committed. Resumes after
    `Last-Event-ID` (or `after`); without either it starts at the current end of the log.
    Ends when the client disconnects."""
    start = _resume_position(last_event_id, after)
    if min_position is not None:  # taken by every read under /v1, waited for as elsewhere
        await anyio.to_thread.run_sync(reflect, tracker, min_position)
    if start is None:
        start = await anyio.to_thread.run_sync(tracker.app.max_position)
    poll = tracker.settings.stream_poll_seconds
    return EventSourceResponse(_follow(tracker.app, start, poll), ping=PING_SECONDS)


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


async def _follow(app: TrackerApp, position: int, poll: float) -> AsyncIterator[ServerSentEvent]:
    """Page through the notification log after `position`; idle, look again every `poll`
    seconds. The store is read in a worker thread: the event loop serves other requests.
    A store outage does not end the stream: it waits and retries from where it was."""
    delay = poll
    log.debug("event stream opened after position %d", position)
    try:
        while True:
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
            delay = poll
            for item in page["items"]:
                position = item["position"]
                yield ServerSentEvent(data=orjson.dumps(item).decode(), id=str(position))
            if page["next_after"] is None:
                await anyio.sleep(poll)
    finally:  # the client went away (or the server is shutting down)
        log.debug("event stream closed at position %d", position)
