"""The example scenario (examples/security-guarantees-2021-22.json), loaded through the HTTP
API, ends in exactly the state its `expected` block describes; the CLI's loader agrees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.values import instant_of
from infra.settings import Settings
from services.bootstrap import build
from services.projections.projector import Projector
from services.scenarios import load_scenario
from tests.conftest import drop_schema, postgres_url_or_skip
from tests.e2e.conftest import Api, StartApp

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCENARIO_FILE = EXAMPLES / "security-guarantees-2021-22.json"
REF_FIELDS = ("responds_to", "withdraws")


@pytest.fixture(scope="module")
def scenario() -> dict[str, Any]:
    return json.loads(SCENARIO_FILE.read_text(encoding="utf-8"))


def load_over_http(client: Api, data: dict[str, Any]) -> dict[str, str]:
    """POST every track, then every statement in file order; returns ref -> statement id."""
    for track in data["tracks"]:
        client.post("/v1/tracks", track, expect=201)
    ids: dict[str, str] = {}
    for raw in data["statements"]:
        body = {k: v for k, v in raw.items() if k not in ("ref", "track")}
        for field in REF_FIELDS:
            if field in body:
                body[field] = ids[body[field]]
        answer = client.record_body(raw["track"], body)
        assert answer["type"] == raw["type"]
        ids[raw["ref"]] = answer["id"]
    return ids


def expected_tracks(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {slug: block for slug, block in data["expected"].items() if isinstance(block, dict)}


def in_file_order_of_occurrence(data: dict[str, Any], refs: list[str]) -> list[str]:
    """`refs` ordered as API.md orders boards: by occurred_at (UTC instant), then recording."""
    index = {raw["ref"]: n for n, raw in enumerate(data["statements"])}
    occurred = {raw["ref"]: instant_of(raw["occurred_at"]) for raw in data["statements"]}
    return sorted(refs, key=lambda ref: (occurred[ref], index[ref]))


def assert_expected_state(client: Api, data: dict[str, Any], ids: dict[str, str]) -> None:
    """Every item of the scenario's `expected` block, read over HTTP."""
    refs = {v: k for k, v in ids.items()}
    for slug, expected in expected_tracks(data).items():
        state = client.track(slug)
        where = f"track {slug}"
        assert state["statement_count"] == expected["statement_count"], where
        assert sum(state["counts_by_type"].values()) == expected["statement_count"], where

        open_refs = [refs[d["id"]] for d in state["open_demands"]]
        assert set(open_refs) == set(expected["open_demands"]), where
        # The file lists them by occurred_at, then recording order: the board's order.
        assert (
            in_file_order_of_occurrence(data, expected["open_demands"]) == expected["open_demands"]
        ), where
        assert open_refs == expected["open_demands"], where
        board_open = [refs[d["id"]] for d in client.demands(slug, status="open")]
        assert board_open == expected["open_demands"], where

        warning_refs = [refs[w["id"]] for w in state["active_sanction_warnings"]]
        assert set(warning_refs) == set(expected["active_sanction_warnings"]), where
        assert (
            in_file_order_of_occurrence(data, expected["active_sanction_warnings"])
            == expected["active_sanction_warnings"]
        ), where
        assert warning_refs == expected["active_sanction_warnings"], where

        assert state["next_meeting"] == expected["next_meeting"], where

        for key in ("demand_status", "proposal_status"):
            for ref, status in expected.get(key, {}).items():
                view = client.statement(slug, ids[ref])
                assert view["status"] == status, f"{where}: {ref}"


def test_the_scenario_loaded_over_http_reaches_the_expected_state(
    client: Api, scenario: dict[str, Any]
) -> None:
    ids = load_over_http(client, scenario)
    assert len(ids) == len(scenario["statements"])
    assert_expected_state(client, scenario, ids)
    for slug in expected_tracks(scenario):
        by_type: dict[str, int] = {}
        for raw in scenario["statements"]:
            if raw["track"] == slug:
                by_type[raw["type"]] = by_type.get(raw["type"], 0) + 1
        state = client.track(slug)
        assert state["counts_by_type"] == by_type, slug
        assert state["version"] == 1 + sum(by_type.values()), slug


def test_the_scenario_boards_show_every_demand_and_the_responses_to_it(
    client: Api, scenario: dict[str, Any]
) -> None:
    ids = load_over_http(client, scenario)
    refs = {v: k for k, v in ids.items()}
    for slug, expected in expected_tracks(scenario).items():
        board = {refs[d["id"]]: d["status"] for d in client.demands(slug)}
        demands = [
            r["ref"] for r in scenario["statements"] if r["track"] == slug and r["type"] == "demand"
        ]
        assert sorted(board) == sorted(demands), slug
        for ref, status in expected.get("demand_status", {}).items():
            assert board[ref] == status, f"{slug}: {ref}"
        for ref in expected["open_demands"]:
            assert board[ref] == "open", f"{slug}: {ref}"
    treaty = client.statement("us-russia-ssd", ids["ru-draft-treaty"])
    assert [r["id"] for r in treaty["responses"]] == [ids["us-0126-written"]]
    assert treaty["responses"][0]["party"] == "United States"
    proposal = client.statement("us-russia-ssd", ids["us-0110-proposal"])
    assert [r["id"] for r in proposal["responses"]] == [ids["ru-0113-no-reason"]]


# -- the CLI's loader ------------------------------------------------------------------------


@pytest.fixture
def other_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty store of the same kind as `database_url`."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/other.sqlite3"
        return
    url = postgres_url_or_skip()
    yield url
    drop_schema(url)


def load_with_cli_path(database_url: str, data: dict[str, Any]) -> tuple[dict[str, str], int]:
    """What `ntrack load` does: load_scenario on the store, then project it."""
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        ids = load_scenario(tracker.app, data, recorded_by="rita")
        Projector(tracker.app, tracker.read_model).catch_up()
        return ids, tracker.app.max_position()
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
    return normalised(views, refs)


def test_loading_with_the_cli_loader_gives_the_same_state_as_loading_over_http(
    start_app: StartApp, other_database_url: str, scenario: dict[str, Any]
) -> None:
    over_http = start_app()
    http_ids = load_over_http(over_http, scenario)

    cli_ids, cli_position = load_with_cli_path(other_database_url, scenario)
    assert set(cli_ids) == set(http_ids)
    from_cli = start_app(database_url=other_database_url)
    from_cli.position = cli_position
    assert_expected_state(from_cli, scenario, cli_ids)

    assert snapshot(from_cli, scenario, cli_ids) == snapshot(over_http, scenario, http_ids)
