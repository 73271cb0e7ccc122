"""Worker CPU per request on the two hot routes (W1: POST one statement, R1: GET a track).

    .venv/bin/python -m benchmarks.http_cpu_bench [--database-url URL] [--workers 2]
        [--connections 16] [--duration 5] [--embedded-projector] [--no-multiproc]
        [--hello] [--profile DIR] [--source DIR]

CPU milliseconds per request (user + system time of the `ntrack serve` workers over the
phase / requests answered) is the measure: unlike req/s, other work on the machine barely
moves it. Runs `ntrack serve` on a fresh schema (dropped at the end). By default the
projector runs as its own `ntrack project` process (the production topology), so the worker
numbers are the HTTP path alone; `--embedded-projector` puts it back inside the workers.
PROMETHEUS_MULTIPROC_DIR is set as in docker-compose.yml unless `--no-multiproc`.
`--hello` also measures the FastAPI hello-world anchor; `--profile DIR` records the workers
with py-spy (raw collapsed stacks, `--gil`: CPU only) during each phase. `--source DIR`
serves another checkout's code, for a before/after on the same machine state, e.g.
`git archive HEAD~3 | tar -x -C /tmp/before` then `--source /tmp/before`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from benchmarks import anchors, load
from benchmarks.run import DEFAULT_URL, conninfo_of, drop_schema, wait_caught_up, with_schema
from benchmarks.service import ntrack_command

LOGS = Path(__file__).resolve().parent / "results" / "logs"


@contextlib.contextmanager
def _py_spy(pids: list[int], out: Path | None, phase: str, duration: float) -> Iterator[None]:
    if out is None:
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    procs = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--rate",
                "200",
                "--gil",
                "--format",
                "raw",
                "--duration",
                str(max(1, round(duration))),
                "-o",
                str(out / f"{phase}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]
    time.sleep(0.5)
    try:
        yield
    finally:
        for p in procs:
            p.wait(duration + 30)


def _cpu(pids: list[int]) -> tuple[float, float]:
    """User and system CPU seconds the processes (all their threads) have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    user = system = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            user, system = user + int(fields[11]), system + int(fields[12])
    return user / ticks, system / ticks


def _phase(
    name: str, pids: list[int], run: Any, profile: Path | None, duration: float
) -> dict[str, Any]:
    user0, system0 = _cpu(pids)
    with _py_spy(pids, profile, name, duration):
        result: load.LoadResult = run()
    user1, system1 = _cpu(pids)
    per = 1000 / max(result.requests, 1)
    row = {
        "rps": round(result.rps, 1),
        "requests": result.requests,
        "non_2xx": result.non_2xx,
        "p50_ms": round(result.p50_ms, 2),
        "p90_ms": round(result.p90_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "max_ms": round(result.max_ms, 1),
        "cpu_ms_per_req": round(per * (user1 - user0 + system1 - system0), 3),
        "user_ms": round(per * (user1 - user0), 3),
        "sys_ms": round(per * (system1 - system0), 3),
    }
    print(
        f"{name}: {row}" + (f" first error: {result.first_error}" if result.non_2xx else ""),
        flush=True,
    )
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--embedded-projector", action="store_true")
    p.add_argument("--no-multiproc", action="store_true")
    p.add_argument("--hello", action="store_true")
    p.add_argument("--profile", type=Path, default=None)
    p.add_argument("--source", type=Path, default=None)
    args = p.parse_args()

    schema = f"bench_{secrets.token_hex(4)}"
    url = with_schema(args.database_url, schema)
    conninfo = conninfo_of(args.database_url)
    token = secrets.token_urlsafe(16)
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = tempfile.mkdtemp(prefix="ntrack-metrics-")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("NTRACK_") and k != "PROMETHEUS_MULTIPROC_DIR"
    }
    env.update(
        NTRACK_DATABASE_URL=url,
        NTRACK_API_TOKENS=f"bench:recorder:{token}",
        NTRACK_LOG_LEVEL="WARNING",
        NTRACK_EMBEDDED_PROJECTOR=str(args.embedded_projector).lower(),
    )
    if not args.no_multiproc:
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    serve = load.start(
        [
            *ntrack_command(args.source),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env,
        LOGS / "http-cpu-serve.log",
    )
    projector = None
    try:
        load.wait_http(base + "/healthz", serve, timeout=90)
        pids = load.wait_workers(serve.pid, args.workers)
        if not args.embedded_projector:
            projector = load.start(
                [*ntrack_command(args.source), "project"], env, LOGS / "http-cpu-project.log"
            )
        time.sleep(1.5)
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=auth, timeout=60) as c:
            tracks = []
            for i in range(args.connections):
                r = c.post(
                    "/v1/tracks",
                    json={
                        "kind": "bilateral",
                        "title": f"CPU {i}",
                        "slug": f"cpu-{i}",
                        "parties": load.PARTIES,
                    },
                )
                r.raise_for_status()
                tracks.append(r.json()["id"])
            read = tracks[0]
            c.post(
                f"/v1/tracks/{read}/statements:batch",
                json={"statements": [load.statement(k) for k in range(1, 101)]},
            ).raise_for_status()
        wait_caught_up(conninfo, schema, 60)
        print(
            f"workers {pids}, projector "
            f"{'embedded' if args.embedded_projector else 'separate'}, multiproc metrics "
            f"{'off' if args.no_multiproc else 'on'}",
            flush=True,
        )
        d, c = args.duration, args.connections
        _phase(
            "W1 POST statement",
            pids,
            lambda: load.post_statements(base, tracks, token, connections=c, duration=d),
            args.profile,
            d,
        )
        wait_caught_up(conninfo, schema, 60)
        _phase(
            "R1 GET track",
            pids,
            lambda: load.get_path(base, f"/v1/tracks/{read}", connections=c, duration=d),
            args.profile,
            d,
        )
    finally:
        if projector is not None:
            load.stop(projector)
        load.stop(serve)
        drop_schema(conninfo, schema)
        shutil.rmtree(metrics_dir, ignore_errors=True)
    if args.hello:
        h = anchors.hello_world(
            workers=args.workers,
            connections=args.connections,
            duration=args.duration,
            use_wrk=True,
            log=LOGS / "hello.log",
        )
        print(f"hello-world: rps {h['rps']}, cpu_ms_per_req {h['worker_cpu_ms_per_req']}")


if __name__ == "__main__":
    main()
