"""S1: reads across tracks at scale -- full-text search and filtered cross-track reads.

    .venv/bin/python -m benchmarks.search_bench [--database-url URL] [--statements 100000]
        [--tracks 50] [--rounds 40] [--workers 2] [--keep]

Records `--statements` statements over `--tracks` tracks through the batch endpoint of a
running `ntrack serve` (projector in its own process, as docker-compose runs it), waits for
the read model, then asks a mix of `q` searches and filtered reads across tracks, one request
at a time over one keep-alive connection, each query `--rounds` times in shuffled order. It
prints p50/p99 per query and overall (goal: p99 <= 50 ms), and the p50 of the bare SQL the
read model runs for the same query, straight through the driver on the same database -- the
anchor a user writing SQL by hand would have; the ratio is the price of the service.

PostgreSQL by default (a fresh `bench_<random>` schema, dropped at the end); pass
`--database-url sqlite:///PATH` for SQLite (a fresh file, removed at the end). `--keep` keeps
the database and prints its URL, to look at query plans on it.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks import load, search_sql
from benchmarks.run import DEFAULT_URL, conninfo_of, drop_schema, with_schema
from benchmarks.service import Service

BATCH = 500
PARTIES = ["Russia", "United States", "NATO", "Ukraine"]
SPEAKERS = [
    ("Sergey Ryabkov", "Deputy Foreign Minister", "Russia"),
    ("Wendy Sherman", "Deputy Secretary of State", "United States"),
    ("Jens Stoltenberg", "Secretary General", "NATO"),
    ("Dmytro Kuleba", "Foreign Minister", "Ukraine"),
    ("Sergueï Lavrov", "Foreign Minister", "Russia"),
    ("Antony Blinken", "Secretary of State", "United States"),
]
WORDS = [
    "security",
    "guarantees",
    "missiles",
    "deployment",
    "exercises",
    "border",
    "troops",
    "treaty",
    "inspection",
    "transparency",
    "arms",
    "control",
    "dialogue",
    "sanctions",
    "pipeline",
    "energy",
    "banks",
    "export",
    "controls",
    "reciprocity",
    "verification",
    "moratorium",
    "intermediate",
    "range",
    "bombers",
    "flights",
    "airspace",
    "consultations",
    "readout",
    "working",
    "group",
    "proposal",
    "response",
    "written",
    "answer",
    "de-escalation",
]
PHRASES = [
    "no further NATO expansion eastward",
    "legally binding security guarantees",
    "withdrawal of forces to 1997 positions",
    "severe economic sanctions if Russia invades",
    "talks in Genève on strategic stability",
    "the Élysée format meeting on Donbas",
]
TOPICS = ["nato-enlargement", "arms-control", "sanctions", "ukraine", "exercises", "energy"]


def statement(rng: random.Random, n: int, track: int) -> dict[str, Any]:
    """The n-th statement of the load: every type the boards read, dated over 2021-2022."""
    party = PARTIES[n % len(PARTIES)]
    speaker = next(s for s in SPEAKERS[n % len(SPEAKERS) :] + SPEAKERS if s[2] == party)
    day = 1 + n % 28
    month = 1 + (n // 28) % 12
    text = " ".join(rng.sample(WORDS, 8))
    if n % 7 == 0:
        text = f"{rng.choice(PHRASES)}: {text}"
    body: dict[str, Any] = {
        "party": party,
        "occurred_at": f"{2021 + n % 2}-{month:02d}-{day:02d}T{n % 24:02d}:{n % 60:02d}:00+00:00",
        "summary": f"{text} (statement {n} on track {track})",
        "speaker": {"name": speaker[0], "role": speaker[1]},
        "topics": [TOPICS[n % len(TOPICS)]],
        "source": {"url": f"https://example.org/s/{track}/{n}", "publisher": "bench"},
    }
    kind = n % 10
    if kind < 4:
        body.update(type="demand", red_line=n % 3 == 0)
    elif kind < 6:
        body.update(type="statement")
    elif kind == 6:
        body.update(type="sanction_warning", target=PARTIES[(n + 1) % len(PARTIES)])
    elif kind == 7:
        body.update(type="warning", category="military")
    elif kind == 8:
        body.update(
            type="meeting_scheduled",
            meeting_at=f"2022-{month:02d}-{day:02d}",
            location=rng.choice(["Geneva", "Brussels", "Vienna"]),
            format="phone" if n % 4 == 0 else "in_person",
        )
    else:
        body.update(type="proposal")
    return body


def record(svc: Service, statements: int, tracks: int) -> tuple[list[str], int, float]:
    """Open the tracks and record the statements in batches; the slugs, the last commit
    position and the seconds it took."""
    slugs = [f"s1-{i}" for i in range(tracks)]
    with svc.client() as c:
        for i, slug in enumerate(slugs):
            r = c.post(
                "/v1/tracks",
                json={"kind": "other", "title": f"S1 track {i}", "slug": slug, "parties": PARTIES},
            )
            r.raise_for_status()
    rng = random.Random(1)
    batches = [
        (slugs[b % tracks], [statement(rng, b * BATCH + j, b % tracks) for j in range(BATCH)])
        for b in range(statements // BATCH)
    ]
    started = time.perf_counter()

    def post(batch: tuple[str, list[dict[str, Any]]]) -> int:
        with svc.client() as c:
            r = c.post(f"/v1/tracks/{batch[0]}/statements:batch", json={"statements": batch[1]})
            r.raise_for_status()
            return int(r.json()["position"])

    with ThreadPoolExecutor(4) as pool:
        last = max(pool.map(post, batches), default=0)
    return slugs, last, time.perf_counter() - started


def wait_projected(svc: Service, slug: str, position: int, timeout: float = 600) -> float:
    started = time.perf_counter()
    with svc.client() as c:
        while time.perf_counter() - started < timeout:
            r = c.get(f"/v1/tracks/{slug}", params={"min_position": position})
            if r.status_code == 200:
                return time.perf_counter() - started
    raise TimeoutError(f"the read model did not reach {position} in {timeout} s")


def queries(slugs: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """label -> (path, params): the mix an analyst asks across tracks."""
    three = slugs[:3]
    return {
        "q=NATO": ("/v1/statements", {"q": "NATO"}),
        "q=phrase": ("/v1/statements", {"q": '"security guarantees"'}),
        "q=OR -excluded": ("/v1/statements", {"q": "sanctions OR pipeline -energy"}),
        "q=accent-folded": ("/v1/statements", {"q": "geneve"}),
        "q=rare + party": ("/v1/statements", {"q": "moratorium bombers", "party": "Russia"}),
        "type+party": ("/v1/statements", {"type": "demand", "party": "Russia"}),
        "3 tracks + dates": (
            "/v1/statements",
            {"track": three, "since": "2022-03-01", "until": "2022-03-31"},
        ),
        "speaker+topic": ("/v1/statements", {"speaker": "Wendy Sherman", "topic": "arms-control"}),
        "open demands Russia": ("/v1/demands", {"status": "open", "party": "Russia"}),
        "active warnings": ("/v1/warnings", {"active": "true"}),
        "phone meetings": ("/v1/meetings", {"from": "2022-02-01", "meeting_format": "phone"}),
        "actors": ("/v1/actors", {}),
    }


def measure(
    svc: Service, mix: dict[str, tuple[str, dict[str, Any]]], rounds: int
) -> dict[str, Any]:
    order = [label for label in mix for _ in range(rounds)]
    random.Random(2).shuffle(order)
    times: dict[str, list[float]] = {label: [] for label in mix}
    items: dict[str, int] = {}
    with svc.client() as c:
        for label, (path, params) in mix.items():  # warm: plans, caches, connections
            r = c.get(path, params=params)
            r.raise_for_status()
            items[label] = len(r.json()["items"])
        for label in order:
            path, params = mix[label]
            t = time.perf_counter()
            r = c.get(path, params=params)
            times[label].append(time.perf_counter() - t)
            r.raise_for_status()
    return {"times": times, "items": items}


def ms(values: list[float], p: float) -> float:
    return round(load.percentile(values, p) * 1000, 2)


def report(http: dict[str, Any], sql: dict[str, list[float]], store: str) -> dict[str, Any]:
    rows = []
    print(f"\nS1 on {store}: per query, one request at a time (ms)")
    print(f"{'query':22} {'items':>5} {'p50':>7} {'p99':>7} {'SQL p50':>8} {'ratio':>6}")
    for label, times in http["times"].items():
        sql_p50 = ms(sql[label], 50) if sql.get(label) else None
        p50 = ms(times, 50)
        ratio = round(p50 / sql_p50, 2) if sql_p50 else None
        rows.append(
            {
                "query": label,
                "items": http["items"][label],
                "p50_ms": p50,
                "p99_ms": ms(times, 99),
                "sql_p50_ms": sql_p50,
                "ratio": ratio,
            }
        )
        print(
            f"{label:22} {http['items'][label]:>5} {p50:>7} {ms(times, 99):>7}"
            f" {sql_p50 if sql_p50 is not None else '-':>8} {ratio if ratio else '-':>6}"
        )
    every = [t for times in http["times"].values() for t in times]
    every_sql = [t for times in sql.values() for t in times]
    overall = {
        "p50_ms": ms(every, 50),
        "p99_ms": ms(every, 99),
        "sql_p50_ms": ms(every_sql, 50) if every_sql else None,
        "goal_p99_ms": 50,
    }
    overall["ratio_p50"] = (
        round(overall["p50_ms"] / overall["sql_p50_ms"], 2) if overall["sql_p50_ms"] else None
    )
    overall["met"] = overall["p99_ms"] <= 50
    print(f"all queries: {json.dumps(overall)}")
    return {"store": store, "queries": rows, "overall": overall}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database-url", default=DEFAULT_URL)
    for name, default in (("statements", 100_000), ("tracks", 50), ("rounds", 40), ("workers", 2)):
        p.add_argument(f"--{name}", type=int, default=default)
    p.add_argument("--keep", action="store_true", help="keep the database; print its URL")
    args = p.parse_args()
    logs = Path(tempfile.mkdtemp(prefix="s1-logs-"))
    sqlite = args.database_url.startswith("sqlite")
    if sqlite:
        path = Path(tempfile.mkdtemp(prefix="s1-")) / "s1.sqlite3"
        url = f"sqlite:///{path}"
    else:
        schema = "bench_" + secrets.token_hex(4)
        url = with_schema(args.database_url, schema)
    svc = Service(url, args.workers, logs / "serve.log")
    try:
        svc.start()
        slugs, last, seconds = record(svc, args.statements, args.tracks)
        caught_up = wait_projected(svc, slugs[0], last)
        print(
            f"recorded {args.statements} statements over {args.tracks} tracks in {seconds:.1f} s"
            f" ({args.statements / seconds:.0f}/s); read model caught up {caught_up:.1f} s later"
        )
        mix = queries(slugs)
        http = measure(svc, mix, args.rounds)
        sql = search_sql.measure(url, mix, args.rounds)
        result = report(http, sql, "SQLite" if sqlite else "PostgreSQL")
        out = Path(__file__).parent / "results" / f"s1-{'sqlite' if sqlite else 'postgres'}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({**result, "statements": args.statements}, indent=1))
        print(f"(written to {out})")
    finally:
        svc.stop()
        if args.keep:
            print(f"kept: {url}")
        elif sqlite:
            for f in path.parent.glob("s1.sqlite3*"):
                f.unlink()
        else:
            drop_schema(conninfo_of(args.database_url), schema)


if __name__ == "__main__":
    main()
