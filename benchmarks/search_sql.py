"""S1's anchor: the bare SQL of each query, run straight through the driver.

The statements are not written out here a second time: each query of the mix is asked once
of the app in this process (FastAPI's TestClient, no projector) while the read model's
`fetch` records what it runs. The statements that read items (those over `rm_statements` or
`rm_actor_facets`; not the tracking-position and track-existence checks) are then timed on a raw
`psycopg` / `sqlite3` connection: what a user who wrote the SQL by hand would measure.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from fastapi.testclient import TestClient

from infra.readmodel.common import ReadModelStore
from infra.settings import Settings
from services.api.app import create_app

Mix = dict[str, tuple[str, dict[str, Any]]]


def _reads_items(sql: str) -> bool:
    return "rm_statements s" in sql or "rm_actor_facets" in sql


def record(url: str, mix: Mix) -> dict[str, list[tuple[str, Any]]]:
    """The item-reading statements (SQL in the driver's placeholder style, and params) that
    answering each query of `mix` runs."""
    recorded: list[tuple[str, Any]] = []
    original = ReadModelStore.fetch

    def fetch(self: ReadModelStore, sql: str, params: Any = ()) -> Any:
        if _reads_items(sql):
            recorded.append((self.sql(sql), list(params)))
        return original(self, sql, params)

    statements: dict[str, list[tuple[str, Any]]] = {}
    settings = Settings(database_url=url, embedded_projector=False)
    with (
        mock.patch.object(ReadModelStore, "fetch", fetch),
        TestClient(create_app(settings)) as client,
    ):
        for label, (path, params) in mix.items():
            recorded.clear()
            client.get(path, params=params).raise_for_status()
            statements[label] = list(recorded)
    return statements


@contextmanager
def _connection(url: str) -> Iterator[Any]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            yield conn
        finally:
            conn.close()
        return
    import psycopg

    from benchmarks.run import conninfo_of

    schema = url.split("schema=")[1].split("&")[0]
    with psycopg.connect(**conninfo_of(url), autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        yield conn


def measure(url: str, mix: Mix, rounds: int) -> dict[str, list[float]]:
    """Seconds per query of the bare statements, `rounds` times each (after one warm run)."""
    os.environ.pop("NTRACK_DATABASE_URL", None)
    statements = record(url, mix)
    times: dict[str, list[float]] = {label: [] for label in mix}
    with _connection(url) as conn:
        for label, run in statements.items():
            for attempt in range(rounds + 1):
                started = time.perf_counter()
                for sql, params in run:
                    conn.execute(sql, params).fetchall()
                if attempt:
                    times[label].append(time.perf_counter() - started)
    return times
