"""Read-your-write lag under a steady write rate.

Starts `ntrack serve` on PostgreSQL (a fresh schema, dropped afterwards), writes statements
at a steady rate spread over several tracks, and for each acknowledged write (201) measures
the time until `GET /v1/tracks/{track}/statements/{id}` (no `min_position`) answers 200: how
long the projector takes to make a write visible. Prints p50/p99/max and the achieved rate
and writes the numbers as JSON.

    .venv/bin/python benchmarks/lag_bench.py [--rate 200] [--duration 20] \\
        [--database-url postgresql://postgres@127.0.0.1:5432/test] \\
        [--topology embedded|separate] [--workers 1] [--poll-ms 5]

`embedded`: the projector runs inside `ntrack serve` (the default deployment); `separate`:
`ntrack serve` with NTRACK_EMBEDDED_PROJECTOR=false plus one `ntrack project` process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.stores import parse_database_url  # noqa: E402

SECRET = "bench-" + uuid.uuid4().hex
APP_NAME = "lag-bench-" + uuid.uuid4().hex[:8]
AUTH = {"Authorization": f"Bearer {SECRET}"}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--rate", type=float, default=200.0, help="writes per second")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of writing")
    p.add_argument("--tracks", type=int, default=20, help="tracks the writes are spread over")
    p.add_argument("--topology", choices=("embedded", "separate"), default="embedded")
    p.add_argument("--workers", type=int, default=1, help="ntrack serve --workers")
    p.add_argument("--poll-ms", type=float, default=5.0, help="interval of the visibility poll")
    p.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    p.add_argument("--log-level", default="INFO", help="NTRACK_LOG_LEVEL of the server")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "lag.json")
    return p.parse_args()


# -- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: argparse.Namespace, url: str, logs: Path) -> tuple[list[subprocess.Popen], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
    env.update({"NTRACK_DATABASE_URL": url, "NTRACK_API_TOKENS": f"bench:admin:{SECRET}",
                "PGAPPNAME": APP_NAME,  # tags the service's PostgreSQL sessions
                "NTRACK_LOG_LEVEL": args.log_level,
                "NTRACK_EMBEDDED_PROJECTOR": str(args.topology == "embedded").lower()})
    port = free_port()
    command = [sys.executable, "-c", "from services.cli import main; main()"]
    logs.mkdir(parents=True, exist_ok=True)
    procs = [subprocess.Popen([*command, "serve", "--port", str(port),
                               "--workers", str(args.workers)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL,
                              stderr=(logs / "serve.log").open("wb"))]
    if args.topology == "separate":
        procs.append(subprocess.Popen([*command, "project"], cwd=ROOT, env=env,
                                      stdout=subprocess.DEVNULL,
                                      stderr=(logs / "project.log").open("wb")))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit(f"ntrack exited early; see {logs}")
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return procs, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("ntrack serve did not come up")


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def drop_schema(url: str) -> None:
    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{config.pg_schema}" CASCADE')


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo.extend(int(child) for child in children)
    return pids


def service_backends(url: str) -> list[int]:
    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                            (APP_NAME,)).fetchall()
    return [row[0] for row in rows]


class CpuMeter:
    """CPU seconds spent by the service's processes, its PostgreSQL backends and this
    client while the load runs: what a write costs, whatever else runs on the machine."""

    def __init__(self, procs: list[subprocess.Popen], url: str) -> None:
        self.procs, self.url = procs, url
        self.start = self._sample()

    def _sample(self) -> dict[str, dict[int, float]]:
        service = [pid for p in self.procs for pid in process_tree(p.pid)]
        return {"service": {pid: cpu_seconds(pid) for pid in service},
                "postgres": {pid: cpu_seconds(pid) for pid in service_backends(self.url)},
                "client": {os.getpid(): cpu_seconds(os.getpid())}}

    def used(self) -> dict[str, float]:
        end = self._sample()
        return {part: sum(seconds - self.start[part].get(pid, 0.0)
                          for pid, seconds in end[part].items()) for part in end}


# -- the load ---------------------------------------------------------------------------------


class Sessions:
    """Keep-alive connections, each its own one-connection client. One client with a large
    pool spends its time in the pool's bookkeeping (it scans every connection for every
    request): at 40 writes/s it, not the server, was the bottleneck (profiled with py-spy)."""

    def __init__(self, base: str, size: int) -> None:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.clients = [httpx.AsyncClient(base_url=base, headers=AUTH, limits=limits,
                                          timeout=30) for _ in range(size)]
        self.free: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for client in self.clients:
            self.free.put_nowait(client)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        client = await self.free.get()
        try:
            return await client.request(method, path, **kwargs)
        finally:
            self.free.put_nowait(client)

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()


class Run:
    def __init__(self, client: Sessions, tracks: list[str], poll: float) -> None:
        self.client = client
        self.tracks = tracks
        self.poll = poll
        self.lags: list[float] = []
        self.write_latencies: list[float] = []
        self.polls = 0
        self.errors: dict[str, int] = {}
        self.last_ack = 0.0

    def _error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    async def write_and_watch(self, i: int) -> None:
        track = self.tracks[i % len(self.tracks)]
        body = {"type": "statement", "party": "US", "occurred_at": "2022-01-10",
                "summary": f"benchmark statement {i}", "topics": ["bench"]}
        sent = time.perf_counter()
        try:
            r = await self.client.request("POST", f"/v1/tracks/{track}/statements", json=body)
        except httpx.HTTPError as e:
            self._error(type(e).__name__)
            return
        acked = time.perf_counter()
        if r.status_code != 201:
            self._error(f"write {r.status_code}")
            return
        self.write_latencies.append(acked - sent)
        self.last_ack = max(self.last_ack, acked)
        path = f"/v1/tracks/{track}/statements/{r.json()['id']}"
        while True:
            self.polls += 1
            try:
                seen = await self.client.request("GET", path)
            except httpx.HTTPError as e:
                self._error(type(e).__name__)
                return
            if seen.status_code == 200:
                self.lags.append(time.perf_counter() - acked)
                return
            if seen.status_code != 404:
                self._error(f"read {seen.status_code}")
                return
            if time.perf_counter() - acked > 30:
                self._error("never visible")
                return
            await asyncio.sleep(self.poll)


async def load(args: argparse.Namespace, base: str) -> dict[str, Any]:
    sessions = Sessions(base, args.connections)
    try:
        tracks = []
        for n in range(args.tracks):
            r = await sessions.request("POST", "/v1/tracks", json={
                "kind": "other", "title": f"Bench {n} {uuid.uuid4()}",
                "parties": ["US", "Russia"]})
            r.raise_for_status()
            tracks.append(r.json()["id"])
        run = Run(sessions, tracks, args.poll_ms / 1000)
        total = int(args.rate * args.duration)
        tasks = []
        started = time.perf_counter()
        for i in range(total):  # open loop: the schedule does not wait for answers
            delay = started + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(run.write_and_watch(i)))
        send_window = time.perf_counter() - started
        await asyncio.gather(*tasks)
    finally:
        await sessions.aclose()
    achieved = len(run.write_latencies) / max(run.last_ack - started, 1e-9)
    return {"run": run, "total": total, "send_window": send_window, "achieved": achieved}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def ms(value: float) -> float:
    return round(value * 1000, 2)


def main() -> None:
    args = parse_args()
    separator = "&" if "?" in args.database_url else "?"
    url = f"{args.database_url}{separator}schema=bench_{uuid.uuid4().hex[:12]}"
    logs = Path(tempfile.mkdtemp(prefix="lag-bench-"))  # the servers' JSON logs
    load_before = os.getloadavg()[0]
    procs, base = start(args, url, logs)
    try:
        meter = CpuMeter(procs, url)
        if importlib_uvloop():
            import uvloop

            outcome = uvloop.run(load(args, base))
        else:
            outcome = asyncio.run(load(args, base))
        cpu = meter.used()
    finally:
        stop(procs)
        drop_schema(url)
    run: Run = outcome["run"]
    result = {
        "benchmark": "read-your-write lag (201 -> GET statement 200, no min_position)",
        "topology": args.topology, "workers": args.workers, "log_level": args.log_level,
        "target_rate": args.rate, "duration_s": args.duration, "tracks": args.tracks,
        "poll_ms": args.poll_ms, "connections": args.connections,
        "writes_sent": outcome["total"], "writes_acknowledged": len(run.write_latencies),
        "achieved_rate": round(outcome["achieved"], 1),
        "lag_ms": {"p50": ms(percentile(run.lags, 50)), "p90": ms(percentile(run.lags, 90)),
                   "p99": ms(percentile(run.lags, 99)), "max": ms(max(run.lags, default=0)),
                   "mean": ms(statistics.fmean(run.lags)) if run.lags else None},
        "write_latency_ms": {"p50": ms(percentile(run.write_latencies, 50)),
                             "p99": ms(percentile(run.write_latencies, 99)),
                             "max": ms(max(run.write_latencies, default=0))},
        "polls_per_write": round(run.polls / max(len(run.lags), 1), 2),
        "cpu_ms_per_write": {part: round(seconds * 1000 / max(len(run.lags), 1), 2)
                             for part, seconds in cpu.items()},
        "errors": run.errors,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    # other work on the machine skews everything: record how busy it was
                    "load_average_1m": {"before": round(load_before, 2),
                                        "after": round(os.getloadavg()[0], 2)}},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    lag = result["lag_ms"]
    print(f"{result['writes_acknowledged']}/{result['writes_sent']} writes acknowledged, "
          f"achieved {result['achieved_rate']}/s (target {args.rate:g}/s)")
    print(f"visibility lag: p50 {lag['p50']} ms, p99 {lag['p99']} ms, max {lag['max']} ms "
          f"(poll every {args.poll_ms:g} ms)")
    wl = result["write_latency_ms"]
    print(f"write latency: p50 {wl['p50']} ms, p99 {wl['p99']} ms; errors: {run.errors or 0}")
    print(f"CPU per write (ms): {result['cpu_ms_per_write']}")
    print(f"wrote {args.out}")


def importlib_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
