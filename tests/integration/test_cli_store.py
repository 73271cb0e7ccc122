"""The whole `ntrack` command line against both stores: which store a command uses, that a
command which reads makes no store, `--version`, and what `load` reports and checks."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg
import pytest
import typer
from typer.testing import CliRunner, Result

from infra.settings import get_settings
from infra.stores import parse_database_url, shown_url
from services.cli.main import cli
from tests.e2e.scenario_checks import CALL, FIRST

runner = CliRunner()

# Every command that opens a store, by whether it may make one. A command that only reads or
# audits answering from a store made empty for it would mislead: it must refuse instead.
READING = {
    "verify": ["verify", "--all"],
    "replay": ["replay", "us-russia-ssd"],
    "export": ["export"],
    "rebuild": ["rebuild", "--check"],
    "checkpoints": ["checkpoints", "--all"],
    "token list": ["token", "list"],
    "token revoke": ["token", "revoke", "no-such-token"],
}
MAKING = {"serve", "project", "load", "token create"}
NO_STORE = {"types"}


@pytest.fixture(autouse=True)
def _own_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`--database-url` sets NTRACK_DATABASE_URL for the process (and its workers): undone
    after each test, with the settings read from it."""
    monkeypatch.delenv("NTRACK_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def ntrack(database_url: str, *args: str) -> Result:
    return runner.invoke(cli, ["--database-url", database_url, *args])


def command_names(group: Any, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group of commands (`token`)
            names |= command_names(command, f"{prefix}{name} ")
        else:
            names.add(prefix + name)
    return names


def store_is_there(database_url: str) -> bool:
    config = parse_database_url(database_url)
    if config.sqlite_path is not None:
        return Path(config.sqlite_path).exists()
    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo) as conn:
        found = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = %s", (config.pg_schema,)
        ).fetchone()
    return found is not None


def test_every_command_is_known_to_read_to_make_or_to_need_no_store() -> None:
    every = command_names(typer.main.get_group(cli))

    assert every == set(READING) | MAKING | NO_STORE


@pytest.mark.parametrize("command", sorted(READING))
def test_a_command_that_reads_refuses_a_store_that_is_not_there_and_makes_none(
    database_url: str, command: str
) -> None:
    result = ntrack(database_url, *READING[command])

    assert result.exit_code == 2, result.output
    assert f"there is no store at {shown_url(database_url)}" in result.stderr
    assert "--database-url" in result.stderr and "NTRACK_DATABASE_URL" in result.stderr
    assert not store_is_there(database_url)  # no file, no schema


def test_every_command_names_the_store_it_uses_on_stderr(database_url: str) -> None:
    loaded = ntrack(database_url, "load", str(FIRST))
    verified = ntrack(database_url, "verify", "--all")

    for result in (loaded, verified):
        assert result.exit_code == 0, result.output
        assert result.stderr.startswith(f"ntrack: using {shown_url(database_url)}\n")
        assert "ntrack: using" not in result.stdout


def test_a_relative_sqlite_path_is_named_in_full_and_a_password_never(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = ntrack("sqlite:///./here.sqlite3", "verify", "--all")
    with_password = ntrack("postgresql://rita:s3cret@127.0.0.1:1/db", "verify", "--all")

    assert f"ntrack: using sqlite:///{tmp_path.resolve()}/here.sqlite3" in relative.stderr
    assert "ntrack: using postgresql://rita:***@127.0.0.1:1/db" in with_password.stderr
    assert "s3cret" not in with_password.output


def test_version_is_the_installed_packages() -> None:
    result = runner.invoke(cli, ["--version"])

    assert result.exit_code == 0
    assert result.stdout.strip() == f"ntrack {version('negotiation-tracker')}"


def test_verify_shows_the_whole_head_hash_in_the_table_and_as_json(database_url: str) -> None:
    assert ntrack(database_url, "load", str(FIRST)).exit_code == 0

    table = ntrack(database_url, "verify", "us-russia-ssd")
    as_json = ntrack(database_url, "verify", "--json", "--all")

    report = json.loads(as_json.stdout)
    assert report["valid"] is True and report["tracks_checked"] == 3
    head = {item["slug"]: item["head_hash"] for item in report["items"]}["us-russia-ssd"]
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    assert f"us-russia-ssd {head}\n" in table.stdout


def test_a_second_load_of_a_file_says_it_recorded_nothing_new(database_url: str) -> None:
    first = ntrack(database_url, "load", str(FIRST))
    again = ntrack(database_url, "load", str(FIRST))

    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "loaded 3 new tracks and 42 new statements" in first.stderr
    assert "nothing new: 3 tracks and 42 statements already recorded" in again.stderr


def test_load_check_passes_when_the_tracks_show_what_the_file_expects(
    database_url: str,
) -> None:
    checked = ntrack(database_url, "load", "--check", str(FIRST))

    assert checked.exit_code == 0, checked.output
    assert "the tracks show what" in checked.stderr and checked.stdout == ""


def test_load_check_lists_each_difference_and_exits_1(database_url: str, tmp_path: Path) -> None:
    example = json.loads(CALL.read_text(encoding="utf-8"))
    example["expected"]["us-russia-ssd"]["statement_count"] = 99
    example["expected"]["statements"]["c30-ru-legal-form"] = {"cameo_code": "999"}
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(example), encoding="utf-8")

    checked = ntrack(database_url, "load", "--check", str(changed))

    assert checked.exit_code == 1
    assert checked.stdout.splitlines() == [
        "us-russia-ssd: statement_count: expected 99, found 3",
        "us-russia-ssd: statements counted by type: expected 99, found 3",
        'statement c30-ru-legal-form: expected {"cameo_code": "999"}, found {"cameo_code": "100"}',
    ]
    assert "3 difference(s)" in checked.stderr
