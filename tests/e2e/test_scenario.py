"""The shipped examples (examples/*.json), each loaded into an empty store over the HTTP API
and with `ntrack load`, end in exactly the state their `expected` blocks describe, and both
loads agree. Loaded one after the other into one store, each keeps its statuses and answers.
Every test body runs on SQLite and on PostgreSQL (tests/conftest.py's `database_url`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.settings import Settings, get_settings
from services.bootstrap import build
from services.cli.main import cli
from services.scenarios import load_scenario
from tests.conftest import drop_schema, postgres_url_or_skip
from tests.e2e.conftest import Api, StartApp
from tests.e2e.scenario_checks import (
    CALL,
    EXAMPLE_FILES,
    FIRST,
    assert_counts_follow_the_file,
    assert_derived_fields,
    assert_expected_state,
    assert_related_statements_show_where_they_belong,
    assert_statuses_and_responses,
    board_order,
    expected_tracks,
    load_over_http,
    read_example,
)

runner = CliRunner()


@pytest.fixture(params=EXAMPLE_FILES, ids=lambda path: path.stem)
def example_path(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


@pytest.fixture
def example(example_path: Path) -> dict[str, Any]:
    return read_example(example_path)


def test_every_statement_of_an_example_names_its_source_and_a_ref_of_its_own() -> None:
    # `ntrack load` keys each statement by its ref, so a ref used by two files would make the
    # second file's statement a replay of the first's.
    seen: dict[str, str] = {}
    for path in EXAMPLE_FILES:
        for raw in read_example(path)["statements"]:
            assert raw["ref"] not in seen, f"{raw['ref']} in {path.name} and {seen[raw['ref']]}"
            seen[raw["ref"]] = path.name
            assert raw.get("sources") or raw.get("source"), f"{path.name}: {raw['ref']}"
    assert {FIRST, CALL} <= set(EXAMPLE_FILES)


def test_an_example_loaded_over_http_reaches_its_expected_state(
    client: Api, example: dict[str, Any]
) -> None:
    ids = load_over_http(client, example)
    assert len(ids) == len(example["statements"])
    assert_expected_state(client, example, ids)
    assert_counts_follow_the_file(client, example)


def test_an_example_board_shows_every_demand_of_its_track(
    client: Api, example: dict[str, Any]
) -> None:
    ids = load_over_http(client, example)
    refs = {v: k for k, v in ids.items()}
    for slug, expected in expected_tracks(example).items():
        board = {refs[d["id"]]: d["status"] for d in client.demands(slug)}
        demands = [
            r["ref"] for r in example["statements"] if r["track"] == slug and r["type"] == "demand"
        ]
        assert sorted(board) == sorted(demands), slug
        for ref in expected["open_demands"]:
            assert board[ref] == "open", f"{slug}: {ref}"


def test_statements_that_concern_other_tracks_show_in_those_tracks_timelines(
    client: Api, example: dict[str, Any]
) -> None:
    ids = load_over_http(client, example)
    assert_related_statements_show_where_they_belong(client, example, ids)


# -- `ntrack load` ---------------------------------------------------------------------------


@pytest.fixture
def other_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty store of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/other.sqlite3"
        return
    url = postgres_url_or_skip()
    yield url
    drop_schema(url)


def ntrack_load(database_url: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTRACK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["load", str(path), "--recorded-by", "rita"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output


def ids_of_loaded(database_url: str, data: dict[str, Any]) -> tuple[dict[str, str], int]:
    """The ids `ntrack load` gave the file's refs: loading it again records nothing new and
    answers the same ids (the loader's idempotency keys). Also the store's head position."""
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        head = tracker.app.max_position()
        ids = load_scenario(tracker.app, data, recorded_by="rita").ids
        assert tracker.app.max_position() == head, "loading the file again recorded something"
        return ids, head
    finally:
        tracker.close()


_VOLATILE = {"recorded_at", "last_activity_at", "opened_at", "position"}


def normalised(value: Any, refs: dict[str, str]) -> Any:
    """Statement ids -> refs, instants of recording dropped: what both loads must share."""
    if isinstance(value, dict):
        return {k: normalised(v, refs) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [normalised(v, refs) for v in value]
    if isinstance(value, str) and value in refs:
        return f"ref:{refs[value]}"
    return value


def snapshot(client: Api, data: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    refs = {v: k for k, v in ids.items()}
    views: dict[str, Any] = {}
    for slug in expected_tracks(data):
        views[slug] = {
            "state": client.track(slug),
            "demands": client.demands(slug),
            "timeline": client.timeline(slug, limit=500)["items"],
        }
    shared: dict[str, Any] = normalised(views, refs)
    return shared


def test_an_example_loaded_with_ntrack_load_matches_the_one_loaded_over_http(
    start_app: StartApp,
    other_database_url: str,
    example_path: Path,
    example: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    over_http = start_app()
    http_ids = load_over_http(over_http, example)

    ntrack_load(other_database_url, example_path, monkeypatch)
    cli_ids, head = ids_of_loaded(other_database_url, example)
    assert set(cli_ids) == set(http_ids)
    from_cli = start_app(database_url=other_database_url)
    from_cli.position = head
    assert_expected_state(from_cli, example, cli_ids)

    # Track ids follow the slugs, so only statement ids and recording instants differ.
    assert snapshot(from_cli, example, cli_ids) == snapshot(over_http, example, http_ids)


def test_the_call_example_loads_after_the_first_and_each_keeps_its_answers(
    start_app: StartApp, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, call = read_example(FIRST), read_example(CALL)
    ntrack_load(database_url, FIRST, monkeypatch)
    ntrack_load(database_url, CALL, monkeypatch)
    ntrack_load(database_url, CALL, monkeypatch)  # again: nothing new
    first_ids, _ = ids_of_loaded(database_url, first)
    call_ids, head = ids_of_loaded(database_url, call)
    assert not set(first_ids.values()) & set(call_ids.values())
    client = start_app()
    client.position = head

    ids = {**first_ids, **call_ids}
    for data in (first, call):
        for slug, expected in expected_tracks(data).items():
            assert_statuses_and_responses(client, slug, expected, ids)
        assert_derived_fields(client, data, ids)
    refs = {v: k for k, v in ids.items()}
    for slug in {*expected_tracks(first), *expected_tracks(call)}:
        blocks = [expected_tracks(data).get(slug, {}) for data in (first, call)]
        state = client.track(slug)
        assert state["statement_count"] == sum(b.get("statement_count", 0) for b in blocks)
        for board in ("open_demands", "active_sanction_warnings"):
            both = [ref for block in blocks for ref in block.get(board, [])]
            shown = [refs[entry["id"]] for entry in state[board]]
            assert shown == board_order([first, call], both), f"{slug}: {board}"
