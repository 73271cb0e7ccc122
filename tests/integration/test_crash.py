"""Crashes: `ntrack serve` killed with SIGKILL mid-stream loses no acknowledged statement.

A writer thread posts statements (each with its own Idempotency-Key) while the server is
killed; after a restart every statement that was acknowledged (201) is in the log exactly
once and in the read model, and the one that was in flight when the server died can be
sent again with its key and is then recorded exactly once. On SQLite this is also the WAL
durability check: the kill comes without any shutdown.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from domain.events import StatementRecorded
from infra.settings import Settings
from services.bootstrap import build

pytestmark = pytest.mark.slow

SECRET = "crash-test-admin-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
ROOT = Path(__file__).resolve().parents[2]
ACKED_BEFORE_KILL = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `ntrack serve` subprocess on a free loopback port."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {
            **os.environ,
            "NTRACK_DATABASE_URL": database_url,
            "NTRACK_API_TOKENS": f"crash:admin:{SECRET}",
            "NTRACK_LOG_LEVEL": "warning",
            "NTRACK_PROJECTOR_POLL_SECONDS": "0.2",
        }
        env.pop("NTRACK_ENCRYPTION_KEY", None)
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "from services.cli.main import main; main()",
                    "serve",
                    "--port",
                    str(self.port),
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"ntrack serve exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"ntrack serve did not come up:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def statement(n: int) -> dict[str, Any]:
    return {
        "type": "statement",
        "party": "Russia",
        "occurred_at": "2022-01-12",
        "summary": f"statement {n} of the stream",
    }


class Writer(threading.Thread):
    """Posts statements until the server goes away; remembers what was acknowledged."""

    def __init__(self, url: str, track: str) -> None:
        super().__init__(daemon=True)
        self.url, self.track = url, track
        self.acked: dict[str, dict[str, Any]] = {}  # key -> answer body
        self.in_flight: tuple[str, dict[str, Any]] | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10, headers=AUTH) as client:
            for n in range(5000):
                key, body = f"stream-{n}", statement(n)
                self.in_flight = (key, body)
                try:
                    answer = client.post(
                        f"/v1/tracks/{self.track}/statements",
                        json=body,
                        headers={"Idempotency-Key": key},
                    )
                except httpx.TransportError:
                    return  # the server died with this request in flight
                if answer.status_code != 201:
                    self.error = AssertionError(f"{answer.status_code}: {answer.text}")
                    return
                self.acked[key] = answer.json()
                self.in_flight = None


def test_a_server_killed_mid_stream_loses_no_acknowledged_statement(
    database_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    server = Server(database_url, log)
    try:
        opened = httpx.post(
            f"{server.url}/v1/tracks",
            headers=AUTH,
            json={
                "kind": "bilateral",
                "title": "Strategic Stability Dialogue",
                "slug": "ssd",
                "parties": ["United States", "Russia"],
            },
        )
        assert opened.status_code == 201, opened.text
        track = opened.json()["id"]

        writer = Writer(server.url, track)
        writer.start()
        deadline = time.monotonic() + 60
        while len(writer.acked) < ACKED_BEFORE_KILL and writer.is_alive():
            assert time.monotonic() < deadline, "the writer is too slow"
            time.sleep(0.005)
        server.kill()
        writer.join(timeout=30)
        assert writer.error is None, writer.error
        assert len(writer.acked) >= ACKED_BEFORE_KILL

        server = Server(database_url, log)
        resent = None
        if writer.in_flight is not None:  # unknown fate: the key makes a retry safe
            key, body = writer.in_flight
            resent = httpx.post(
                f"{server.url}/v1/tracks/{track}/statements",
                json=body,
                headers={**AUTH, "Idempotency-Key": key},
            )
            assert resent.status_code == 201, resent.text
            writer.acked[key] = resent.json()

        # Every acknowledged statement is in the read model (once it reaches its position).
        head = max(answer["position"] for answer in writer.acked.values())
        with httpx.Client(base_url=server.url, timeout=10) as client:
            state = client.get(f"/v1/tracks/{track}", params={"min_position": head})
            assert state.status_code == 200, state.text
            for answer in writer.acked.values():
                got = client.get(
                    f"/v1/tracks/{track}/statements/{answer['id']}",
                    params={"min_position": answer["position"]},
                )
                assert got.status_code == 200, got.text
                assert got.json()["summary"] == answer["summary"]
    finally:
        server.stop()

    # ... and in the log exactly once, with versions that leave no gap.
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        events = list(tracker.app.repository.event_store.get(UUID(track)))
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        recorded = Counter(e.statement_id for e in events if isinstance(e, StatementRecorded))
        keys = Counter(e.idempotency_key for e in events if isinstance(e, StatementRecorded))
        for key, answer in writer.acked.items():
            assert recorded[answer["id"]] == 1, key
            assert keys[key] == 1, key
        summaries = Counter(e.statement["summary"] for e in events[1:])
        assert all(count == 1 for count in summaries.values())
        assert state.json()["statement_count"] >= len(writer.acked) - (resent is not None)
    finally:
        tracker.close()
