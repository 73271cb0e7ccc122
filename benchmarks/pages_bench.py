"""The search page and the statement page on the shipped examples (issue 15: first page under
200 ms on this machine).

    .venv/bin/python -m benchmarks.pages_bench [--database-url URL] [--rounds 50]

Loads both examples into a fresh store (a temporary SQLite file by default; a PostgreSQL URL
gets a fresh `bench_<random>` schema, dropped at the end), then asks each page `--rounds`
times, one at a time, through the app in this process (Starlette's TestClient: no network,
so the numbers are the app's own time), and prints p50/p95/max in ms per page, beside
`GET /v1/statements` for the same query as the anchor.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial

from fastapi.testclient import TestClient

from benchmarks.run import conninfo_of, drop_schema, with_schema
from infra.settings import Settings
from services.api.app import create_app
from tests.e2e.conftest import TOKENS, Api
from tests.e2e.scenario_checks import CALL, FIRST, load_over_http, read_example


def status_of(http: TestClient, path: str) -> int:
    return http.get(path).status_code


def timed(ask: Callable[[], int], rounds: int) -> list[float]:
    ask()  # first use: templates compiled, caches filled
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        status = ask()
        times.append((time.perf_counter() - start) * 1000)
        assert status == 200, status
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    url, schema = args.database_url, None
    if url is None:
        url = f"sqlite:///{tempfile.mkdtemp()}/pages.sqlite3"
    elif url.startswith("postgresql"):
        schema = f"bench_{secrets.token_hex(4)}"
        url = with_schema(url, schema)
    settings = Settings(database_url=url, api_tokens=TOKENS)
    try:
        with TestClient(create_app(settings)) as http:
            api = Api(http, settings)
            load_over_http(api, read_example(FIRST))
            load_over_http(api, read_example(CALL))
            api.get("/v1/statements", expect=200)
            found = http.get("/v1/statements", params={"q": "NATO"}).json()["items"]
            # the first (a demand with answers) and the last statement about NATO
            answered, plain = (
                f"/tracks/{i['track_slug']}/statements/{i['id']}" for i in (found[0], found[-1])
            )
            searches = ["/search", "/search?q=NATO", "/search?q=NATO&type=demand&since=2021-12"]
            pages = {
                **{path: path for path in searches},
                "statement page (answered)": answered,
                "statement page": plain,
                "anchor: /v1/statements?q=NATO": "/v1/statements?q=NATO",
            }
            print(f"{'page':45} {'p50':>7} {'p95':>7} {'max':>7}   ms, {args.rounds} rounds")
            for name, path in pages.items():
                times = timed(partial(status_of, http, path), args.rounds)
                p95 = statistics.quantiles(times, n=20)[-1]
                print(f"{name:45} {statistics.median(times):7.2f} {p95:7.2f} {max(times):7.2f}")
    finally:
        if schema is not None:
            drop_schema(conninfo_of(args.database_url), schema)


if __name__ == "__main__":
    main()
