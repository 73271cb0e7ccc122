"""`ntrack serve` as a process: graceful SIGTERM, JSON logs, metrics over several workers,
and the PostgreSQL connection budget checked before any worker starts."""

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
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.settings import Settings
from services.bootstrap import (
    ConnectionBudgetExceeded,
    check_connection_budget,
    connections_per_process,
)
from tests.conftest import drop_schema, postgres_url_or_skip

ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-secret-" + uuid.uuid4().hex
# uvicorn drains, shuts down, then re-raises the signal it caught: a clean exit either way.
EXITED_ON_SIGTERM = (0, -signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ntrack(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-c", "from services.cli.main import main; main()", *args],
            cwd=ROOT,
            env={**base, "NTRACK_API_TOKENS": f"tester:admin:{SECRET}", **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for_health(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(base_url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("ntrack serve did not come up:\n" + log.read_text())


@pytest.fixture
def stop_later() -> Iterator[list[subprocess.Popen[bytes]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_sigterm_lets_an_in_flight_request_finish_and_every_log_line_is_json(
    tmp_path: Path, stop_later: list[subprocess.Popen[bytes]]
) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    proc = ntrack(
        ["serve", "--port", str(port)],
        {
            "NTRACK_DATABASE_URL": f"sqlite:///{tmp_path}/ntrack.sqlite3",
            "NTRACK_EMBEDDED_PROJECTOR": "false",  # nothing applies events: a min_position read
            "NTRACK_MIN_POSITION_WAIT_SECONDS": "2",  # waits its full 2 s
        },
        log,
    )
    stop_later.append(proc)
    base = f"http://127.0.0.1:{port}"
    wait_for_health(base, proc, log)
    track = httpx.post(
        base + "/v1/tracks",
        headers={"Authorization": f"Bearer {SECRET}"},
        json={"kind": "nato", "title": "Brussels", "parties": ["NATO"]},
    ).json()

    answer: dict[str, httpx.Response] = {}

    def slow_read() -> None:
        answer["r"] = httpx.get(
            f"{base}/v1/tracks/{track['id']}",
            params={"min_position": track["position"]},
            headers={"X-Request-ID": "in-flight-1"},
            timeout=30,
        )

    reader = threading.Thread(target=slow_read)
    started = time.monotonic()
    reader.start()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    reader.join(timeout=30)
    assert proc.wait(timeout=15) in EXITED_ON_SIGTERM

    r = answer["r"]
    assert time.monotonic() - started >= 2  # it ran its course after the SIGTERM
    assert r.status_code == 503 and r.json()["type"] == "/problems/projection-behind"
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(line["message"] == "Shutting down" for line in lines)
    in_flight = [line for line in lines if line.get("request_id") == "in-flight-1"]
    assert in_flight and in_flight[-1]["status"] == 503
    assert SECRET not in log.read_text()


@pytest.mark.slow
def test_metrics_add_up_over_all_workers_with_a_multiprocess_directory(
    tmp_path: Path, stop_later: list[subprocess.Popen[bytes]]
) -> None:
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"stale")  # a previous run's leftovers
    log = tmp_path / "serve.log"
    proc = ntrack(
        ["serve", "--port", str(port), "--workers", "2"],
        {
            "NTRACK_DATABASE_URL": f"sqlite:///{tmp_path}/ntrack.sqlite3",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        },
        log,
    )
    stop_later.append(proc)
    base = f"http://127.0.0.1:{port}"
    wait_for_health(base, proc, log)
    before = healthz_count(httpx.get(base + "/metrics").text)
    for _ in range(40):  # a new connection each: the workers share the listening socket
        assert httpx.get(base + "/healthz").status_code == 200
    after = healthz_count(httpx.get(base + "/metrics").text)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=20) in EXITED_ON_SIGTERM

    assert after - before == 40
    assert not (metrics_dir / "counter_999999.db").exists()
    pids = {path.stem.rsplit("_", 1)[-1] for path in metrics_dir.glob("*.db")}
    assert len(pids) >= 2, "the workers did not write their own metric files"


def healthz_count(text: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ntrack_http_requests_total" and s.labels["route"] == "/healthz"
    )


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = postgres_url_or_skip()
    yield url
    drop_schema(url)


@pytest.mark.postgres
def test_the_connection_budget_counts_both_pools_the_projectors_sessions_and_the_apis_listen() -> (
    None
):
    settings = Settings(pool_size=5)
    assert connections_per_process(settings, projector=False) == 10
    assert connections_per_process(settings, projector=True) == 12
    # An API process also LISTENs for read-model changes, unless its document cache is off.
    assert connections_per_process(settings, projector=False, api=True) == 11
    no_cache = Settings(pool_size=5, document_cache_mb=0)
    assert connections_per_process(no_cache, projector=False, api=True) == 10


@pytest.mark.postgres
def test_a_topology_that_fits_postgres_max_connections_passes_the_check(pg_url: str) -> None:
    check_connection_budget(Settings(database_url=pg_url, pool_size=2), processes=2, projector=True)


@pytest.mark.postgres
def test_more_workers_than_postgres_can_serve_are_refused_with_the_numbers(pg_url: str) -> None:
    with pytest.raises(ConnectionBudgetExceeded) as refused:
        check_connection_budget(
            Settings(database_url=pg_url, pool_size=5), processes=500, projector=True
        )
    message = str(refused.value)
    assert "500 process(es) × 12 connections" in message
    assert "max_connections=" in message and "NTRACK_POOL_SIZE=5" in message


def test_the_budget_is_not_checked_off_postgres(tmp_path: Path) -> None:
    check_connection_budget(
        Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3"), processes=10**6, projector=True
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_ntrack_serve_refuses_to_start_workers_postgres_could_not_connect(
    pg_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    proc = ntrack(
        ["serve", "--port", str(_free_port()), "--workers", "400"],
        {"NTRACK_DATABASE_URL": pg_url},
        log,
    )
    assert proc.wait(timeout=60) == 2
    output = log.read_text()
    assert "max_connections" in output and "Traceback" not in output
