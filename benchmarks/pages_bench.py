"""P1: time to first byte of every page on the 2021-22 examples (goal: a first page under
200 ms on this machine).

    .venv/bin/python -m benchmarks.pages_bench [--database-url URL] [--requests 200]

Loads both shipped examples into a fresh store (a temporary SQLite file
by default; a PostgreSQL URL gets a fresh schema, dropped at the end), serves the app with
uvicorn in this process, and GETs each page one request at a time as a browser would
(`Accept: text/html`): prints, per page, the median and the 99th percentile of the time to
the first byte of the body and of the whole answer, in milliseconds. The first request of
each page is a warm-up and not counted (the first request of a process costs ~0.7 s, whatever
it asks: the store's and the templates' start). `GET /v1/statements?q=NATO` is the anchor: the
same search as JSON. Nothing here is a test: no timed assertions.
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from benchmarks.run import conninfo_of, drop_schema, with_schema
from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import build
from services.scenarios import load_scenario, read_scenario

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FIRST = EXAMPLES / "security-guarantees-2021-22.json"
CALL = EXAMPLES / "putin-biden-call-2021-12-30.json"
AUDITOR = "bench:auditor:bench-secret"
PAGES = [
    ("/", {}),
    ("/?on=2021-12-29", {}),
    ("/tracks/us-russia-ssd", {}),
    ("/tracks/us-russia-ssd?on=2021-12-29", {}),
    ("/tracks/us-russia-ssd (auditor: verify)", {"Authorization": "Bearer bench-secret"}),
    ("/tracks/us-russia-ssd?version=12 (auditor)", {"Authorization": "Bearer bench-secret"}),
    ("/search?q=NATO", {}),
    ("/search?q=NATO&type=demand&since=2021-12", {}),
    ("STATEMENT (a statement's page)", {}),
    ("/tracks/us-russia-ssd/record", {}),
    ("/v1/statements?q=NATO (anchor: JSON)", {}),
]


def loaded(url: str) -> Settings:
    settings = Settings(database_url=url, api_tokens=AUDITOR)
    tracker = build(settings)
    try:
        for example in (FIRST, CALL):
            load_scenario(tracker.app, read_scenario(example), recorded_by="bench")
        tracker.projector().catch_up()
    finally:
        tracker.close()
    return settings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(http: httpx.Client, path: str, headers: dict[str, str], n: int) -> dict[str, float]:
    first_byte, whole = [], []
    for i in range(n + 1):
        start = time.perf_counter()
        with http.stream("GET", path, headers={"Accept": "text/html", **headers}) as answer:
            chunks = answer.iter_raw()
            next(chunks)
            got_first = time.perf_counter()
            for _ in chunks:
                pass
            assert answer.status_code == 200, (path, answer.status_code)
        if i:  # the first is a warm-up
            first_byte.append((got_first - start) * 1000)
            whole.append((time.perf_counter() - start) * 1000)
    return {
        "ttfb_p50": statistics.median(first_byte),
        "ttfb_p99": percentile(first_byte, 99),
        "whole_p50": statistics.median(whole),
        "whole_p99": percentile(whole, 99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL (default: SQLite)")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        schema = None
        if args.database_url:
            schema = f"bench_{secrets.token_hex(4)}"
            url = with_schema(args.database_url, schema)
        else:
            url = f"sqlite:///{folder}/ntrack.sqlite3"
        try:
            run(loaded(url), args.requests)
        finally:
            if schema is not None:
                drop_schema(conninfo_of(args.database_url), schema)


def run(settings: Settings, n: int) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            store = settings.database_url.split(":")[0]
            load = os.getloadavg()[0]
            print(f"{store}, {n} requests per page, ms (load average {load:.1f})")
            print(f"{'page':48} {'ttfb p50':>9} {'ttfb p99':>9} {'all p50':>8} {'all p99':>8}")
            found = http.get("/v1/statements", params={"q": "NATO"}).json()["items"][0]
            statement = f"/tracks/{found['track_slug']}/statements/{found['id']}"
            for label, headers in PAGES:
                path = label.split(" ")[0].replace("STATEMENT", statement)
                r = measure(http, path, headers, n)
                label = label.replace("STATEMENT", "/tracks/…/statements/{id}")
                print(
                    f"{label:48} {r['ttfb_p50']:9.1f} {r['ttfb_p99']:9.1f}"
                    f" {r['whole_p50']:8.1f} {r['whole_p99']:8.1f}"
                )
    finally:
        server.should_exit = True
        thread.join(timeout=30)


if __name__ == "__main__":
    main()
