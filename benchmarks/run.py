"""The benchmark: the service on PostgreSQL against its anchors, measured in one run.

    .venv/bin/python -m benchmarks.run [--database-url URL] [--workers 2] [--duration 10]
                                       [--connections 16] [--topology separate|embedded]
                                       [--quick] [--profile [active|gil]]

Every run works in fresh schemas (`bench_<random>` for the service, `bench_<random>_anchor`
for the anchors) and drops them at the end. It prints a table (measure, value, anchor,
ratio, goal, pass/fail) and writes benchmarks/results/latest.json. The goals (issue
"Performance"): W1 >= 0.7, W2 >= 2.0, R1 >= 0.5 with p99 <= 25 ms, L1 p99 <= 100 ms,
M1 <= 250 MB, B1 >= 0.3. Nothing here is a test: no timed assertions.

Phases, in order: anchors (hello-world on httptools+uvloop, and for information on plain
h11+asyncio; raw INSERT+COMMIT on N and on 1 connection; library append), then the service
(`ntrack serve --workers N` plus one `ntrack project`, as docker-compose.yml runs it; with
`--topology embedded` the projector runs inside the workers instead): W1, R1, L1 (read-your-
write lag at half W1's rate, benchmarks/lag.py), W2, M1 (topping the W2 tracks up to 100k
statements through the batch endpoint, then VmRSS of the API workers and the projector),
then, with the service stopped, B1 (`ntrack rebuild`) and the library's raw read rate over
the same log. The M1 top-up and the rebuild have time budgets (--m1-budget, --b1-budget) so
a run stays near five minutes; a phase cut short says so in the table.

The load generator is wrk (Debian: `apt-get install -y wrk`) with the Lua scripts here, one
connection per wrk thread; without wrk (or with --no-wrk) a Python asyncio HTTP/1.1 client
stands in, and the output says so. Worker CPU per request is recorded too: other processes
on the machine disturb it far less than throughput.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from benchmarks import anchors, load
from benchmarks.lag import measure_lag
from benchmarks.service import TOPOLOGIES, Service

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test"
PROJECTION = "track_views"
BATCH = 500
M1_TRACKS = 20


# -- helpers ------------------------------------------------------------------


def with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"] + [("schema", schema)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def conninfo_of(url: str) -> dict[str, str]:
    from infra.stores import parse_database_url

    config = parse_database_url(url)
    if config.kind != "postgres" or config.pg_conninfo is None:
        raise SystemExit(f"--database-url must be a postgresql:// URL, not {url!r}")
    return dict(config.pg_conninfo)


PHASE_LOG: list[dict[str, Any]] = []  # what was said, when, at which load average


def say(text: str) -> None:
    load1 = os.getloadavg()[0]
    PHASE_LOG.append({"at": time.strftime("%H:%M:%S"), "loadavg_1m": load1, "text": text})
    print(f"[{time.strftime('%H:%M:%S')} load {load1:4.1f}] {text}", flush=True)


def drop_schema(conninfo: dict[str, str], schema: str) -> None:
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def log_head_and_position(conninfo: dict[str, str], schema: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        head = conn.execute(
            f'SELECT coalesce(max(notification_id), 0) FROM "{schema}".ntrack_events'
        ).fetchone()
        rows = conn.execute(
            f'SELECT position FROM "{schema}".rm_tracking WHERE projection=%s', (PROJECTION,)
        ).fetchall()
    return int(head[0] if head else 0), int(rows[0][0]) if rows else 0


def wait_caught_up(conninfo: dict[str, str], schema: str, timeout: float) -> dict[str, Any]:
    """Wait until the read model has applied the whole log; how long that took."""
    t0 = time.perf_counter()
    head, position = log_head_and_position(conninfo, schema)
    behind = head - position
    while position < head and time.perf_counter() - t0 < timeout:
        time.sleep(0.05)
        _, position = log_head_and_position(conninfo, schema)
    return {
        "behind_events": behind,
        "waited_s": round(time.perf_counter() - t0, 2),
        "caught_up": position >= head,
    }


def guarded(results: dict[str, Any], key: str, fn: Callable[[], Any]) -> Any:
    """Run one phase; an exception is recorded (and the run goes on), not raised."""
    try:
        value = fn()
    except Exception as e:
        say(f"  {key} failed: {type(e).__name__}: {e}")
        results.setdefault("errors", {})[key] = f"{type(e).__name__}: {e}"
        return None
    return value


def _with_cpu(result: load.LoadResult | None, cpu: float) -> dict[str, Any] | None:
    """The load result and the API workers' CPU per answered request (a measure that other
    processes on the machine disturb far less than throughput; PostgreSQL's not included)."""
    if result is None:
        return None
    return {
        **result.as_dict(),
        "worker_cpu_s": round(cpu, 2),
        "worker_cpu_ms_per_req": round(1000 * cpu / max(result.requests, 1), 3),
    }


# -- W2 + M1: batch ingest ------------------------------------------------------------------


def fill_batches(
    svc: Service, tracks: list[str], *, statements: int, connections: int, budget: float
) -> dict[str, Any]:
    """Record `statements` more statements in batches of BATCH over `tracks`, stopping
    (after the requests in flight) when `budget` seconds are spent."""
    requests = math.ceil(statements / BATCH)
    if requests <= 0:
        return {"statements": 0, "requests": 0, "seconds": 0.0}

    def make(i: int, n: int) -> tuple[str, str, bytes | None]:
        mine = load.own_tracks(tracks, connections, i)
        body = {"statements": [load.statement(2_000_000 + n * BATCH + j, i) for j in range(BATCH)]}
        return ("POST", f"/v1/tracks/{mine[n % len(mine)]}/statements:batch", orjson.dumps(body))

    result = load.run_python(
        svc.base,
        make,
        connections=connections,
        max_requests=requests,
        duration=budget,
        headers={"Authorization": f"Bearer {svc.token}"},
        label="python-asyncio (top-up to the M1 count)",
    )
    return {
        "statements": result.ok * BATCH,
        "requests": result.requests,
        "non_2xx": result.non_2xx,
        "seconds": round(result.duration_s, 2),
        "statements_per_s": round(result.ok * BATCH / result.duration_s, 1),
        "first_error": result.first_error,
    }


# -- B1: rebuild ------------------------------------------------------------------


def _staging_position(conninfo: dict[str, str], schema: str) -> int:
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        try:
            row = conn.execute(
                f'SELECT position FROM "{schema}".rmb_tracking WHERE projection=%s', (PROJECTION,)
            ).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0
    return int(row[0]) if row else 0


def rebuild_phase(
    svc: Service, url: str, conninfo: dict[str, str], schema: str, *, budget: float
) -> dict[str, Any]:
    """Time `ntrack rebuild` (if the command exists), else a fresh Projector over rmb_ tables.
    Past `budget` seconds it is stopped and the rate taken from the position it reached."""
    ntrack = Path(sys.executable).parent / "ntrack"
    help_text = subprocess.run(
        [str(ntrack), "--help"], capture_output=True, text=True, env=svc.env(), check=False
    ).stdout
    head, _ = log_head_and_position(conninfo, schema)
    if "rebuild" in help_text:
        log = RESULTS / "logs" / "rebuild.log"
        t0 = time.perf_counter()
        proc = load.start([str(ntrack), "rebuild"], {**svc.env(), "COLUMNS": "200"}, log)
        try:
            proc.wait(budget)
        except subprocess.TimeoutExpired:
            reached = _staging_position(conninfo, schema)
            elapsed = time.perf_counter() - t0
            load.stop(proc)
            return {
                "method": f"ntrack rebuild, STOPPED after the {budget:g} s budget; "
                "rate from the position its staging tables reached",
                "complete": False,
                "events": reached,
                "log_events": head,
                "seconds": round(elapsed, 2),
                "events_per_s": round(reached / elapsed, 1),
            }
        elapsed = time.perf_counter() - t0
        text = log.read_text(errors="replace")
        if proc.returncode != 0:
            raise RuntimeError(f"ntrack rebuild exited {proc.returncode}: {text[-500:]}")
        events = head
        for line in text.splitlines():
            if line.startswith("rebuilt:"):
                events = int(line.split()[1])
        return {
            "method": "ntrack rebuild (whole command, process start included)",
            "complete": True,
            "events": events,
            "seconds": round(elapsed, 2),
            "events_per_s": round(events / elapsed, 1),
        }
    from infra.settings import Settings
    from services.bootstrap import build
    from services.projections.projector import Projector

    tracker = build(Settings(database_url=url, embedded_projector=False))
    staging = tracker.read_model.sibling("rmb_")
    try:
        staging.drop_tables()
        staging.create_tables()
        t0 = time.perf_counter()
        projector = Projector(tracker.app, staging)
        events = 0
        while time.perf_counter() - t0 < budget and (n := projector.catch_up_once()):
            events += n
        elapsed = time.perf_counter() - t0
    finally:
        staging.drop_tables()
        tracker.close()
    return {
        "method": "Projector(app, read_model.sibling('rmb_')).catch_up() (ntrack rebuild absent)",
        "complete": events >= head,
        "events": events,
        "seconds": round(elapsed, 2),
        "events_per_s": round(events / elapsed, 1),
    }


# -- the table ------------------------------------------------------------------


def _get(d: Any, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or d.get(k) is None:
            return None
        d = d[k]
    return d


def _ratio(a: Any, b: Any) -> float | None:
    return (
        round(a / b, 3) if isinstance(a, int | float) and isinstance(b, int | float) and b else None
    )


def goals(r: dict[str, Any]) -> list[dict[str, Any]]:
    m, a = r["measures"], r["anchors"]
    w1 = _get(m, "W1", "rps")
    lib = _get(a, "library_append", "saves_per_s")
    w2 = _get(m, "W2", "statements_per_s")
    raw = _get(a, "raw_insert", "rows_per_s")
    r1 = _get(m, "R1", "rps")
    hello = _get(a, "hello_world", "rps")
    r1p99 = _get(m, "R1", "p99_ms")
    l1 = _get(m, "L1", "p99_ms")
    m1 = _get(m, "M1", "max_worker_rss_mb")
    m1_done = _get(m, "M1", "complete")
    b1 = _get(m, "B1", "events_per_s")
    read = _get(a, "library_read", "events_per_s")

    def row(
        name: str,
        value: Any,
        unit: str,
        anchor: Any,
        anchor_label: str,
        ratio: float | None,
        goal: str,
        ok: bool | None,
    ) -> dict[str, Any]:
        return {
            "measure": name,
            "value": value,
            "unit": unit,
            "anchor": anchor,
            "anchor_label": anchor_label,
            "ratio": ratio,
            "goal": goal,
            "result": "n/a" if ok is None else ("PASS" if ok else "FAIL"),
        }

    def ge(x: float | None, limit: float) -> bool | None:
        return None if x is None else x >= limit

    def le(x: float | None, limit: float) -> bool | None:
        return None if x is None else x <= limit

    q1, q2, q3, q6 = _ratio(w1, lib), _ratio(w2, raw), _ratio(r1, hello), _ratio(b1, read)
    lib_threads = _get(a, "library_append", "threads")
    raw_threads = _get(a, "raw_insert", "threads")
    return [
        row(
            "W1 POST one statement",
            w1,
            "req/s",
            lib,
            f"library append, {lib_threads} threads (saves/s)",
            q1,
            "ratio >= 0.7",
            ge(q1, 0.7),
        ),
        row(
            "W2 batch ingest",
            w2,
            "statements/s",
            raw,
            f"raw INSERT+COMMIT, {raw_threads} conns (rows/s)",
            q2,
            "ratio >= 2.0",
            ge(q2, 2.0),
        ),
        row(
            "R1 GET /v1/tracks/{track}",
            r1,
            "req/s",
            hello,
            "FastAPI hello-world, same workers (req/s)",
            q3,
            "ratio >= 0.5",
            ge(q3, 0.5),
        ),
        row("R1 p99 latency", r1p99, "ms", None, "", None, "<= 25 ms", le(r1p99, 25)),
        row(
            "L1 projection lag p99 (201 -> GET 200)",
            l1,
            "ms",
            _get(m, "L1", "achieved_rate"),
            "at write rate (req/s)",
            None,
            "<= 100 ms",
            le(l1, 100),
        ),
        row(
            "L1 same writes, DB position (info)",
            _get(m, "L1", "via_db_position", "p99_ms"),
            "ms",
            _get(m, "L1", "via_db_position", "samples"),
            "writes (all of them)",
            None,
            "<= 100 ms",
            None,
        )
        | {"result": "info"},
        row(
            "M1 API worker RSS (max) after fill",
            m1,
            "MB",
            _get(m, "M1", "statements"),
            "statements recorded" + ("" if m1_done else " (INCOMPLETE: budget)"),
            None,
            "<= 250 MB",
            le(m1, 250) if m1_done or (m1 or 0) > 250 else None,
        ),
        row(
            "B1 rebuild" + ("" if _get(m, "B1", "complete") in (True, None) else " (partial)"),
            b1,
            "events/s",
            read,
            "library raw read (events/s)",
            q6,
            "ratio >= 0.3",
            ge(q6, 0.3),
        ),
    ]


def _fmt(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.1f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def print_table(rows: list[dict[str, Any]], r: dict[str, Any]) -> None:
    lines = [("measure", "value", "anchor", "ratio", "goal", "result")]
    for x in rows:
        value = f"{_fmt(x['value'])} {x['unit']}" if x["value"] is not None else "-"
        anchor = f"{_fmt(x['anchor'])} {x['anchor_label']}" if x["anchor"] is not None else "-"
        lines.append((x["measure"], value, anchor, _fmt(x["ratio"]), x["goal"], x["result"]))
    widths = [max(len(line[i]) for line in lines) for i in range(6)]
    sep = "-+-".join("-" * w for w in widths)
    print()
    for n, line in enumerate(lines):
        print(" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
        if n == 0:
            print(sep)
    print()
    m, a = r["measures"], r["anchors"]
    details = [
        ("load generator", r["meta"]["load_generator"]),
        ("W1 latency", _lat(m.get("W1"))),
        ("library append latency", _lat(a.get("library_append"))),
        ("raw INSERT+COMMIT latency", _lat(a.get("raw_insert"))),
        ("raw INSERT+COMMIT, 1 conn", _val(a.get("raw_insert_1"), "rows_per_s", "rows/s")),
        ("W2 latency (per batch of 500)", _lat(m.get("W2"))),
        ("R1 latency", _lat(m.get("R1"))),
        ("hello-world latency", _lat(a.get("hello_world"))),
        ("hello-world h11+asyncio", _val(a.get("hello_world_h11"), "rps", "req/s")),
        (
            "connections per worker: W1, R1, hello",
            " / ".join(
                str(sorted((_get(x, "connections_by_worker") or {}).values()))
                for x in (m.get("W1"), m.get("R1"), a.get("hello_world"))
            ),
        ),
        (
            "worker CPU ms/request: W1, R1, hello",
            " / ".join(
                _fmt(_get(x, "worker_cpu_ms_per_req"))
                for x in (m.get("W1"), m.get("R1"), a.get("hello_world"))
            ),
        ),
        (
            "library append CPU ms/save (in-process)",
            _fmt(_get(a, "library_append", "cpu_ms_per_save")),
        ),
        (
            "W2 worker CPU ms/statement",
            _fmt(
                _get(m, "W2", "worker_cpu_ms_per_req") / BATCH
                if _get(m, "W2", "worker_cpu_ms_per_req") is not None
                else None
            ),
        ),
        ("L1 method", _get(m, "L1", "method") or "-"),
        ("L1 lag", _lagline(_get(m, "L1"))),
        (
            "L1 write latency",
            f"p50 {_fmt(_get(m, 'L1', 'write_p50_ms'))} ms, "
            f"p99 {_fmt(_get(m, 'L1', 'write_p99_ms'))} ms",
        ),
        ("L1 lag via DB position, all writes", _lagline(_get(m, "L1", "via_db_position"))),
        ("L1 CPU ms per write", str(_get(m, "L1", "cpu_ms_per_write"))),
        ("M1 statements recorded via batch", _fmt(_get(m, "M1", "statements"))),
        (
            "M1 topology; projector process RSS",
            f"{_get(m, 'M1', 'topology')}; {_fmt(_get(m, 'M1', 'projector_rss_mb'))} MB",
        ),
        ("M1 projector catch-up after fill", _fmt(_get(m, "M1", "catch_up", "waited_s")) + " s"),
        ("B1 method", _get(m, "B1", "method") or "-"),
        (
            "B1 events / seconds",
            f"{_fmt(_get(m, 'B1', 'events'))} in {_fmt(_get(m, 'B1', 'seconds'))} s",
        ),
        (
            "library raw read",
            f"{_fmt(_get(a, 'library_read', 'events'))} events in "
            f"{_fmt(_get(a, 'library_read', 'seconds'))} s",
        ),
    ]
    for label, text in details:
        print(f"  {label:38s} {text}")
    if r.get("errors"):
        print("\n  errors:")
        for k, v in r["errors"].items():
            print(f"    {k}: {v}")


def _lat(x: Any) -> str:
    if not isinstance(x, dict) or x.get("p50_ms") is None:
        return "-"
    extra = ""
    if x.get("non_2xx"):
        extra = f", {x['non_2xx']} non-2xx"
    if x.get("errors"):
        extra += f", errors {x['errors']}"
    return f"p50 {_fmt(x['p50_ms'])} ms, p99 {_fmt(x['p99_ms'])} ms{extra}"


def _val(x: Any, key: str, unit: str) -> str:
    return f"{_fmt(x[key])} {unit}" if isinstance(x, dict) and key in x else "-"


def _lagline(x: Any) -> str:
    if not isinstance(x, dict):
        return "-"
    samples = f" ({x['samples']} samples)" if "samples" in x else ""
    return (
        f"p50 {_fmt(x.get('p50_ms'))} ms, p99 {_fmt(x.get('p99_ms'))} ms, "
        f"max {_fmt(x.get('max_ms'))} ms{samples}"
    )


# -- main ------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--database-url", default=os.environ.get("NTRACK_BENCH_DATABASE_URL", DEFAULT_URL)
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--duration", type=float, default=10.0, help="seconds per timed phase")
    p.add_argument(
        "--connections",
        type=int,
        default=16,
        help="W1, R1 and hello-world connections; library/raw threads",
    )
    p.add_argument(
        "--batch-connections", type=int, default=0, help="W2 connections (default: 2 per worker)"
    )
    p.add_argument("--m1-statements", type=int, default=100_000)
    p.add_argument(
        "--quick",
        action="store_true",
        help="3 s phases, 20k statements for M1, no informational anchors",
    )
    p.add_argument(
        "--no-wrk",
        action="store_true",
        help="use the Python asyncio load generator even if wrk is installed",
    )
    p.add_argument(
        "--topology",
        choices=TOPOLOGIES,
        default="separate",
        help="projector in its own process (as docker-compose.yml runs it) or "
        "embedded in the API workers",
    )
    p.add_argument(
        "--m1-budget",
        type=float,
        default=90.0,
        help="seconds the M1 top-up may take before it stops (reported incomplete)",
    )
    p.add_argument(
        "--b1-budget",
        type=float,
        default=40.0,
        help="seconds the rebuild may take before it is stopped (rate from progress)",
    )
    p.add_argument(
        "--profile",
        nargs="?",
        const="active",
        choices=("active", "gil"),
        help="py-spy record the workers during W1, R1, L1 and W2: `active` threads "
        "(default) or only the GIL holder (`gil`); numbers are perturbed",
    )
    p.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = p.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 3.0)
        args.m1_statements = min(args.m1_statements, 20_000)
        args.m1_budget = min(args.m1_budget, 60.0)
        args.b1_budget = min(args.b1_budget, 30.0)
    args.batch_connections = args.batch_connections or 2 * args.workers
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)  # uvicorn imports benchmarks.hello / services.* from here
    RESULTS.mkdir(parents=True, exist_ok=True)
    tag = secrets.token_hex(4)
    schema, anchor_schema = f"bench_{tag}", f"bench_{tag}_anchor"
    url, anchor_url = (
        with_schema(args.database_url, schema),
        with_schema(args.database_url, anchor_schema),
    )
    conninfo = conninfo_of(url)
    wrk = load.wrk_version() if not args.no_wrk else None
    use_wrk = wrk is not None
    if args.no_wrk:
        generator = "python-asyncio HTTP/1.1 keep-alive (FALLBACK: --no-wrk)"
    elif use_wrk:
        generator = f"{wrk} (Lua scripts, keep-alive, -t N -c N)"
    else:
        generator = "python-asyncio HTTP/1.1 keep-alive (FALLBACK: wrk unavailable)"
        print(
            "!" * 78 + "\n! wrk is not installed: falling back to the Python asyncio load "
            "generator,\n! which competes with the server for CPU and caps throughput. "
            "Install it:\n!     apt-get install -y wrk\n" + "!" * 78,
            flush=True,
        )
    D, C, W = args.duration, args.connections, args.workers
    r: dict[str, Any] = {
        "meta": {
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "workers": W,
            "connections": C,
            "batch_connections": args.batch_connections,
            "duration_s": D,
            "quick": args.quick,
            "topology": args.topology,
            "profiled": args.profile,
            "m1_budget_s": args.m1_budget,
            "b1_budget_s": args.b1_budget,
            "batch_size": BATCH,
            "m1_target_statements": args.m1_statements,
            "load_generator": generator,
            "schema": schema,
            "anchor_schema": anchor_schema,
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
        "anchors": {},
        "measures": {},
        "profiles": {},
    }
    a, m = r["anchors"], r["measures"]
    logs = RESULTS / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    svc = Service(url, W, logs / "service.log", topology=args.topology)
    began = time.perf_counter()
    say(
        f"schemas {schema}, {anchor_schema}; {W} workers; {C} connections; {D:g} s phases; "
        f"load: {generator}"
    )
    if os.getloadavg()[0] > 0.5 * (os.cpu_count() or 1):
        say(
            "WARNING: the machine is already busy (load average above); other processes "
            "share the CPUs with this run, so absolute numbers and ratios are noisy"
        )
    try:
        # -- anchors ------------------------------------------------------------------------
        say(f"anchor: FastAPI hello-world, uvicorn httptools+uvloop, {W} workers")
        a["hello_world"] = guarded(
            r,
            "hello_world",
            lambda: anchors.hello_world(
                workers=W, connections=C, duration=D, use_wrk=use_wrk, log=logs / "hello.log"
            ),
        )
        if not args.quick:
            say(f"anchor (info): hello-world on plain uvicorn (h11, asyncio), {W} workers")
            a["hello_world_h11"] = guarded(
                r,
                "hello_world_h11",
                lambda: anchors.hello_world(
                    workers=W,
                    connections=C,
                    duration=max(2.0, D / 2),
                    use_wrk=use_wrk,
                    log=logs / "hello-h11.log",
                    http="h11",
                    loop="asyncio",
                ),
            )
        say(f"anchor: raw psycopg INSERT+COMMIT, {C} connections")
        a["raw_insert"] = guarded(
            r,
            "raw_insert",
            lambda: anchors.raw_insert(conninfo, anchor_schema, threads=C, duration=D),
        )
        if not args.quick:
            say("anchor (info): raw psycopg INSERT+COMMIT, 1 connection")
            a["raw_insert_1"] = guarded(
                r,
                "raw_insert_1",
                lambda: anchors.raw_insert(
                    conninfo, anchor_schema, threads=1, duration=max(2.0, D / 2)
                ),
            )
        say(f"anchor: the library as its tutorial writes it, {C} threads, one aggregate each")
        a["library_append"] = guarded(
            r, "library_append", lambda: anchors.library_append(anchor_url, threads=C, duration=D)
        )

        # -- the service --------------------------------------------------------------------
        say(f"starting ntrack serve --workers {W} on {url}")
        svc.start()
        r["meta"]["worker_pids"] = svc.pids
        w1_tracks = svc.open_tracks("w1", C)
        r1_track = svc.open_tracks("r1", 1)[0]
        m1_tracks = svc.open_tracks("m1", M1_TRACKS)
        with svc.client() as c:  # R1 reads a track with 100 statements of every kind
            c.post(
                f"/v1/tracks/{r1_track}/statements:batch",
                json={"statements": [load.statement(k) for k in range(1, 101)]},
            ).raise_for_status()
        wait_caught_up(conninfo, schema, 60)
        m["baseline_rss"] = svc.rss()

        say(f"W1: POST one statement, {C} connections, {D:g} s")
        cpu0 = load.cpu_seconds(svc.pids)
        with (
            load.profiling(svc.pids, "w1", D, RESULTS, args.profile) as files,
            load.sample_connections(svc.port) as spread,
        ):
            w1 = guarded(
                r,
                "W1",
                lambda: load.post_statements(
                    svc.base, w1_tracks, svc.token, connections=C, duration=D, use_wrk=use_wrk
                ),
            )
        m["W1"] = _with_cpu(w1, load.cpu_seconds(svc.pids) - cpu0)
        if m["W1"]:
            m["W1"]["connections_by_worker"] = dict(spread)
        r["profiles"]["W1"] = load.summarize_profile(files) if files else None
        if w1:
            m["W1"]["catch_up"] = wait_caught_up(conninfo, schema, 120)

        say(f"R1: GET /v1/tracks/{{track}}, {C} connections, {D:g} s")
        cpu0 = load.cpu_seconds(svc.pids)
        with (
            load.profiling(svc.pids, "r1", D, RESULTS, args.profile) as files,
            load.sample_connections(svc.port) as spread,
        ):
            r1 = guarded(
                r,
                "R1",
                lambda: load.get_path(
                    svc.base, f"/v1/tracks/{r1_track}", connections=C, duration=D, use_wrk=use_wrk
                ),
            )
        m["R1"] = _with_cpu(r1, load.cpu_seconds(svc.pids) - cpu0)
        if m["R1"]:
            m["R1"]["connections_by_worker"] = dict(spread)
        r["profiles"]["R1"] = load.summarize_profile(files) if files else None

        rate = (w1.rps / 2) if w1 and w1.rps else 50.0
        say(f"L1: projection lag at {rate:.0f} writes/s (half of W1), {D:g} s")
        with load.profiling(svc.pids, "l1", D, RESULTS, args.profile) as files:
            m["L1"] = guarded(
                r,
                "L1",
                lambda: measure_lag(
                    svc, conninfo, schema, w1_tracks, rate=rate, connections=C, duration=D
                ),
            )
        r["profiles"]["L1"] = load.summarize_profile(files) if files else None
        wait_caught_up(conninfo, schema, 120)

        B = args.batch_connections
        say(f"W2: POST batches of {BATCH}, {B} connections over {M1_TRACKS} tracks, {D:g} s")
        cpu0 = load.cpu_seconds(svc.pids)
        with load.profiling(svc.pids, "w2", D, RESULTS, args.profile) as files:
            w2 = guarded(
                r,
                "W2",
                lambda: load.post_statements(
                    svc.base,
                    m1_tracks,
                    svc.token,
                    connections=B,
                    duration=D,
                    batch=BATCH,
                    use_wrk=use_wrk,
                    timeout_s=60,
                ),
            )
        r["profiles"]["W2"] = load.summarize_profile(files) if files else None
        if w2:
            m["W2"] = {
                **(_with_cpu(w2, load.cpu_seconds(svc.pids) - cpu0) or {}),
                "batch": BATCH,
                "statements": w2.ok * BATCH,
                "statements_per_s": round(w2.ok * BATCH / w2.duration_s, 1),
            }

        recorded = w2.ok * BATCH if w2 else 0
        missing = max(0, args.m1_statements - recorded)
        say(f"M1: {recorded:,} statements so far via batches; {missing:,} more, then RSS")
        fill = guarded(
            r,
            "M1_fill",
            lambda: fill_batches(
                svc, m1_tracks, statements=missing, connections=B, budget=args.m1_budget
            ),
        )
        catch_up = wait_caught_up(conninfo, schema, 45)
        time.sleep(1.0)
        total = recorded + (fill or {}).get("statements", 0)
        m["M1"] = {
            "statements": total,
            "complete": total >= args.m1_statements,
            "tracks": M1_TRACKS,
            "fill": fill,
            "catch_up": catch_up,
            **svc.rss(),
        }
        svc.stop()

        say("B1: rebuild the read model from the whole log (service stopped)")
        m["B1"] = guarded(
            r, "B1", lambda: rebuild_phase(svc, url, conninfo, schema, budget=args.b1_budget)
        )
        say("anchor: library raw event read (select_notifications + mapper), whole log")
        a["library_read"] = guarded(r, "library_read", lambda: anchors.library_read(url))
    except KeyboardInterrupt:
        say("interrupted")
        r.setdefault("errors", {})["run"] = "interrupted"
    finally:
        svc.stop()
        for s in (schema, anchor_schema):
            with contextlib.suppress(Exception):
                drop_schema(conninfo, s)
    r["meta"]["elapsed_s"] = round(time.perf_counter() - began, 1)
    r["goals"] = goals(r)
    r["log"] = PHASE_LOG
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(r, indent=2, default=str))
    print_table(r["goals"], r)
    for phase, summary in r["profiles"].items():
        if summary:
            print(f"\n  py-spy {phase}: top self time of {summary['samples']} samples")
            for x in summary["self"][:10]:
                print(f"    {x['pct']:5.1f}%  {x['frame']}")
    say(f"wrote {args.output} ({r['meta']['elapsed_s']} s); schemas dropped")
    return 1 if r.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())
