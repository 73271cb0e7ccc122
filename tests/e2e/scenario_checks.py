"""Loading the shipped examples (examples/*.json) and checking their `expected` blocks.

The block is described, and compared with a track's state, in services.scenario_expectations;
`related` (refs of other tracks' statements that concern a track) is checked here only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.scenario_expectations import (
    board_order,
    derived_fields,
    differences,
    expected_tracks,
    statements_by_ref,
    statuses_and_responses,
)
from tests.e2e.conftest import Api

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FIRST = EXAMPLES / "security-guarantees-2021-22.json"
CALL = EXAMPLES / "putin-biden-call-2021-12-30.json"
EXAMPLE_FILES = tuple(sorted(EXAMPLES.glob("*.json")))
REF_FIELDS = ("responds_to", "withdraws")
SLUG_TAKEN = 409


def read_example(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def load_over_http(client: Api, data: dict[str, Any]) -> dict[str, str]:
    """POST every track (one already open stays as it is), then every statement in file
    order; returns ref -> statement id."""
    for track in data["tracks"]:
        answer = client.post("/v1/tracks", track)
        assert answer.status_code in (201, SLUG_TAKEN), answer.text
        if answer.status_code == SLUG_TAKEN:
            existing = client.track(track["slug"])
            assert (existing["kind"], existing["parties"]) == (track["kind"], track["parties"])
    ids: dict[str, str] = {}
    for raw in data["statements"]:
        body = {k: v for k, v in raw.items() if k not in ("ref", "track")}
        for field in REF_FIELDS:
            if field in body:
                body[field] = ids[body[field]]
        recorded = client.record_body(raw["track"], body)
        assert recorded["type"] == raw["type"]
        ids[raw["ref"]] = recorded["id"]
    return ids


def assert_counts_follow_the_file(client: Api, data: dict[str, Any]) -> None:
    """Each track counts its own statements, by type, and nothing else."""
    for slug in expected_tracks(data):
        by_type: dict[str, int] = {}
        for raw in data["statements"]:
            if raw["track"] == slug:
                by_type[raw["type"]] = by_type.get(raw["type"], 0) + 1
        state = client.track(slug)
        assert state["counts_by_type"] == by_type, slug
        assert state["statement_count"] == data["expected"][slug]["statement_count"], slug
        assert state["version"] == 1 + sum(by_type.values()), slug


def assert_expected_state(client: Api, data: dict[str, Any], ids: dict[str, str]) -> None:
    """Every item of the example's `expected` block, read over HTTP (the comparison
    `ntrack load --check` makes from the read model)."""
    assert differences(client, data, ids) == []


def assert_statuses_and_responses(
    client: Api, slug: str, expected: dict[str, Any], ids: dict[str, str]
) -> None:
    assert statuses_and_responses(client, slug, expected, ids) == []


def assert_derived_fields(client: Api, data: dict[str, Any], ids: dict[str, str]) -> None:
    assert derived_fields(client, data, ids) == []


def assert_related_statements_show_where_they_belong(
    client: Api, data: dict[str, Any], ids: dict[str, str]
) -> None:
    """API.md v1.1, Several tracks: a statement appears in the timeline of every track it
    concerns, marked with its home track, and leaves when the timeline is asked without them."""
    refs = {v: k for k, v in ids.items()}
    recorded = statements_by_ref(data)
    for slug, expected in expected_tracks(data).items():
        home_id = client.track(slug)["id"]
        items = client.timeline(slug, limit=500)["items"]
        related = [item for item in items if item["track_id"] != home_id]
        assert sorted(refs[item["id"]] for item in related) == sorted(expected["related"]), slug
        for item in related:
            home = client.track(recorded[refs[item["id"]]]["track"])
            assert item["track_id"] == home["id"], refs[item["id"]]
            assert slug in recorded[refs[item["id"]]]["also_concerns"]
        shown = [refs[item["id"]] for item in items]
        assert shown == board_order([data], shown), f"{slug}: timeline order"
        own = client.timeline(slug, limit=500, include_related="false")["items"]
        assert [item["id"] for item in own] == [i["id"] for i in items if i["track_id"] == home_id]
