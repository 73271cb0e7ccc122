"""Read-your-write lag under a steady write rate (issue "Production topology", goal: p99 <= 100
ms at 200 writes/s on a 2-core machine).

    .venv/bin/python -m benchmarks.lag_bench [--rate 200] [--duration 20] [--workers 2] \\
        [--topology separate|embedded] [--tracks 20] [--connections 16] \\
        [--database-url postgresql://postgres@127.0.0.1:5432/test]

Starts the service on a fresh PostgreSQL schema (dropped afterwards): `separate` (the
default, as docker-compose.yml runs it) is `ntrack serve --workers N` with
NTRACK_EMBEDDED_PROJECTOR=false plus one `ntrack project`; `embedded` runs the projector
inside the API workers. Then it writes at the given rate over several tracks and prints the
p50/p99 time from each 201 to the statement being visible (see benchmarks/lag.py for how),
CPU per write, and writes the numbers to benchmarks/results/lag.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.lag import measure_lag  # noqa: E402
from benchmarks.run import conninfo_of, drop_schema, wait_caught_up, with_schema  # noqa: E402
from benchmarks.service import TOPOLOGIES, Service  # noqa: E402


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--rate", type=float, default=200.0, help="writes per second")
    p.add_argument("--duration", type=float, default=20.0, help="seconds of writing")
    p.add_argument("--tracks", type=int, default=20, help="tracks the writes are spread over")
    p.add_argument("--topology", choices=TOPOLOGIES, default="separate")
    p.add_argument("--workers", type=int, default=2, help="ntrack serve --workers")
    p.add_argument("--connections", type=int, default=16, help="keep-alive connections")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "lag.json")
    return p.parse_args()


def main() -> None:
    args = parse_args()
    os.chdir(ROOT)
    schema = f"bench_lag_{secrets.token_hex(4)}"
    url = with_schema(args.database_url, schema)
    conninfo = conninfo_of(url)
    load_before = os.getloadavg()[0]
    svc = Service(
        url,
        args.workers,
        ROOT / "benchmarks" / "results" / "logs" / "lag-serve.log",
        topology=args.topology,
    )
    try:
        svc.start()
        tracks = svc.open_tracks("lag", args.tracks)
        wait_caught_up(conninfo, schema, 30)
        result = measure_lag(
            svc,
            conninfo,
            schema,
            tracks,
            rate=args.rate,
            connections=args.connections,
            duration=args.duration,
        )
    finally:
        svc.stop()
        with contextlib.suppress(Exception):
            drop_schema(conninfo, schema)
    result.update(
        workers=args.workers,
        duration_s=args.duration,
        tracks=args.tracks,
        load_average_1m={"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    g, d = result["via_get"], result["via_db_position"]
    print(
        f"topology {args.topology}, {args.workers} API workers; {result['writes']} writes "
        f"acknowledged at {result['achieved_rate']}/s (target {args.rate:g}/s); "
        f"non-2xx {result['non_2xx']}"
    )
    print(
        f"lag via GET ({g['samples']} sampled writes): p50 {g['p50_ms']} ms, "
        f"p99 {g['p99_ms']} ms, max {g['max_ms']} ms"
    )
    print(
        f"lag via DB position (all {d['samples']} writes): p50 {d['p50_ms']} ms, "
        f"p99 {d['p99_ms']} ms, max {d['max_ms']} ms"
    )
    print(f"write latency: p50 {result['write_p50_ms']} ms, p99 {result['write_p99_ms']} ms")
    print(f"CPU ms per write: {result['cpu_ms_per_write']}; load average before {load_before:.1f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
