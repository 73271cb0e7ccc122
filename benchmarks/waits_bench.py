"""What waiting costs an API process: reads waiting for `min_position`, and idle SSE streams.

    .venv/bin/python -m benchmarks.waits_bench --database-url URL [--waiters 500]
        [--streams 200] [--idle 10] [--source DIR]

Runs `ntrack serve --workers 1` on a fresh PostgreSQL schema (dropped at the end) with no
projector at all, so the read model stays behind the log, then:

- W: `--waiters` concurrent `GET /v1/tracks/{track}?min_position=P` for a written, never
  projected position P; while they wait, `/healthz` is asked 10 times in a row. Prints the
  probes' latencies, how long the slowest wait took (the wait allowed is 5 s) and the answers.
- S: `--streams` SSE streams open on `/v1/events/stream` and idle for `--idle` seconds.
  Prints the worker's CPU seconds over that time, and over as long without streams.

`--source DIR` serves another checkout's code, for a before/after on the same machine state:
`git archive main | tar -x -C /tmp/before` then `--source /tmp/before`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import selectors
import socket
import statistics
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from benchmarks import load
from benchmarks.run import DEFAULT_URL, conninfo_of, drop_schema, with_schema
from benchmarks.service import ntrack_command

LOGS = Path(__file__).resolve().parent / "results" / "logs"
PROBES = 10


def waiting_reads(base: str, port: int, path: str, waiters: int) -> dict[str, Any]:
    """The reads go out on plain sockets, each timed from its send to its answer by a thread
    that only waits in `select`, so neither the client's own work nor the probes (from this
    thread) add to what is measured."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
    sent: dict[socket.socket, float] = {}
    for _ in range(waiters):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(request)
        sent[sock] = time.perf_counter()
    answered: dict[socket.socket, tuple[float, bytes]] = {}
    reader = threading.Thread(target=_collect, args=(sent, answered))
    reader.start()
    time.sleep(1.0)  # let every read reach the server before probing
    probes = []
    with httpx.Client(base_url=base, timeout=120) as prober:
        for _ in range(PROBES):
            started = time.perf_counter()
            assert prober.get("/healthz").status_code == 200
            probes.append((time.perf_counter() - started) * 1000)
    pending = waiters - len(answered)
    reader.join()
    waits = [done - sent[sock] for sock, (done, _) in answered.items()]
    statuses = Counter(head.split(b" ", 2)[1].decode() for _, head in answered.values())
    return {
        "healthz_ms_median": round(statistics.median(probes), 1),
        "healthz_ms_max": round(max(probes), 1),
        "reads_pending_after_probes": pending,
        "shortest_wait_s": round(min(waits), 2),
        "longest_wait_s": round(max(waits), 2),
        "statuses": dict(statuses),
    }


def _collect(
    sent: dict[socket.socket, float], answered: dict[socket.socket, tuple[float, bytes]]
) -> None:
    """Each socket's time of its first answer bytes and its status line."""
    with selectors.DefaultSelector() as selector:
        for sock in sent:
            selector.register(sock, selectors.EVENT_READ)
        while len(answered) < len(sent):
            for key, _ in selector.select(timeout=60):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                answered[sock] = (time.perf_counter(), sock.recv(64))
                selector.unregister(sock)
                sock.close()


async def idle_streams(
    base: str, secret: str, streams: int, idle: float, pids: list[int]
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=streams + 10)
    headers = {"Authorization": f"Bearer {secret}"}
    quiet0 = load.cpu_seconds(pids)
    await asyncio.sleep(idle)
    quiet = load.cpu_seconds(pids) - quiet0
    async with httpx.AsyncClient(
        base_url=base, timeout=None, limits=limits, headers=headers
    ) as client:
        opened: list[Any] = []
        statuses: Counter[int] = Counter()
        for _ in range(streams):
            context = client.stream("GET", "/v1/events/stream")
            response = await context.__aenter__()
            statuses[response.status_code] += 1
            opened.append(context)
        await asyncio.sleep(1.0)  # past the streams' first reads
        cpu0 = load.cpu_seconds(pids)
        await asyncio.sleep(idle)
        busy = load.cpu_seconds(pids) - cpu0
        for context in opened:
            await context.__aexit__(None, None, None)
    return {
        "streams": dict(statuses),
        "cpu_s_idle_streams": round(busy, 2),
        "cpu_s_no_streams": round(quiet, 2),
        "seconds": idle,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--database-url", default=DEFAULT_URL)
    p.add_argument("--waiters", type=int, default=500)
    p.add_argument("--streams", type=int, default=200)
    p.add_argument("--idle", type=float, default=10.0)
    p.add_argument("--source", type=Path, default=None)
    args = p.parse_args()

    schema = f"bench_{secrets.token_hex(4)}"
    url = with_schema(args.database_url, schema)
    conninfo = conninfo_of(args.database_url)
    recorder, auditor = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    port = load.free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
    env |= {
        "NTRACK_DATABASE_URL": url,
        "NTRACK_API_TOKENS": f"bench:recorder:{recorder},watch:auditor:{auditor}",
        "NTRACK_LOG_LEVEL": "WARNING",
        "NTRACK_EMBEDDED_PROJECTOR": "false",  # and no `ntrack project`: nothing projects
        "NTRACK_MAX_STREAMS_PER_PRINCIPAL": str(args.streams),  # one principal opens them all
    }
    command = [*ntrack_command(args.source), "serve", "--host", "127.0.0.1", "--port", str(port)]
    serve = load.start([*command, "--workers", "1"], env, LOGS / "waits-serve.log")
    try:
        load.wait_http(base + "/healthz", serve, timeout=90)
        pids = [serve.pid, *load.children(serve.pid)]
        with httpx.Client(base_url=base, timeout=60) as c:
            answer = c.post(
                "/v1/tracks",
                headers={"Authorization": f"Bearer {recorder}"},
                json={"kind": "bilateral", "title": "Waits", "slug": "waits", "parties": ["A"]},
            )
            answer.raise_for_status()
            position = answer.json()["position"]
        path = f"/v1/tracks/waits?min_position={position}"
        waits = waiting_reads(base, port, path, args.waiters)
        print(f"W {args.waiters} waiting reads: {waits}", flush=True)
        print(
            f"S {args.streams} idle streams:",
            asyncio.run(idle_streams(base, auditor, args.streams, args.idle, pids)),
        )
    finally:
        load.stop(serve)
        drop_schema(conninfo, schema)


if __name__ == "__main__":
    main()
