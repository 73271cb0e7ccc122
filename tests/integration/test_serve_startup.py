"""`ntrack serve` that cannot start says which setting to change: in plain text on stderr and
in the JSON log, with a non-zero exit and no traceback. Run as a process, as a user runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import postgres_url_or_skip

ROOT = Path(__file__).resolve().parents[2]
SERVE = ("serve", "--port")


def serve(database_url: str, port: int) -> subprocess.CompletedProcess[str]:
    """`ntrack serve` on `port`; expected to give up before it listens."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}
    return subprocess.run(
        [sys.executable, "-c", "from services.cli.main import main; main()", *SERVE, str(port)],
        cwd=ROOT,
        env={**base, "NTRACK_DATABASE_URL": database_url, "COLUMNS": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def said_plainly_and_logged(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """One plain `error:` line and one JSON log line, each with all of `words`."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    plain = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    logged = [
        json.loads(line)["message"]
        for line in result.stderr.splitlines()
        if line.startswith("{") and json.loads(line).get("level") == "ERROR"
    ]
    assert len(plain) == 1 and len(logged) == 1, result.stderr
    for word in words:
        assert word in plain[0] and word in logged[0], (word, result.stderr)


def with_netloc(url: str, user: str | None = None, port: int | None = None) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user or parts.username or 'postgres'}@{host}:{port or parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.slow
def test_a_port_in_use_names_the_port_setting_and_opens_no_store(tmp_path: Path) -> None:
    store = tmp_path / "ntrack.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve(f"sqlite:///{store}", port)

    said_plainly_and_logged(result, f"port {port}", "in use", "--port", "NTRACK_PORT")
    assert not store.exists()


@pytest.mark.slow
def test_postgres_not_listening_names_the_database_url() -> None:
    result = serve("postgresql://postgres@127.0.0.1:1/ntrack", free_port())

    said_plainly_and_logged(result, "cannot reach PostgreSQL at 127.0.0.1:1", "NTRACK_DATABASE_URL")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_user_postgres_refuses_is_named_with_the_database_url() -> None:
    url = with_netloc(postgres_url_or_skip(), user=f"nobody_{uuid.uuid4().hex[:8]}")

    result = serve(url, free_port())

    said_plainly_and_logged(result, "refuses the user 'nobody_", "NTRACK_DATABASE_URL")


@pytest.mark.postgres
@pytest.mark.slow
def test_a_missing_database_says_how_to_create_it_or_name_another() -> None:
    missing = f"ntrack_missing_{uuid.uuid4().hex[:8]}"
    url = urlunsplit(urlsplit(with_netloc(postgres_url_or_skip()))._replace(path=f"/{missing}"))

    result = serve(url, free_port())

    said_plainly_and_logged(result, f"no database '{missing}'", "createdb", "NTRACK_DATABASE_URL")
