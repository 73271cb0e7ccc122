"""The production topology on one PostgreSQL schema: two `ntrack serve` processes (projector
off) and two `ntrack project` processes, of which one is active and the other stands by.

The first two write through both APIs from several threads, break something (SIGKILL of
the active projector; every connection of the service terminated by the server) and then
show that the read model converges to exactly the log: every statement once, the same
counts, and the projection's position at the log's head. The last two look closer at lost
connections: how fast the service is back, and what a request cut off midway answers.
Every process of the service connects with its own PGAPPNAME, so terminating its sessions
leaves the other tests on the shared server alone.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from domain.events import StatementRecorded
from infra.settings import Settings
from infra.stores import parse_database_url
from services.bootstrap import build
from services.projections.projector import PROJECTION
from tests.conftest import drop_schema, postgres_url_or_skip

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "topology-secret-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {SECRET}"}
ACTIVE_MESSAGE = "this process is now the active projector"
TAKEOVER_LIMIT_SECONDS = 5.0
CONVERGENCE_LIMIT_SECONDS = 60.0


# -- processes ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    port: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def logged(self, text: str) -> bool:
        return text in self.output()


@dataclass
class Topology:
    url: str
    app_name: str  # PGAPPNAME of every connection the service opens
    tmp: Path
    procs: list[Proc] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
        env.update(
            {
                "NTRACK_DATABASE_URL": self.url,
                "NTRACK_API_TOKENS": f"tester:admin:{SECRET}",
                "NTRACK_EMBEDDED_PROJECTOR": "false",
                "NTRACK_LOG_LEVEL": "INFO",
                "NTRACK_POOL_SIZE": "4",
                "PGAPPNAME": self.app_name,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def spawn(self, name: str, *args: str, port: int | None = None) -> Proc:
        log = self.tmp / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-c", "from services.cli.main import main; main()", *args],
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, popen, log, port)
        self.procs.append(proc)
        return proc

    def serve(self, name: str) -> Proc:
        port = _free_port()
        return self.spawn(name, "serve", "--port", str(port), port=port)

    def project(self, name: str) -> Proc:
        return self.spawn(name, "project")

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None:
                proc.popen.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()


@pytest.fixture
def topology(tmp_path: Path) -> Iterator[Topology]:
    url = postgres_url_or_skip()
    topo = Topology(url, "ntrack-topology-" + uuid.uuid4().hex[:12], tmp_path)
    try:
        yield topo
    finally:
        topo.stop_all()
        drop_schema(url)


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def wait_for_api(proc: Proc) -> None:
    def up() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        try:
            return httpx.get(proc.base_url + "/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, 30, f"{proc.name} to answer /healthz", interval=0.1)


def start_topology(topo: Topology) -> tuple[list[Proc], list[Proc]]:
    apis = [topo.serve("api-1"), topo.serve("api-2")]
    for api in apis:
        wait_for_api(api)
    projectors = [topo.project("projector-1"), topo.project("projector-2")]
    wait_until(
        lambda: any(p.logged(ACTIVE_MESSAGE) for p in projectors),
        30,
        "one projector to become active",
    )
    return apis, projectors


def active_projector(projectors: list[Proc]) -> Proc:
    active = [p for p in projectors if p.popen.poll() is None and p.logged(ACTIVE_MESSAGE)]
    assert len(active) == 1, [p.name for p in active]
    return active[0]


# -- load ---------------------------------------------------------------------------------------


def open_tracks(api: Proc, count: int) -> list[str]:
    ids = []
    with httpx.Client(base_url=api.base_url, headers=AUTH, timeout=10) as client:
        for i in range(count):
            body = {
                "kind": "other",
                "title": f"Track {i} {uuid.uuid4()}",
                "parties": ["US", "Russia"],
            }
            r = client.post("/v1/tracks", json=body)
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
    return ids


@dataclass
class Load:
    """Writer threads spread over both APIs and all tracks, recording every answer."""

    apis: list[Proc]
    tracks: list[str]
    threads: int = 4
    acked: dict[str, str] = field(default_factory=dict)  # statement id -> track id
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    answers: list[tuple[float, int]] = field(default_factory=list)  # (when, status)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _workers: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for n in range(self.threads):
            worker = threading.Thread(target=self._write, args=(n,), daemon=True)
            worker.start()
            self._workers.append(worker)

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join(timeout=30)

    def _write(self, n: int) -> None:
        clients = [httpx.Client(base_url=a.base_url, headers=AUTH, timeout=15) for a in self.apis]
        i = n
        try:
            while not self._stop.is_set():
                track = self.tracks[i % len(self.tracks)]
                client = clients[i % len(clients)]
                i += self.threads
                body = {
                    "type": "statement",
                    "party": "US",
                    "occurred_at": "2022-01-10",
                    "summary": f"writer {n} statement {i}",
                }
                try:
                    r = client.post(f"/v1/tracks/{track}/statements", json=body)
                except httpx.TransportError as e:
                    self._note(0, f"transport error: {e!r}")
                    continue
                self._record(track, r)
        finally:
            for client in clients:
                client.close()

    def _record(self, track: str, r: httpx.Response) -> None:
        if r.status_code == 201:
            with self._lock:
                self.acked[r.json()["id"]] = track
        elif r.status_code == 503 and r.headers["content-type"] == "application/problem+json":
            assert r.json()["status"] == 503
        else:
            self._note(
                r.status_code, f"{r.status_code} {r.headers.get('content-type')}: {r.text[:300]}"
            )
        with self._lock:
            self.statuses[r.status_code] += 1
            self.answers.append((time.monotonic(), r.status_code))

    def _note(self, status: int, text: str) -> None:
        with self._lock:
            self.statuses[status] += 1
            self.unexpected.append(text)
            self.answers.append((time.monotonic(), status))

    def acked_count(self) -> int:
        with self._lock:
            return len(self.acked)


# -- the log and the read model -------------------------------------------------------------------


def log_statements(url: str) -> tuple[dict[str, str], int]:
    """Statement id -> track id for every statement event in the log, and the log's head."""
    tracker = build(Settings(database_url=url, embedded_projector=False))
    try:
        statements: dict[str, str] = {}
        start = 0
        while page := tracker.app.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        ):
            for notification in page:
                event = tracker.app.mapper.to_domain_event(notification)
                if isinstance(event, StatementRecorded):
                    assert event.statement_id not in statements, "a statement recorded twice"
                    statements[event.statement_id] = str(event.originator_id)
            start = page[-1].id
        return statements, tracker.app.max_position()
    finally:
        tracker.close()


def read_model_rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(
        **config.pg_conninfo, autocommit=True, options=f"-c search_path={config.pg_schema}"
    ) as conn:
        return conn.execute(sql).fetchall()


def projection_position(url: str) -> int:
    rows = read_model_rows(
        url, f"SELECT position FROM rm_tracking WHERE projection = '{PROJECTION}'"
    )
    return int(rows[0][0]) if rows else 0


def assert_read_model_matches_log(url: str, acked: dict[str, str]) -> None:
    """Wait (bounded) until the projection reaches the log's head, then compare them."""
    _, head = log_statements(url)
    wait_until(
        lambda: projection_position(url) == head,
        CONVERGENCE_LIMIT_SECONDS,
        f"the projection to reach the log's head {head}",
        interval=0.2,
    )
    logged, head_after = log_statements(url)
    assert head_after == head, "the log grew after the load stopped"
    assert projection_position(url) == head

    missing = set(acked) - set(logged)
    assert not missing, f"{len(missing)} acknowledged statements are not in the log"

    rows = read_model_rows(url, "SELECT id, track_id FROM rm_statements")
    projected = [row[0] for row in rows]
    assert len(projected) == len(set(projected))
    assert dict(rows) == logged, "rm_statements differs from the statements in the log"

    per_track = Counter(logged.values())
    states = read_model_rows(url, "SELECT id, state FROM rm_tracks")
    counts = {track_id: json.loads(state)["statement_count"] for track_id, state in states}
    assert {t: counts.get(t, 0) for t in per_track} == dict(per_track)


def terminate_service_connections(url: str, app_name: str) -> int:
    """Kill every session the service has open, as a PostgreSQL restart or failover would
    (the server itself stays up: other tests share it)."""
    rows = read_model_rows(
        url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = current_database() AND application_name = '{app_name}' "
        "AND pid <> pg_backend_pid()",
    )
    return len(rows)


# -- the tests -------------------------------------------------------------------------------


def test_a_standby_projector_takes_over_from_a_killed_one_and_the_read_model_matches_the_log(
    topology: Topology,
) -> None:
    apis, projectors = start_topology(topology)
    tracks = open_tracks(apis[0], 8)
    load = Load(apis, tracks)
    load.start()
    try:
        wait_until(lambda: load.acked_count() >= 150, 60, "150 acknowledged writes")
        victim = active_projector(projectors)
        standby = next(p for p in projectors if p is not victim)
        assert not standby.logged(ACTIVE_MESSAGE)
        victim.popen.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        wait_until(
            lambda: standby.logged(ACTIVE_MESSAGE), 30, "the standby to take over", interval=0.02
        )
        took_over_in = time.monotonic() - killed_at
        acked_at_takeover = load.acked_count()
        wait_until(
            lambda: load.acked_count() >= acked_at_takeover + 150,
            60,
            "150 more acknowledged writes",
        )
    finally:
        load.stop()
    victim.popen.wait(timeout=5)

    assert took_over_in <= TAKEOVER_LIMIT_SECONDS, f"takeover took {took_over_in:.2f}s"
    assert not load.unexpected, load.unexpected[:5]
    assert set(load.statuses) == {201}
    assert_read_model_matches_log(topology.url, load.acked)
    assert all(api.popen.poll() is None for api in apis)


def test_the_service_rides_out_terminated_database_connections_without_losing_writes(
    topology: Topology,
) -> None:
    apis, projectors = start_topology(topology)
    tracks = open_tracks(apis[1], 8)
    load = Load(apis, tracks)
    load.start()
    try:
        wait_until(lambda: load.acked_count() >= 100, 60, "100 acknowledged writes")
        terminated = 0
        for _ in range(4):  # several outages, each while writes are in flight
            terminated += terminate_service_connections(topology.url, topology.app_name)
            time.sleep(0.7)
        outage_over = time.monotonic()
        assert terminated >= 4 * 2  # at least the two projectors' sessions each time
        acked_after_outage = load.acked_count()
        wait_until(
            lambda: load.acked_count() >= acked_after_outage + 150,
            60,
            "150 acknowledged writes after the outage",
        )
        recovered_at = time.monotonic()
        time.sleep(1.0)  # a stretch of writing that must now succeed throughout
    finally:
        load.stop()

    assert not load.unexpected, load.unexpected[:5]
    assert set(load.statuses) <= {201, 503}, load.statuses
    assert recovered_at - outage_over < 30
    late = [status for when, status in load.answers if when > recovered_at]
    assert late and set(late) == {201}, Counter(late)
    assert_read_model_matches_log(topology.url, load.acked)
    assert all(p.popen.poll() is None for p in (*apis, *projectors)), "a process died"


def test_the_first_requests_after_every_connection_was_terminated_are_answered_at_once(
    topology: Topology,
) -> None:
    api = topology.serve("api")
    wait_for_api(api)
    (track,) = open_tracks(api, 1)
    body = {"type": "statement", "party": "US", "occurred_at": "2022-01-10", "summary": "s"}
    with httpx.Client(base_url=api.base_url, headers=AUTH, timeout=30) as client:
        for _ in range(3):
            assert client.post(f"/v1/tracks/{track}/statements", json=body).status_code == 201
            assert terminate_service_connections(topology.url, topology.app_name) >= 2
            time.sleep(0.3)
            started = time.monotonic()
            write = client.post(f"/v1/tracks/{track}/statements", json=body)
            read = client.get("/readyz")  # reads the event store and the read model
            took = time.monotonic() - started
            assert (write.status_code, read.status_code) == (201, 200)
            # Without sweeping the pools, the pre-ping waits 1 s, 2 s, 4 s... between dead
            # connections: 5 s (the pool timeout) with the four of the event-store pool.
            assert took < 2.5, f"the first write and read after the outage took {took:.2f}s"


def test_a_read_cut_off_by_a_terminated_connection_answers_503_problem_json(
    topology: Topology,
) -> None:
    api = topology.serve("api")
    wait_for_api(api)
    (track,) = open_tracks(api, 1)
    config = parse_database_url(topology.url)
    assert config.pg_conninfo is not None
    answer: dict[str, httpx.Response] = {}

    def read() -> None:
        answer["r"] = httpx.get(f"{api.base_url}/v1/tracks/{track}", timeout=30)

    admin = psycopg.connect(
        **config.pg_conninfo, autocommit=True, application_name="ntrack-topology-admin"
    )
    with admin, admin.transaction():  # the read waits on this lock, inside its query
        admin.execute(f'LOCK TABLE "{config.pg_schema}".rm_tracks IN ACCESS EXCLUSIVE MODE')
        reader = threading.Thread(target=read)
        reader.start()
        wait_until(
            lambda: (
                read_model_rows(
                    topology.url,
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                    f"'Lock' AND application_name = '{topology.app_name}'",
                )[0][0]
                > 0
            ),
            10,
            "the read to wait on the lock",
        )
        assert terminate_service_connections(topology.url, topology.app_name) >= 1
        reader.join(timeout=30)
    r = answer["r"]
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == "/problems/store-unavailable" and r.headers["Retry-After"]
    assert httpx.get(f"{api.base_url}/readyz").status_code == 200  # and it recovered
