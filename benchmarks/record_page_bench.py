"""P1: the recording page and its panel on the 2021-22 example (goal: a first page under
200 ms on this machine, issue 15).

    .venv/bin/python -m benchmarks.record_page_bench [--rounds 50] [--database-url URL]

Loads examples/security-guarantees-2021-22.json into a fresh SQLite file (or the given
store), then asks `GET /tracks/{track}/record` (the whole form: the track, its timeline for
the reference selects, the demand board, every track for `also_concerns`) and
`GET /tracks/{track}/record/panel?min_position=...` (what the page fetches after a write)
`--rounds` times each, in process (FastAPI's TestClient: no network, one request at a
time), and prints p50 and p95 in milliseconds. The first request of each (its template
compiled) is timed alone, after one request to the overview `/` has warmed the process
(the first request of a process costs ~0.7 s whatever it asks, the store's and the
templates' start).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import build
from services.scenarios import load_scenario, read_scenario

EXAMPLE = Path(__file__).parent.parent / "examples" / "security-guarantees-2021-22.json"
BROWSER = {"Accept": "text/html"}


def _time(http: TestClient, path: str, rounds: int) -> tuple[float, list[float]]:
    def once() -> float:
        started = time.perf_counter()
        answer = http.get(path, headers=BROWSER)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer.status_code == 200, answer.text
        return elapsed

    first = once()
    return first, sorted(once() for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    settings = Settings(database_url=url, embedded_projector=True)
    data = read_scenario(EXAMPLE)
    tracker = build(settings)
    try:
        load_scenario(tracker.app, data, recorded_by="bench")
        tracker.projector().catch_up()
        position = tracker.app.max_position()
    finally:
        tracker.close()
    slug = data["tracks"][0]["slug"]
    paths = {
        "record page": f"/tracks/{slug}/record",
        "panel": f"/tracks/{slug}/record/panel?min_position={position}",
    }
    with TestClient(create_app(settings)) as http:
        http.get("/", headers=BROWSER)
        for name, path in paths.items():
            first, times = _time(http, path, args.rounds)
            p95 = times[int(len(times) * 0.95) - 1]
            print(
                f"{name:12} first {first:6.1f} ms  p50 {statistics.median(times):6.1f} ms"
                f"  p95 {p95:6.1f} ms  ({args.rounds} rounds)"
            )


if __name__ == "__main__":
    main()
