"""Browser tests: the real app (uvicorn on a free port, in a thread) with the shipped
example loaded, on SQLite and PostgreSQL, driven by Playwright through Debian's Chromium.

Playwright's own browser download cannot work on these machines, so the tests launch
/usr/bin/chromium (`apt-get install chromium`; .ci/run installs it). Without it they skip,
except under CI=true, where a skipped browser test is a failure (as PostgreSQL's are).
Each test module is marked `browser`; `site` is only read, so one server per store serves
a whole module; a module whose tests write starts its own server with `example_site`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from infra.settings import Settings
from services.api.app import create_app
from tests.conftest import drop_schema, postgres_url_or_skip
from tests.e2e.conftest import TOKENS, Api
from tests.e2e.scenario_checks import FIRST, load_over_http, read_example

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_or_skip() -> None:
    if CHROMIUM.exists():
        return
    message = f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " -- and CI=true: browser tests must run in CI")
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments: Debian's Chromium, never a downloaded build."""
    chromium_or_skip()
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


class Server:
    """The app served by uvicorn on 127.0.0.1:`port`, in a daemon thread of this process."""

    def __init__(self, settings: Settings) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        while not self.server.started:  # uvicorn sets it once it listens
            assert self.thread.is_alive(), "uvicorn stopped while starting"
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def example_site(store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running app holding the first shipped example, on `store`: its base URL."""
    if store == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('site')}/ntrack.sqlite3", None
    else:
        url = cleanup = postgres_url_or_skip()
    settings = Settings(database_url=url, api_tokens=TOKENS, embedded_projector=True)
    try:
        with Server(settings) as server, httpx.Client(base_url=server.url, timeout=30) as http:
            api = Api(http, settings)  # type: ignore[arg-type]  # an httpx client, as TestClient is
            load_over_http(api, read_example(FIRST))
            # The pages read the read model: wait until it has applied the last write.
            api.get("/v1/tracks", expect=200)
            yield server.url
    finally:
        if cleanup is not None:
            drop_schema(cleanup)


@pytest.fixture(scope="module", params=STORES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a running app holding the first shipped example (only read: a test
    module that writes starts its own with `example_site`)."""
    with example_site(request.param, tmp_path_factory) as url:
        yield url
