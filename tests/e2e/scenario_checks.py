"""Loading the shipped examples (examples/*.json) and checking their `expected` blocks.

An example's `expected` block holds, per track slug, what the analyst expects the track to
show once the file is loaded into an empty store: `statement_count`, `open_demands` and
`active_sanction_warnings` (refs in board order), `demand_status` / `proposal_status` /
`claimed_status` (ref -> status, null for none), `responses` (ref -> the refs of the
statements answering it, in order), `related` (refs of other tracks' statements that concern
this one) and `next_meeting` (null, or the ref, `meeting_at` and `location` of the meeting);
and under `statements`, fields the service derives for single statements (CAMEO defaults,
precisions, statuses).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from domain.values import instant_of
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


def expected_tracks(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    slugs = [track["slug"] for track in data["tracks"]]
    return {slug: data["expected"][slug] for slug in slugs if slug in data["expected"]}


def statements_by_ref(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {raw["ref"]: raw for raw in data["statements"]}


def board_order(loaded: Sequence[dict[str, Any]], refs: list[str]) -> list[str]:
    """`refs` ordered as API.md orders boards and timelines: by occurred_at (start of the
    period, UTC), then recording order; `loaded` are the files in the order they were loaded."""
    place: dict[str, tuple[Any, int, int]] = {}
    for n, data in enumerate(loaded):
        for i, raw in enumerate(data["statements"]):
            place[raw["ref"]] = (instant_of(raw["occurred_at"]), n, i)
    return sorted(refs, key=place.__getitem__)


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
    """Every item of the example's `expected` block, read over HTTP."""
    refs = {v: k for k, v in ids.items()}
    for slug, expected in expected_tracks(data).items():
        state = client.track(slug)
        where = f"track {slug}"
        assert state["statement_count"] == expected["statement_count"], where
        assert sum(state["counts_by_type"].values()) == expected["statement_count"], where

        # The file lists board entries in the boards' own order.
        for board in ("open_demands", "active_sanction_warnings"):
            assert board_order([data], expected[board]) == expected[board], f"{where}: {board}"
            assert [refs[entry["id"]] for entry in state[board]] == expected[board], where
        board_open = [refs[d["id"]] for d in client.demands(slug, status="open")]
        assert board_open == expected["open_demands"], where
        assert_board_entries_carry_what_was_recorded(state, data, refs)

        assert_next_meeting(state["next_meeting"], expected["next_meeting"], ids, where)
        assert_statuses_and_responses(client, slug, expected, ids)
    assert_derived_fields(client, data, ids)


def assert_board_entries_carry_what_was_recorded(
    state: dict[str, Any], data: dict[str, Any], refs: dict[str, str]
) -> None:
    """API.md v1.1, Boards: a sanction warning shows its condition and speaker, a demand its
    speaker, when the statement has them."""
    recorded = statements_by_ref(data)
    boards = {"open_demands": ("speaker",), "active_sanction_warnings": ("condition", "speaker")}
    for board, fields in boards.items():
        for entry in state[board]:
            raw = recorded[refs[entry["id"]]]
            for field in fields:
                if field in raw:
                    assert entry[field] == raw[field], f"{board}: {raw['ref']}.{field}"


def assert_next_meeting(
    answered: dict[str, Any] | None,
    expected: dict[str, Any] | None,
    ids: dict[str, str],
    where: str,
) -> None:
    if expected is None:
        assert answered is None, where
        return
    assert answered is not None, where
    shown = {key: answered[key] for key in ("id", "meeting_at", "location")}
    assert shown == {
        "id": ids[expected["ref"]],
        "meeting_at": expected["meeting_at"],
        "location": expected["location"],
    }, where


def assert_statuses_and_responses(
    client: Api, slug: str, expected: dict[str, Any], ids: dict[str, str]
) -> None:
    board = {d["id"]: d for d in client.demands(slug)}
    for key in ("demand_status", "proposal_status"):
        for ref, status in expected.get(key, {}).items():
            assert client.status_of(slug, ids[ref]) == status, f"{slug}: {ref}"
            if key == "demand_status":
                assert board[ids[ref]]["status"] == status, f"{slug}: {ref} on the board"
    for ref, status in expected.get("claimed_status", {}).items():
        view = client.statement(slug, ids[ref])
        assert view["claimed_status"] == status, f"{slug}: {ref}"
        assert board[ids[ref]]["claimed_status"] == status, f"{slug}: {ref} on the board"
    answers_to = {
        ids[ref]: [ids[a] for a in answers]
        for ref, answers in expected.get("responses", {}).items()
    }
    for statement_id, answers in answers_to.items():
        view = client.statement(slug, statement_id)
        assert [r["id"] for r in view["responses"]] == answers, f"{slug}: {view['summary']}"
        # An answer shown inside what it answers (a view, a board) shows its own answers too.
        for shown in (view, board.get(statement_id)):
            for answer in (shown or {}).get("responses", []):
                if answer["id"] in answers_to:
                    nested = [r["id"] for r in answer["responses"]]
                    assert nested == answers_to[answer["id"]], f"{slug}: {answer['summary']}"


def assert_derived_fields(client: Api, data: dict[str, Any], ids: dict[str, str]) -> None:
    recorded = statements_by_ref(data)
    for ref, fields in data["expected"].get("statements", {}).items():
        view = client.statement(recorded[ref]["track"], ids[ref])
        assert {key: view[key] for key in fields} == fields, ref


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
