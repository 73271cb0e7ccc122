"""GET /v1/events/stream: the log, live, as Server-Sent Events, against a real server."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import build

AUDITOR = "stream-auditor-" + uuid.uuid4().hex
RECORDER = "stream-recorder-" + uuid.uuid4().hex
OTHER_AUDITOR = "stream-auditor-2-" + uuid.uuid4().hex
STATEMENT = {"type": "statement", "party": "US", "occurred_at": "2022-01-10", "summary": "s"}


@dataclass
class Server:
    base_url: str

    def client(self, secret: str = AUDITOR) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url, timeout=10, headers={"Authorization": f"Bearer {secret}"}
        )


@pytest.fixture
def server_options() -> dict[str, Any]:
    """Settings of the server besides the store and tokens (a test may parametrize them)."""
    return {"stream_poll_seconds": 0.05}


@pytest.fixture
def server(database_url: str, server_options: dict[str, Any]) -> Iterator[Server]:
    settings = Settings(
        database_url=database_url,
        api_tokens=f"auditor:auditor:{AUDITOR},recorder:recorder:{RECORDER},"
        f"other:auditor:{OTHER_AUDITOR}",
        **server_options,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield Server(f"http://127.0.0.1:{port}")
    instance.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive(), "the server did not shut down"


def open_track(server: Server) -> str:
    with server.client(RECORDER) as c:
        r = c.post(
            "/v1/tracks",
            json={"kind": "osce", "title": f"Vienna {uuid.uuid4()}", "parties": ["US", "Russia"]},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


def record(server: Server, track: str, count: int) -> list[int]:
    with server.client(RECORDER) as c:
        return [
            c.post(f"/v1/tracks/{track}/statements", json=STATEMENT).json()["position"]
            for _ in range(count)
        ]


def read_events(response: httpx.Response, count: int) -> list[tuple[int, dict]]:
    """The first `count` SSE events of the stream as (id, data)."""
    return read_events_from(response.iter_lines(), count)


def read_events_from(lines: Iterator[str], count: int) -> list[tuple[int, dict]]:
    """The next `count` SSE events of a stream's lines as (id, data)."""
    events: list[tuple[int, dict]] = []
    event_id = None
    for line in lines:
        if line.startswith("id:"):
            event_id = int(line[3:].strip())
        elif line.startswith("data:"):
            assert event_id is not None
            events.append((event_id, json.loads(line[5:].strip())))
            if len(events) == count:
                return events
    raise AssertionError(f"the stream ended after {len(events)} events")


def test_the_stream_pushes_new_events_in_commit_order_like_the_feed(server: Server) -> None:
    track = open_track(server)
    with server.client() as c, c.stream("GET", "/v1/events/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        writer = threading.Thread(target=record, args=(server, track, 5))
        writer.start()
        events = read_events(response, 5)
        writer.join()
        feed = c.get("/v1/events", params={"after": events[0][0] - 1, "limit": 5}).json()
    assert [position for position, _ in events] == sorted(position for position, _ in events)
    assert all(position == data["position"] for position, data in events)
    assert [data for _, data in events] == feed["items"]
    assert {data["track_id"] for _, data in events} == {track}


def test_a_reconnecting_client_resumes_after_its_last_event_id(server: Server) -> None:
    track = open_track(server)
    positions = record(server, track, 6)
    with (
        server.client() as c,
        c.stream(
            "GET",
            "/v1/events/stream",
            params={"after": 0},
            headers={"Last-Event-ID": str(positions[2])},
        ) as response,
    ):
        events = read_events(response, 3)
    assert [position for position, _ in events] == positions[3:]


def test_after_starts_the_stream_from_a_position(server: Server) -> None:
    track = open_track(server)
    positions = record(server, track, 3)
    with (
        server.client() as c,
        c.stream("GET", "/v1/events/stream", params={"after": positions[0]}) as response,
    ):
        events = read_events(response, 2)
    assert [position for position, _ in events] == positions[1:]


def test_the_stream_is_for_auditors_only(server: Server) -> None:
    with httpx.Client(base_url=server.base_url) as anonymous:
        assert anonymous.get("/v1/events/stream").status_code == 401
    with server.client(RECORDER) as recorder:
        r = recorder.get("/v1/events/stream")
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"


def test_a_last_event_id_that_the_feed_never_sent_is_refused(server: Server) -> None:
    with server.client() as c:
        r = c.get("/v1/events/stream", headers={"Last-Event-ID": "yesterday"})
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_the_server_stops_following_when_the_client_disconnects(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="services.api.routes.events")
    with server.client() as c, c.stream("GET", "/v1/events/stream") as response:
        assert response.status_code == 200
        time.sleep(0.2)
    deadline = time.monotonic() + 5
    while not any("event stream closed" in r.getMessage() for r in caplog.records):
        assert time.monotonic() < deadline, "the stream kept running after the disconnect"
        time.sleep(0.05)


@pytest.mark.parametrize("server_options", [{"stream_poll_seconds": 3600}])
def test_an_idle_stream_delivers_a_write_of_its_process_without_waiting_for_a_poll(
    server: Server,
) -> None:
    """The writes of the stream's own process wake it: with a poll an hour apart, the event
    still arrives (else the read below would run into the client's timeout)."""
    track = open_track(server)
    first = record(server, track, 1)[0]
    with (
        server.client() as c,
        c.stream("GET", "/v1/events/stream", params={"after": first - 1}) as response,
    ):
        lines = response.iter_lines()
        assert read_events_from(lines, 1)[0][0] == first  # the stream is now idle at the end
        second = record(server, track, 1)[0]
        assert read_events_from(lines, 1)[0][0] == second


def test_an_idle_stream_delivers_a_write_of_another_process(
    server: Server, database_url: str
) -> None:
    track = open_track(server)
    first = record(server, track, 1)[0]
    with (
        server.client() as c,
        c.stream("GET", "/v1/events/stream", params={"after": first - 1}) as response,
    ):
        lines = response.iter_lines()
        assert read_events_from(lines, 1)[0][0] == first
        other = build(Settings(database_url=database_url, embedded_projector=False))
        try:  # a write the server's process is not told of: its one shared look finds it
            written = other.app.open_track(
                slug=None,
                kind="osce",
                title="Elsewhere",
                venue=None,
                parties=["US", "Russia"],
                opened_at="2022-01-10",
                recorded_by="elsewhere",
            )
        finally:
            other.close()
        assert read_events_from(lines, 1)[0][0] == written.position


@pytest.mark.parametrize(
    "server_options",
    [{"stream_poll_seconds": 0.05, "max_streams_per_principal": 2, "max_streams": 3}],
)
def test_streams_are_capped_per_principal_with_429_and_in_all_with_503(server: Server) -> None:
    with ExitStack() as held:

        def open_stream(secret: str) -> httpx.Response:
            client = held.enter_context(server.client(secret))
            return held.enter_context(client.stream("GET", "/v1/events/stream"))

        assert [open_stream(AUDITOR).status_code for _ in range(2)] == [200, 200]
        refused = open_stream(AUDITOR)
        refused.read()
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["content-type"] == "application/problem+json"
        assert "close one" in refused.json()["detail"]
        assert open_stream(OTHER_AUDITOR).status_code == 200  # the third stream in all
        full = open_stream(OTHER_AUDITOR)
        full.read()
        assert full.status_code == 503
        assert full.headers["retry-after"] == "1"
        assert full.json()["type"] == "/problems/too-many-streams"
    # Closed streams give their slots back (once the server has seen the disconnects).
    deadline = time.monotonic() + 10
    while True:
        with server.client() as c, c.stream("GET", "/v1/events/stream") as response:
            if response.status_code == 200:
                break
        assert time.monotonic() < deadline, "closed streams kept their slots"
        time.sleep(0.05)
