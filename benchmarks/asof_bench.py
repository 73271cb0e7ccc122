"""How long does `as-of` take on a long track? Snapshots (every 100 events, then every
quarter of the version) should keep a middle version close to the last, and the goal is a
10,000-event track close to a 100-event one.

    python benchmarks/asof_bench.py [--database-url postgresql://...?schema=bench] [--runs 7]

Prints, per track length, the median time of `audit.as_of` at the last version and at a
middle version (snapshot 4651 + 348 events on the long track), the time of
the aggregate load alone, and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.settings import Settings
from services import audit
from services.bootstrap import Tracker, build

PARTIES = ["Russia", "United States"]
BATCH = 500


def _statement(n: int, demands: list[str]) -> dict[str, Any]:
    """A mix of types, with responses to earlier demands, so views have work to do."""
    day = f"2022-01-{1 + n % 28:02d}"
    if n % 4 == 3 and demands:
        return {"type": "response", "party": "United States", "occurred_at": day,
                "summary": f"answer {n}", "responds_to": demands[-1],
                "position": ("reject", "counter", "partial")[n % 3]}
    if n % 4 == 2:
        return {"type": "statement", "party": "United States", "occurred_at": day,
                "summary": f"statement {n}", "topics": ["arms-control"]}
    return {"type": "demand", "party": "Russia", "occurred_at": day,
            "summary": f"demand {n}", "red_line": n % 10 == 0}


def make_track(tracker: Tracker, events: int) -> UUID:
    """A track of exactly `events` events: the opening plus `events - 1` statements."""
    track_id = tracker.app.open_track(
        slug=f"bench-{events}-{uuid.uuid4().hex[:8]}", kind="bilateral", title="bench",
        venue=None, parties=PARTIES, opened_at="2022-01-01", recorded_by="bench").track.id
    demands: list[str] = []
    remaining = events - 1
    while remaining:
        count = min(BATCH, remaining)
        base = events - 1 - remaining
        # Statements of one batch may answer demands of earlier batches only.
        batch = [_statement(base + i, demands) for i in range(count)]
        result = tracker.app.record_statements(track_id, batch, recorded_by="bench")
        demands += [sid for sid, s in zip(result.targets, batch, strict=True)
                    if s["type"] == "demand"]
        remaining -= count
    return track_id


def median_ms(run: Callable[[], Any], runs: int) -> float:
    run()  # warm up (imports, connections, topic cache)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        tracker = build(Settings(database_url=url, embedded_projector=False))
        try:
            run(tracker, url, args.runs)
        finally:
            tracker.close()


def measure(tracker: Tracker, track_id: UUID, last: int, middle: int,
            runs: int) -> dict[str, float]:
    app = tracker.app
    return {
        "last": median_ms(lambda: audit.as_of(app, track_id, version=last), runs),
        "middle": median_ms(lambda: audit.as_of(app, track_id, version=middle), runs),
        "load_last": median_ms(lambda: app.get_track(track_id, version=last), runs),
        "load_middle": median_ms(lambda: app.get_track(track_id, version=middle), runs),
        # What snapshots save: the same aggregate replayed from every event.
        "replay_last": median_ms(lambda: replay_all(tracker, track_id, last), 3),
    }


def replay_all(tracker: Tracker, track_id: UUID, version: int) -> Any:
    aggregate = None
    for event in tracker.app.repository.event_store.get(track_id, lte=version):
        aggregate = event.mutate(aggregate)
    return aggregate


def run(tracker: Tracker, url: str, runs: int) -> None:
    print(f"store: {url.split('@')[-1]}  snapshot every {tracker.settings.snapshot_interval}"
          f" events  median of {runs} runs")
    results: dict[int, dict[str, float]] = {}
    for events in (100, 10_000):
        started = time.perf_counter()
        track_id = make_track(tracker, events)
        built = time.perf_counter() - started
        middle = events // 2 - 1  # between snapshots: events to replay after the nearest
        results[events] = measure(tracker, track_id, events, middle, runs)
        r = results[events]
        print(f"{events:>6} events (built in {built:5.1f}s): as-of last {r['last']:8.2f} ms,"
              f" middle (v{middle}) {r['middle']:8.2f} ms, middle/last"
              f" {r['middle'] / r['last']:5.2f}   [aggregate load only: last"
              f" {r['load_last']:7.2f} ms, middle {r['load_middle']:7.2f} ms; last without"
              f" snapshots {r['replay_last']:8.2f} ms]")
    small, large = results[100], results[10_000]
    for key in ("last", "middle"):
        print(f"ratio 10,000 / 100 events, as-of at the {key} version:"
              f" {large[key] / small[key]:6.2f}")


if __name__ == "__main__":
    main()
