"""Read-your-write lag: the time from a 201 to the statement being visible in the read API.

Open-loop POSTs at a steady rate (a light asyncio HTTP/1.1 client, so the measurement does
not eat the CPU it measures). Two views of the same lag:

- via GET (the official number): every LAG_SAMPLE_EVERY-th acknowledged write is polled with
  `GET /v1/tracks/{track}/statements/{id}` (no `min_position`) every LAG_POLL_SECONDS until it
  answers 200; lag = that moment - the 201.
- via the database (all writes): a thread polls the read model's tracking position every
  millisecond; lag = the moment it first reached the write's `position` - the 201.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import orjson

from benchmarks import load
from benchmarks.service import Service

PROJECTION = "track_views"
LAG_SAMPLE_EVERY = 10
LAG_POLL_SECONDS = 0.003
METHOD = (
    f"benchmarks.lag (open-loop writes; every {LAG_SAMPLE_EVERY}th write GET-polled "
    f"every {LAG_POLL_SECONDS * 1000:g} ms; all writes against the DB tracking position)"
)


def _summary(values_ms: list[float]) -> dict[str, Any]:
    return {
        "samples": len(values_ms),
        "p50_ms": round(load.percentile(values_ms, 50), 1),
        "p90_ms": round(load.percentile(values_ms, 90), 1),
        "p99_ms": round(load.percentile(values_ms, 99), 1),
        "max_ms": round(max(values_ms, default=float("nan")), 1),
    }


def _poll_positions(
    conninfo: dict[str, str], schema: str, stop: threading.Event, seen: list[tuple[float, int]]
) -> None:
    import psycopg

    with psycopg.connect(**conninfo, autocommit=True) as conn:
        last = -1
        sql = f'SELECT position FROM "{schema}".rm_tracking WHERE projection=%s'
        while not stop.is_set():
            row = conn.execute(sql, (PROJECTION,)).fetchone()
            now = time.perf_counter()
            if row and int(row[0]) != last:
                last = int(row[0])
                seen.append((now, last))
            time.sleep(0.001)


def _db_lags(writes: list[tuple[float, int]], seen: list[tuple[float, int]]) -> list[float]:
    """For each (201 time, position), when the tracking position first reached it."""
    lags, j = [], 0
    for t, position in sorted(writes, key=lambda w: w[1]):
        while j < len(seen) and seen[j][1] < position:
            j += 1
        if j < len(seen):
            lags.append(max(0.0, seen[j][0] - t))
    return lags


def measure_lag(
    svc: Service,
    conninfo: dict[str, str],
    schema: str,
    tracks: list[str],
    *,
    rate: float,
    connections: int,
    duration: float,
) -> dict[str, Any]:
    writes: list[tuple[float, int]] = []
    get_lags: list[float] = []
    seen: list[tuple[float, int]] = []  # (time first seen, position), increasing
    stop = threading.Event()
    poller = threading.Thread(
        target=_poll_positions, args=(conninfo, schema, stop, seen), daemon=True
    )
    poller.start()
    host, port = "127.0.0.1", svc.port
    headers = {"Authorization": f"Bearer {svc.token}"}

    async def main() -> load.LoadResult:
        polls: list[asyncio.Task[None]] = []
        count = 0

        async def verify(path: str, t201: float) -> None:
            conn = load.HttpConnection(host, port, headers)
            try:
                while time.perf_counter() - t201 < 10:
                    status, _ = await conn.request("GET", path)
                    if status == 200:
                        get_lags.append(time.perf_counter() - t201)
                        return
                    await asyncio.sleep(LAG_POLL_SECONDS)
            finally:
                conn.close()

        def on_response(i: int, t: float, status: int, body: bytes, path: str) -> None:
            nonlocal count
            if status != 201:
                return
            data = orjson.loads(body)
            writes.append((t, int(data["position"])))
            count += 1
            if count % LAG_SAMPLE_EVERY == 0:
                polls.append(
                    asyncio.get_running_loop().create_task(verify(f"{path}/{data['id']}", t))
                )

        def make(i: int, n: int) -> tuple[str, str, bytes | None]:
            mine = load.own_tracks(tracks, connections, i)
            k = 1_000_000 + n  # not the W1 bodies again
            return (
                "POST",
                f"/v1/tracks/{mine[n % len(mine)]}/statements",
                orjson.dumps(load.statement(k, i)),
            )

        result = await load._python_load(
            host,
            port,
            make,
            connections=connections,
            duration=duration,
            headers=headers,
            rate=rate,
            on_response=on_response,
            max_requests=None,
        )
        await asyncio.gather(*polls)
        latencies, counts, first_error, elapsed = result
        ms = [x * 1000 for x in latencies]
        return load.LoadResult(
            tool="python-asyncio open loop",
            connections=connections,
            duration_s=elapsed,
            requests=counts["ok"] + counts["non_2xx"],
            ok=counts["ok"],
            p50_ms=load.percentile(ms, 50),
            p90_ms=load.percentile(ms, 90),
            p99_ms=load.percentile(ms, 99),
            max_ms=max(ms, default=float("nan")),
            non_2xx=counts["non_2xx"],
            first_error=first_error,
        )

    cpu_pids = svc.pids + svc.projector_pids
    cpu0 = {pid: load.cpu_seconds([pid]) for pid in cpu_pids}
    try:
        import uvloop

        writer = uvloop.run(main())
    except ImportError:
        writer = asyncio.run(main())
    cpu = {pid: load.cpu_seconds([pid]) - cpu0[pid] for pid in cpu_pids}
    time.sleep(1.0)  # let the last writes show up in the database poll
    stop.set()
    poller.join(10)
    get_ms = [x * 1000 for x in get_lags]
    per_write = 1000 / max(writer.ok, 1)
    via_get = _summary(get_ms)
    return {
        "method": METHOD,
        "topology": svc.topology,
        "p50_ms": via_get["p50_ms"],
        "p99_ms": via_get["p99_ms"],
        "target_rate": round(rate, 1),
        "achieved_rate": round(writer.rps, 1),
        "writes": writer.ok,
        "write_p50_ms": round(writer.p50_ms, 2),
        "write_p99_ms": round(writer.p99_ms, 2),
        "non_2xx": writer.non_2xx,
        "first_error": writer.first_error,
        "via_get": via_get,
        "via_db_position": _summary([x * 1000 for x in _db_lags(writes, seen)]),
        "cpu_ms_per_write": {
            "api_workers": round(sum(cpu[p] for p in svc.pids) * per_write, 2),
            "projector": round(sum(cpu[p] for p in svc.projector_pids) * per_write, 2),
        },
    }
