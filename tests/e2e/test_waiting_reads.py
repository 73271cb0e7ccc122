"""Reads that wait for `min_position` while the read model lags hold no thread.

The app runs in this test's event loop (httpx's ASGI transport, the lifespan entered as
`ntrack serve` does), so hundreds of requests can be in flight at once without as many
sockets or threads, and what answers before what is observed directly. Nothing here
measures time: benchmarks/waits_bench.py prints how long the waits and the probes take.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import build
from tests.e2e.conftest import RECORDER, TOKENS, assert_problem

FLOOD = 500
WAIT_SECONDS = 2.0  # the wait each read is allowed (5 s in production); all of them run out


class Arrivals:
    """The app, counting the requests that have reached it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.count = 0
        self.wanted = 0
        self.reached = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.count += 1
            if self.count >= self.wanted:
                self.reached.set()
        await self.app(scope, receive, send)

    async def until(self, count: int) -> None:
        self.wanted = count
        if self.count < count:
            self.reached.clear()
            await self.reached.wait()


@dataclass
class Served:
    app: FastAPI
    arrivals: Arrivals
    client: httpx.AsyncClient

    def waits(self) -> int:
        """Reads waiting for the projector now."""
        return len(self.app.state.progress.projection)


@asynccontextmanager
async def serving(
    database_url: str, **options: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app over `database_url` without a projector (the read model stays behind), and an
    HTTP client speaking to it in this event loop."""
    settings = Settings(
        database_url=database_url,
        api_tokens=TOKENS,
        embedded_projector=False,
        min_position_wait_seconds=WAIT_SECONDS,
        **options,
    )
    app = create_app(settings)
    arrivals = Arrivals(app)
    transport = httpx.ASGITransport(app=arrivals)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://ntrack", timeout=60) as client,
    ):
        yield Served(app, arrivals, client)


async def open_track(client: httpx.AsyncClient, slug: str) -> int:
    answer = await client.post(
        "/v1/tracks",
        json={"kind": "bilateral", "title": slug, "slug": slug, "parties": ["Russia", "NATO"]},
        headers=RECORDER,
    )
    assert answer.status_code == 201, answer.text
    position: int = answer.json()["position"]
    return position


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run `scenario` in an event loop of its own, on a thread of its own: this thread may
    already run a loop (Playwright's sync API keeps one while the browser tests' session
    lasts), and asyncio.run refuses to start a second one there."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, scenario()).result()


def test_health_answers_while_500_reads_wait_and_every_wait_ends_with_the_timeout_answer(
    database_url: str,
) -> None:
    async def scenario() -> None:
        async with serving(database_url) as served:
            arrivals, client = served.arrivals, served.client
            position = await open_track(client, "ssd")
            paths = [
                f"/v1/tracks/ssd?min_position={position}",
                f"/v1/tracks?min_position={position}",
            ]
            before = arrivals.count
            reads = [asyncio.create_task(client.get(paths[i % 2])) for i in range(FLOOD)]
            await arrivals.until(before + FLOOD)  # every read has reached the app
            health = await client.get("/healthz")
            pending = sum(not read.done() for read in reads)
            assert health.status_code == 200
            assert pending == FLOOD, f"{FLOOD - pending} reads answered before /healthz"
            ready = await client.get("/readyz")
            assert ready.json()["lag"] == position  # not ready-checked: only that it answers
            assert sum(not read.done() for read in reads) == FLOOD
            for answer in await asyncio.gather(*reads):
                body = assert_problem(answer, 503)
                assert body["type"] == "/problems/projection-behind", body
                assert answer.headers["retry-after"] == "1"

    run(scenario)


def test_reads_beyond_the_cap_of_waits_are_refused_at_once_with_retry_after(
    database_url: str,
) -> None:
    async def scenario() -> None:
        async with serving(database_url, max_position_waits=3) as served:
            client = served.client
            position = await open_track(client, "ssd")
            path = f"/v1/tracks/ssd/statements?min_position={position}"
            waiting = [asyncio.create_task(client.get(path)) for _ in range(3)]
            while served.waits() < 3:
                await asyncio.sleep(0)  # until all three wait (no time passes in an ASGI call)
            refused = await client.get(path)
            assert not any(read.done() for read in waiting)
            body = assert_problem(refused, 503)
            assert body["type"] == "/problems/too-many-waits", body
            assert "retry" in body["detail"].lower()
            assert refused.headers["retry-after"] == "1"
            assert [r.status_code for r in await asyncio.gather(*waiting)] == [503] * 3
            # A read that needs no wait is never refused.
            assert (await client.get("/v1/tracks/ssd/statements")).status_code == 404

    run(scenario)


def test_a_waiting_read_answers_once_a_projector_of_another_process_has_projected(
    database_url: str,
) -> None:
    async def scenario() -> None:
        async with serving(database_url) as served:
            client = served.client
            position = await open_track(client, "ssd")
            read = asyncio.create_task(client.get(f"/v1/tracks/ssd?min_position={position}"))
            while served.waits() < 1:
                await asyncio.sleep(0)
            # Another process's projector: nothing in the API process is told, so the wait
            # ends through the process's shared look at the read model.
            other = build(Settings(database_url=database_url))
            try:
                await anyio.to_thread.run_sync(other.projector().catch_up_once)
            finally:
                other.close()
            answer = await read
            assert answer.status_code == 200, answer.text
            assert answer.json()["slug"] == "ssd"
            assert int(answer.headers["x-projection-position"]) >= position

    run(scenario)
