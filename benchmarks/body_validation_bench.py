"""V1: what validating a write's body costs -- a batch of 500 statements, from its JSON bytes,
as the batch route validates it (no NUL in the bytes, so the NUL walks are skipped).

    .venv/bin/python -m benchmarks.body_validation_bench [--rounds 30]

Each statement carries the fields the input rules judge (a party, joint parties, a speaker,
a summary, topics, a source URL, a boolean); prints the best and the median time of a round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from services.api.schemas import StatementBatch, nul_free_context

STATEMENT = {
    "type": "demand",
    "party": "Russia",
    "occurred_at": "2022-01-10",
    "summary": "No further enlargement of NATO eastward, set down in a binding treaty. " * 3,
    "topics": ["nato", "enlargement"],
    "with_parties": ["Belarus"],
    "speaker": {"name": "Sergei Ryabkov", "role": "Deputy Foreign Minister"},
    "sources": [{"url": "https://www.mid.ru/en/foreign_policy/news/1790818/", "publisher": "MID"}],
    "red_line": True,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    raw = json.dumps({"statements": [STATEMENT] * 500}).encode()
    context = nul_free_context(raw)
    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        StatementBatch.model_validate_json(raw, context=context)
        times.append(time.perf_counter() - started)
    best, median = min(times) * 1000, statistics.median(times) * 1000
    print(f"V1 validate a batch of 500 statements: best {best:.1f} ms, median {median:.1f} ms")


if __name__ == "__main__":
    main()
