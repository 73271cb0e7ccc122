"""The anchors every goal is a ratio to, measured in the same run as the service.

- `library_append`: the `eventsourcing` library as a user of it writes an application (its
  tutorial's shape: a minimal aggregate with one `@event` method, get -> call -> save, one
  event per save) from N threads, on its stock PostgreSQL recorder and JSON transcoder, with
  the same statement fields as the payload. Not this project's own application: its CPU per
  save is part of what W1 measures.
  One aggregate per thread: the W1 load gives every connection its own track too, so neither
  side measures version-conflict retries on a shared track, only the append path (the
  PostgreSQL recorder serialises all inserts with a table lock anyway, so one shared track
  would add retries without adding any parallelism).
- `raw_insert`: psycopg INSERT + COMMIT of one event-sized row per transaction, N threads,
  each on its own connection, into a scratch table.
- `hello_world`: benchmarks/hello.py under uvicorn (httptools + uvloop by default) with the
  service's worker count, driven like R1.
- `library_read`: the library's raw event read rate: recorder.select_notifications pages
  decoded by a mapper with the library's own JSON transcoder, over the whole log.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

from benchmarks import load

PAGE = 500
# The library as shipped encodes and decodes with its own json-module transcoder.
LIBRARY_TRANSCODER = {"TRANSCODER_TOPIC": "eventsourcing.persistence:JSONTranscoder"}


def _settings(url: str) -> Any:
    from infra.settings import Settings

    return Settings(database_url=url, embedded_projector=False)


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def _latency(samples: list[float]) -> dict[str, float]:
    ms = [x * 1000 for x in samples]
    return {
        "p50_ms": round(load.percentile(ms, 50), 2),
        "p99_ms": round(load.percentile(ms, 99), 2),
    }


def _run_threads(threads: int, duration: float, body: Any) -> tuple[list[list[float]], float]:
    """Run body(i, stop, latencies) in `threads` threads started together for `duration`."""
    stop = threading.Event()
    barrier = threading.Barrier(threads + 1)
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            body(i, stop, latencies[i])
        except BaseException as e:  # reported after the join
            errors.append(e)
            stop.set()

    workers = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    barrier.wait()
    began = time.perf_counter()
    stop.wait(duration)
    stop.set()
    for w in workers:
        w.join(60)
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return latencies, elapsed


def library_append(url: str, *, threads: int, duration: float) -> dict[str, Any]:
    """Saves/s of the `eventsourcing` library as its tutorial writes an application: a minimal
    aggregate with one `@event` command method, get -> call -> save, one event per save, on
    the library's stock PostgreSQL recorder and JSON transcoder, one aggregate per thread.
    The event carries the same statement fields the API records, so the rows are alike."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event
    from pydantic import TypeAdapter

    from services.api.schemas import StatementIn, statement_fields
    from services.bootstrap import build

    class Negotiation(Aggregate):
        @event("Opened")
        def __init__(self, title: str) -> None:
            self.title = title
            self.statements = 0

        @event("StatementRecorded")
        def record(self, statement: dict[str, Any]) -> None:
            self.statements += 1

    class NegotiationLog(Application[UUID]):
        # The tutorial's snapshotting, at the service's own interval, so a get replays at
        # most 100 events however long the run.
        snapshotting_intervals = {Negotiation: 100}  # noqa: RUF012

        def open(self, title: str) -> UUID:
            negotiation = Negotiation(title)
            self.save(negotiation)
            return negotiation.id

        def record(self, negotiation_id: UUID, statement: dict[str, Any]) -> None:
            negotiation: Negotiation = self.repository.get(negotiation_id)
            negotiation.record(statement)
            self.save(negotiation)

    tracker = build(_settings(url))
    env = {k: v for k, v in tracker.app.library_env.items() if k.startswith("POSTGRES_")}
    app = NegotiationLog({**env, "PERSISTENCE_MODULE": "eventsourcing.postgres"})
    try:
        ids = [app.open(f"Anchor {i}") for i in range(threads)]
        # The statement bodies the API records, validated before the clock starts.
        adapter: TypeAdapter[Any] = TypeAdapter(StatementIn)
        pools = [
            [statement_fields(adapter.validate_python(load.statement(k, i))) for k in range(1, 257)]
            for i in range(threads)
        ]

        def body(i: int, stop: threading.Event, lat: list[float]) -> None:
            k = 0
            while not stop.is_set():
                fields = pools[i][k % len(pools[i])]
                k += 1
                t0 = time.perf_counter()
                app.record(ids[i], fields)
                lat.append(time.perf_counter() - t0)

        cpu0 = time.process_time()
        latencies, elapsed = _run_threads(threads, duration, body)
        cpu = time.process_time() - cpu0
    finally:
        app.close()
        tracker.close()
    flat = [x for per in latencies for x in per]
    return {
        "threads": threads,
        "tracks": threads,
        "saves": len(flat),
        "seconds": round(elapsed, 2),
        "saves_per_s": round(_rate(len(flat), elapsed), 1),
        **_latency(flat),
        "cpu_ms_per_save": round(1000 * cpu / max(len(flat), 1), 3),
    }


def raw_insert(
    conninfo: dict[str, str], schema: str, *, threads: int, duration: float
) -> dict[str, Any]:
    """INSERT one event-sized row + COMMIT, per transaction, `threads` connections."""
    import psycopg

    table = f'"{schema}".raw_insert'
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(
            f"CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, originator_id UUID NOT"
            " NULL, originator_version INTEGER NOT NULL, topic TEXT NOT NULL,"
            " state BYTEA NOT NULL)"
        )
    payload = os.urandom(700)  # about one encoded statement event
    conns = [psycopg.connect(**conninfo) for _ in range(threads)]

    def body(i: int, stop: threading.Event, lat: list[float]) -> None:
        conn = conns[i]
        originator = uuid4()
        version = 0
        while not stop.is_set():
            version += 1
            t0 = time.perf_counter()
            conn.execute(
                f"INSERT INTO {table} (originator_id, originator_version, topic,"
                " state) VALUES (%s, %s, %s, %s)",
                (originator, version, "domain.events:DemandMade", payload),
            )
            conn.commit()
            lat.append(time.perf_counter() - t0)

    try:
        latencies, elapsed = _run_threads(threads, duration, body)
    finally:
        for conn in conns:
            conn.close()
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    flat = [x for per in latencies for x in per]
    return {
        "threads": threads,
        "rows": len(flat),
        "seconds": round(elapsed, 2),
        "rows_per_s": round(_rate(len(flat), elapsed), 1),
        **_latency(flat),
    }


def library_read(url: str) -> dict[str, Any]:
    """Events/s of recorder.select_notifications pages decoded by the mapper, whole log."""
    from services.application import TrackerApp
    from services.bootstrap import build

    tracker = build(_settings(url))
    app = TrackerApp({**tracker.app.library_env, **LIBRARY_TRANSCODER})
    try:
        events = 0
        start = 0
        t0 = time.perf_counter()
        while True:
            page = app.recorder.select_notifications(
                start=start, limit=PAGE, inclusive_of_start=False
            )
            if not page:
                break
            for notification in page:
                app.mapper.to_domain_event(notification)
            events += len(page)
            start = page[-1].id
        elapsed = time.perf_counter() - t0
    finally:
        app.close()
        tracker.close()
    return {
        "events": events,
        "seconds": round(elapsed, 2),
        "page": PAGE,
        "events_per_s": round(_rate(events, elapsed), 1),
    }


def hello_world(
    *,
    workers: int,
    connections: int,
    duration: float,
    use_wrk: bool,
    log: Path,
    http: str = "httptools",
    loop: str = "uvloop",
) -> dict[str, Any]:
    """benchmarks/hello.py under uvicorn with `workers` workers, GET / from `connections`."""
    port = load.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
    proc = load.start(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "benchmarks.hello:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--http",
            http,
            "--loop",
            loop,
            "--log-level",
            "warning",
        ],
        env,
        log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        load.wait_http(base + "/", proc)
        load.wait_workers(proc.pid, workers)
        time.sleep(1.0)  # every worker past its startup
        pids = load.worker_pids(proc.pid)
        cpu0 = load.cpu_seconds(pids)
        with load.sample_connections(port) as spread:
            result = load.get_path(
                base, "/", connections=connections, duration=duration, use_wrk=use_wrk
            )
        cpu = load.cpu_seconds(pids) - cpu0
    finally:
        load.stop(proc)
    return {
        "http": http,
        "loop": loop,
        "workers": workers,
        **result.as_dict(),
        "worker_cpu_ms_per_req": round(1000 * cpu / max(result.requests, 1), 3),
        "connections_by_worker": dict(spread),
    }
