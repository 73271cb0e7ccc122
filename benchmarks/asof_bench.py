"""How long does `as-of` take on a long track? The goal (issue 3): a 10,000-event track
costs at most 5× a 100-event one. View checkpoints (`services.checkpoints`) make the cost
follow the size of the answer and the events since the last checkpoint, not the history.

    python benchmarks/asof_bench.py [--database-url postgresql://...?schema=bench] [--runs 7]
                                    [--shape negotiation|unanswered]

Shapes of the tracks built:
- `negotiation` (the goal's measure): a mix like the 2021-22 scenario's, written in batches of
  20 as statements come in. Demands and proposals get answered by the other side a batch or
  two later, sanction warnings are sometimes withdrawn, meetings are scheduled and held, and
  every 50 statements one earlier statement is corrected and one retracted (so as-of also
  meets events naming statements from long before its checkpoint).
- `unanswered`: every demand stays open, so the current-state document itself grows with
  the track (5,000 open demands at 10,000 events): as-of costs follow the answer's size.

The tracks are written through the application, then the projector (which writes the view
checkpoints, as in the service) catches up. Prints, per track length, the median time of
`audit.as_of` at the last version, at a middle version (a checkpoint plus 99 events on the
long track) and the slowest of the hundred versions up to the middle one (each the median
of 3), the time of the whole
view folded from the first event (as-of's path without checkpoints), the size of
the answer, and the ratios.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from domain.document import TrackView
from infra.settings import Settings
from services import audit
from services.bootstrap import Tracker, build

RU, US = "Russia", "United States"
PARTIES = [RU, US]
BATCH = {"negotiation": 20, "unanswered": 500, "single": 1}
POSITIONS = ("reject", "counter", "partial", "accept", "noncommittal")
# One cycle of the negotiation shape; "answer" and "withdraw" name an earlier statement.
CYCLE = (
    "demand",
    "statement",
    "proposal",
    "answer",
    "sanction_warning",
    "meeting_scheduled",
    "answer",
    "demand",
    "warning",
    "meeting_held",
    "answer",
    "concession",
    "withdraw",
    "demand",
    "answer",
    "agreement",
    "answer",
    "answer",
    "proposal",
    "answer",
)


def _fields(kind: str, party: str, n: int) -> dict[str, Any]:
    day = f"2022-{1 + n // 28 % 12:02d}-{1 + n % 28:02d}"
    fields: dict[str, Any] = {
        "type": kind,
        "party": party,
        "occurred_at": day,
        "summary": f"{kind.replace('_', ' ')} {n}: the parties set out their positions on "
        "security guarantees in Europe",
        "source": {"publisher": "Ministry of Foreign Affairs", "url": f"https://example.org/{n}"},
        "topics": ["security-guarantees", "nato-enlargement"][: 1 + n % 2],
    }
    if kind == "demand":
        fields["red_line"] = n % 10 == 0
    if kind == "sanction_warning":
        fields["target"] = RU
    if kind == "warning":
        fields["category"] = "military"
    if kind in ("meeting_scheduled", "meeting_held"):
        fields["location"] = "Geneva"
    if kind == "meeting_scheduled":
        fields["meeting_at"] = f"2022-{1 + (n // 28 + 1) % 12:02d}-{1 + n % 28:02d}"
    return fields


class Negotiation:
    """Statements of the `negotiation` shape; answers name statements of earlier batches."""

    def __init__(self) -> None:
        self.unanswered: deque[tuple[str, str]] = deque()  # (id, author) of demands, proposals
        self.warnings: deque[str] = deque()
        self.recorded: list[str] = []  # live statements, to correct
        self.retractable: list[str] = []  # live statements nothing refers to
        self.n = 0

    def batch(self, count: int) -> tuple[list[dict[str, Any]], list[str | None]]:
        statements, kinds = [], []
        for _ in range(count):
            kind = CYCLE[self.n % len(CYCLE)]
            party = (RU, US)[self.n // 2 % 2]
            if kind == "answer" and self.unanswered:
                target, author = self.unanswered.popleft()
                other = US if author == RU else RU
                fields = {
                    **_fields("response", other, self.n),
                    "responds_to": target,
                    "position": POSITIONS[self.n % len(POSITIONS)],
                }
                if fields["position"] == "noncommittal":  # still open: answered again later
                    self.unanswered.append((target, author))
            elif kind == "withdraw" and self.warnings:
                fields = {**_fields("withdrawal", US, self.n), "withdraws": self.warnings.popleft()}
            elif kind in ("answer", "withdraw"):
                fields = _fields("statement", party, self.n)
            else:
                party = US if kind == "sanction_warning" else party
                fields = _fields(kind, party, self.n)
            statements.append(fields)
            kinds.append(fields["type"])
            self.n += 1
        return statements, kinds

    def recorded_ids(self, ids: list[str], statements: list[dict[str, Any]]) -> None:
        for statement_id, fields in zip(ids, statements, strict=True):
            self.recorded.append(statement_id)
            if fields["type"] in ("statement", "warning", "agreement", "meeting_held"):
                self.retractable.append(statement_id)
            if fields["type"] in ("demand", "proposal"):
                self.unanswered.append((statement_id, fields["party"]))
            elif fields["type"] == "sanction_warning":
                self.warnings.append(statement_id)


def make_track(tracker: Tracker, events: int, shape: str) -> UUID:
    """A track of exactly `events` events: the opening plus statements, corrections and
    retractions."""
    app = tracker.app
    track_id = app.open_track(
        slug=f"bench-{events}-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title="bench",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="bench",
    ).track.id
    source = Negotiation()
    version = 1
    for round_number in itertools.count():
        if version >= events:
            return track_id
        rounds_per_fix = 3 * 20 // BATCH[shape]  # every 60 statements or so
        if (
            shape != "unanswered"
            and round_number % rounds_per_fix == 2
            and len(source.retractable) > 50
        ):
            # one earlier statement corrected, one retracted (rarely among the newest)
            old = source.recorded[(round_number * 37) % len(source.recorded)]
            app.correct_statement(
                track_id, old, {"summary": "corrected wording"}, "typo", recorded_by="bench"
            )
            version += 1
            if version < events:
                victim = source.retractable.pop((round_number * 53) % len(source.retractable))
                source.recorded.remove(victim)
                app.retract_statement(track_id, victim, "recorded in error", recorded_by="bench")
                version += 1
            continue
        count = min(BATCH[shape], events - version)
        if shape == "unanswered":
            statements = [
                _fields("demand" if n % 2 else "statement", RU, n)
                for n in range(version, version + count)
            ]
        else:
            statements, _ = source.batch(count)
        result = app.record_statements(track_id, statements, recorded_by="bench")
        source.recorded_ids(result.targets, statements)
        version += count
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
    parser.add_argument("--shape", choices=sorted(BATCH), default="negotiation")
    parser.add_argument(
        "--checkpoint-interval",
        type=int,
        default=100,
        help="0: no checkpoints, as-of folds from the first event",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        tracker = build(
            Settings(
                database_url=url,
                embedded_projector=False,
                checkpoint_interval=args.checkpoint_interval,
            )
        )
        try:
            run(tracker, url, args.runs, args.shape)
        finally:
            tracker.close()


def measure(
    tracker: Tracker, track_id: UUID, last: int, middle: int, runs: int
) -> dict[str, float]:
    app = tracker.app
    return {
        "last": median_ms(lambda: audit.as_of(app, track_id, version=last), runs),
        "middle": median_ms(lambda: audit.as_of(app, track_id, version=middle), runs),
        # The whole view folded from the first event: as-of without a view checkpoint, and
        # `replay`'s path (it lists every statement).
        "whole_last": median_ms(lambda: whole(app, track_id, last), runs),
        "whole_middle": median_ms(lambda: whole(app, track_id, middle), runs),
        # Every version of the last hundred before `middle`, each the median of 3: the
        # slowest of them, whatever the distance from a checkpoint.
        "slowest": max(
            median_ms(lambda v=v: audit.as_of(app, track_id, version=v), 3)
            for v in range(max(1, middle - 99), middle + 1)
        ),
    }


def whole(app: Any, track_id: UUID, version: int) -> TrackView | None:
    return TrackView.fold(app.events.get(track_id, lte=version))


def run(tracker: Tracker, url: str, runs: int, shape: str) -> None:
    print(
        f"store: {url.split('@')[-1]}  shape: {shape}  view checkpoint every"
        f" {tracker.settings.checkpoint_interval} versions  median of {runs} runs"
    )
    results: dict[int, dict[str, float]] = {}
    projector = tracker.projector()  # what writes the checkpoints, as in the service
    for events in (100, 10_000):
        started = time.perf_counter()
        track_id = make_track(tracker, events, shape)
        built = time.perf_counter() - started
        started = time.process_time()
        projector.catch_up()
        projected = time.process_time() - started
        middle = events // 2 - 1  # the most events after a checkpoint: 99 on the long track
        results[events] = r = measure(tracker, track_id, events, middle, runs)
        answer = audit.as_of(tracker.app, track_id, version=events)
        print(
            f"{events:>6} events (built in {built:5.1f}s, projected and checkpointed in"
            f" {projected:5.1f}s of CPU; open demands"
            f" {len(answer['open_demands']):>4}): as-of last {r['last']:7.2f} ms, middle"
            f" (v{middle}) {r['middle']:7.2f} ms, slowest of v{max(1, middle - 99)}-v{middle}"
            f" {r['slowest']:7.2f} ms   [whole view from the first event: last"
            f" {r['whole_last']:7.2f} ms, middle {r['whole_middle']:7.2f} ms]"
        )
    small, large = results[100], results[10_000]
    for key, what in (
        ("last", "at the last version"),
        ("middle", "at the middle version"),
        ("slowest", "the slowest of a hundred versions"),
    ):
        print(
            f"ratio 10,000 / 100 events, as-of {what}: {large[key] / small[key]:6.2f}   (goal <= 5)"
        )


if __name__ == "__main__":
    main()
