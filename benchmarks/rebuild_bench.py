"""How fast is `rebuild` against the library's raw event read (benchmark row B1)?

    python benchmarks/rebuild_bench.py [--database-url postgresql://...?schema=S]
        [--shape load|mixed] [--tracks 20] [--statements 2500] [--small 200] [--runs 3]
        [--refill]

Fills the schema (default: rebuild_bench_<shape> in the local `test` database) once; later
runs reuse it while it holds events, --refill starts over. It gets `--tracks` long tracks of
`--statements` statements, written a batch of 500 at a time in turns, and `--small` tracks
of three statements. `--shape load`: the statements the service benchmarks send (B1's log
holds those: benchmarks/load.py, as the API validates them); `--shape mixed`: demands,
statements and responses to earlier demands. Either way a few corrections and retractions
follow. Then it times the
library's raw read (select_notifications pages of 500 decoded by the library's mapper, as
benchmarks/anchors.py does) and `services.projections.rebuild.rebuild` in-process, `--runs`
times each,
alternated, and prints the best rate of each, their ratio (B1 wants >= 0.3), the same ratio
by this process's CPU seconds, and its peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import load
from benchmarks.anchors import LIBRARY_TRANSCODER
from infra.settings import Settings
from services.application import TrackerApp
from services.bootstrap import Tracker, build
from services.projections import rebuild

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/test?schema=rebuild_bench_{shape}"
BATCH = 500
PAGE = 500  # the anchor's page size


PARTIES = ["Russia", "United States"]


def _statement(n: int, demands: list[str]) -> dict[str, Any]:
    """A mix of types, with responses to earlier demands, so views have work to do."""
    day = f"2022-01-{1 + n % 28:02d}"
    if n % 4 == 3 and demands:
        stance = ("reject", "counter", "partial")[n % 3]
        return {
            "type": "response",
            "party": "United States",
            "occurred_at": day,
            "summary": f"answer {n}",
            "responds_to": demands[-1],
            "position": stance,
        }
    if n % 4 == 2:
        return {
            "type": "statement",
            "party": "United States",
            "occurred_at": day,
            "summary": f"statement {n}",
            "topics": ["arms-control"],
        }
    return {
        "type": "demand",
        "party": "Russia",
        "occurred_at": day,
        "summary": f"demand {n}",
        "red_line": n % 10 == 0,
    }


def _open(tracker: Tracker, label: str) -> UUID:
    return tracker.app.open_track(
        slug=f"{label}-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title=label,
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="bench",
    ).track.id


def _record(tracker: Tracker, track_id: UUID, batch: list[dict[str, Any]]) -> list[str]:
    return tracker.app.record_statements(track_id, batch, recorded_by="bench").targets


def _amend(tracker: Tracker, track_id: UUID, ids: list[str]) -> None:
    """A few corrections and retractions, so the fold has more than recordings to apply."""
    app = tracker.app
    for sid in ids[1::97]:
        app.correct_statement(track_id, sid, {"summary": "corrected"}, "typo", recorded_by="bench")
    for sid in ids[2::211]:
        app.retract_statement(track_id, sid, "duplicate", recorded_by="bench")


def _bodies(shape: str) -> Any:
    """statements(track number, first index, count, demands so far) -> statement fields."""
    if shape == "mixed":
        return lambda _, base, count, demands: [_statement(base + i, demands) for i in range(count)]
    from pydantic import TypeAdapter

    from services.api.schemas import StatementIn, statement_fields

    adapter: TypeAdapter[Any] = TypeAdapter(StatementIn)
    return lambda track, base, count, _: [
        statement_fields(adapter.validate_python(load.statement(base + i, track)))
        for i in range(count)
    ]


def fill(tracker: Tracker, shape: str, tracks: int, statements: int, small: int) -> None:
    """Long tracks written a batch at a time, in turns, so their events interleave."""
    bodies = _bodies(shape)
    long_ids = [_open(tracker, f"long-{i}") for i in range(tracks)]
    demands: dict[UUID, list[str]] = {t: [] for t in long_ids}
    recorded: dict[UUID, list[str]] = {t: [] for t in long_ids}
    for base in range(0, statements, BATCH):
        count = min(BATCH, statements - base)
        for n, track_id in enumerate(long_ids):
            batch = bodies(n, base, count, demands[track_id])
            ids = _record(tracker, track_id, batch)
            demands[track_id] += [
                s for s, b in zip(ids, batch, strict=True) if b["type"] == "demand"
            ]
            recorded[track_id] += ids
        print(f"  filled {base + count}/{statements} statements per long track", flush=True)
    for track_id in long_ids:
        _amend(tracker, track_id, recorded[track_id])
    for i in range(small):
        track_id = _open(tracker, f"small-{i}")
        _record(tracker, track_id, bodies(tracks + i, 0, 3, []))


def raw_read(tracker: Tracker) -> tuple[int, float, float]:
    """The anchor: every notification, paged, decoded by the library as shipped (its own
    JSON transcoder, see benchmarks/anchors.py); (events, seconds, CPU seconds)."""
    app = TrackerApp({**tracker.app.library_env, **LIBRARY_TRANSCODER})
    try:
        return _read_all(app)
    finally:
        app.close()


def _read_all(app: TrackerApp) -> tuple[int, float, float]:
    events, start = 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    while page := app.recorder.select_notifications(
        start=start, limit=PAGE, inclusive_of_start=False
    ):
        for notification in page:
            app.mapper.to_domain_event(notification)
        events += len(page)
        start = page[-1].id
    return events, time.perf_counter() - t0, time.process_time() - c0


def timed_rebuild(tracker: Tracker) -> tuple[int, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    result = rebuild.rebuild(tracker)
    return result["events_applied"], time.perf_counter() - t0, time.process_time() - c0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help=f"default: {DEFAULT_URL}")
    parser.add_argument("--shape", choices=("load", "mixed"), default="load")
    parser.add_argument("--tracks", type=int, default=20)
    parser.add_argument("--statements", type=int, default=2500)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="raw reads and rebuilds to time, alternated (the best of each)",
    )
    parser.add_argument("--refill", action="store_true", help="drop the schema's data first")
    args = parser.parse_args()
    args.database_url = args.database_url or DEFAULT_URL.format(shape=args.shape)
    tracker = build(Settings(database_url=args.database_url, embedded_projector=False))
    try:
        if args.refill and tracker.app.max_position():
            tracker.close()
            _drop_schema(args.database_url)
            tracker = build(Settings(database_url=args.database_url, embedded_projector=False))
        if not tracker.app.max_position():
            t0 = time.perf_counter()
            fill(tracker, args.shape, args.tracks, args.statements, args.small)
            print(f"filled {tracker.app.max_position()} events in {time.perf_counter() - t0:.1f} s")
        # Alternated, best of each: on a shared machine the best run is the least disturbed.
        # CPU seconds are this process's only (not the database's), and vary less.
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.runs):
            for label, run in (("raw read", raw_read), ("rebuild", timed_rebuild)):
                events, seconds, cpu = run(tracker)
                print(
                    f"{label + ':':9} {events} events in {seconds:.2f} s (CPU {cpu:.2f} s) ="
                    f" {events / seconds:,.0f} events/s"
                )
                rate, cpu_rate = best.get(label, (0.0, 0.0))
                best[label] = (max(rate, events / seconds), max(cpu_rate, events / cpu))
        (read, read_cpu), (built, built_cpu) = best["raw read"], best["rebuild"]
        print(
            f"best: raw read {read:,.0f} events/s, rebuild {built:,.0f} events/s,"
            f" ratio {built / read:.3f} (B1 wants >= 0.3); by CPU seconds"
            f" {built_cpu / read_cpu:.3f}; peak RSS {_peak_rss_mb():.0f} MB"
        )
    finally:
        tracker.close()


def _drop_schema(url: str) -> None:
    import psycopg

    from infra.stores import parse_database_url

    config = parse_database_url(url)
    if config.kind != "postgres":
        raise SystemExit("--refill works on PostgreSQL only; delete the SQLite file instead")
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{config.pg_schema}" CASCADE')


if __name__ == "__main__":
    main()
