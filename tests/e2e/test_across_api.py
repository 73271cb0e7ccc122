"""Reads across tracks (API.md v1.1) over HTTP, on both stores, with the shipped examples
loaded: demands, warnings and meetings of every track, paging, repeated filters, refusals.
What each list should hold is worked out from the example files and the per-track reads."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from domain.values import instant_of
from tests.e2e.conftest import RUSSIA, USA, Api, assert_problem
from tests.e2e.scenario_checks import CALL, FIRST, board_order, load_over_http, read_example

EXAMPLES = (read_example(FIRST), read_example(CALL))
SLUGS = sorted({t["slug"] for data in EXAMPLES for t in data["tracks"]})


@pytest.fixture
def loaded(client: Api) -> dict[str, str]:
    """Both examples in one store: ref -> statement id."""
    ids: dict[str, str] = {}
    for data in EXAMPLES:
        ids.update(load_over_http(client, data))
    return ids


def raw_statements() -> list[dict[str, Any]]:
    return [raw for data in EXAMPLES for raw in data["statements"]]


def items(client: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.get(path, {"limit": 500, **params}, expect=200).json()
    assert answer["next_cursor"] is None
    return answer["items"]  # type: ignore[no-any-return]


def ids_of(found: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in found]


def every_page(client: Api, path: str, limit: int, **params: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        answer = client.get(path, query, expect=200).json()
        assert len(answer["items"]) <= limit
        ids += ids_of(answer["items"])
        cursor = answer["next_cursor"]
        if cursor is None:
            return ids


def test_russia_s_open_demands_across_every_track_are_those_of_the_track_boards(
    client: Api, loaded: dict[str, str]
) -> None:
    boards = [client.track(slug)["open_demands"] for slug in SLUGS]
    expected = {d["id"] for board in boards for d in board if d["party"] == RUSSIA}

    found = items(client, "/v1/demands", party=RUSSIA, status="open")

    assert set(ids_of(found)) == expected and len(found) == len(expected)
    by_id = {v: k for k, v in loaded.items()}
    assert ids_of(found) == [loaded[r] for r in board_order(EXAMPLES, [by_id[i] for i in expected])]
    for item in found:
        assert item["party"] == RUSSIA and item["status"] == "open" and item["type"] == "demand"
        single = client.statement(item["track_slug"], item["id"])
        assert {k: v for k, v in item.items() if k != "track_slug"} == single


def test_red_line_demands_and_proposals_are_filtered_by_their_fields(
    client: Api, loaded: dict[str, str]
) -> None:
    red = items(client, "/v1/demands", red_line="true")
    assert red and all(item["red_line"] for item in red)
    assert {item["id"] for item in red} == {
        loaded[raw["ref"]]
        for raw in raw_statements()
        if raw["type"] == "demand" and raw.get("red_line")
    }
    not_red = items(client, "/v1/demands", red_line="false")
    assert not_red and not any(item["red_line"] for item in not_red)
    proposals = items(client, "/v1/demands", type="proposal")
    assert {i["id"] for i in proposals} == {
        loaded[raw["ref"]] for raw in raw_statements() if raw["type"] == "proposal"
    }


def test_active_sanction_warnings_across_tracks_are_those_of_the_track_boards_with_their_authors(
    client: Api, loaded: dict[str, str]
) -> None:
    boards = [client.track(slug)["active_sanction_warnings"] for slug in SLUGS]
    expected = {w["id"]: w for board in boards for w in board}

    found = items(client, "/v1/warnings", type="sanction_warning", active="true")

    assert ids_of(found) and set(ids_of(found)) == set(expected)
    for item in found:
        assert item["status"] == "active" and item["party"] == expected[item["id"]]["party"]
    by_whom = {item["party"] for item in found}
    assert by_whom == {USA}
    speakers = {item["speaker"]["name"] for item in found if item.get("speaker")}
    assert "Joe Biden" in speakers
    assert items(client, "/v1/warnings", type="sanction_warning", party=RUSSIA) == []


def test_warnings_filter_by_target_and_type_and_inactive_ones_are_withdrawn(
    client: Api, loaded: dict[str, str]
) -> None:
    aimed = items(client, "/v1/warnings", target=RUSSIA)
    assert {i["type"] for i in aimed} == {"sanction_warning"}
    assert all(i["target"] == RUSSIA for i in aimed)
    warnings = items(client, "/v1/warnings", type="warning")
    assert {i["id"] for i in warnings} == {
        loaded[raw["ref"]] for raw in raw_statements() if raw["type"] == "warning"
    }
    assert all(i["status"] == "withdrawn" for i in items(client, "/v1/warnings", active="false"))


def meeting_refs(kind: str | None = None, **match: Any) -> list[str]:
    chosen = []
    for n, data in enumerate(EXAMPLES):
        for i, raw in enumerate(data["statements"]):
            if raw["type"] not in ("meeting_scheduled", "meeting_held"):
                continue
            if kind is not None and raw["type"] != kind:
                continue
            if any(raw.get(k, "in_person") != v for k, v in match.items()):
                continue
            when = raw.get("meeting_at") or raw["occurred_at"]
            chosen.append((instant_of(when), n, i, raw["ref"]))
    return [ref for *_, ref in sorted(chosen)]


def test_the_next_meetings_across_tracks_are_ordered_by_when_they_meet(
    client: Api, loaded: dict[str, str]
) -> None:
    scheduled = items(client, "/v1/meetings", held="false", **{"from": "2022-01-10"})
    expected = [
        ref
        for ref in meeting_refs("meeting_scheduled")
        if instant_of(next(r for r in raw_statements() if r["ref"] == ref)["meeting_at"])
        >= instant_of("2022-01-10")
    ]
    assert ids_of(scheduled) == [loaded[ref] for ref in expected]
    assert len(expected) >= 4 and {i["type"] for i in scheduled} == {"meeting_scheduled"}

    every = items(client, "/v1/meetings")
    assert ids_of(every) == [loaded[ref] for ref in meeting_refs()]
    in_january = items(client, "/v1/meetings", **{"from": "2022-01", "to": "2022-01"})
    assert loaded["c30-nrc-scheduled"] in ids_of(in_january)  # month precision: 1 January


def test_phone_calls_held_are_found_by_their_format(client: Api, loaded: dict[str, str]) -> None:
    calls = items(client, "/v1/meetings", held="true", meeting_format="phone")
    assert ids_of(calls) == [loaded[ref] for ref in meeting_refs("meeting_held", format="phone")]
    assert len(calls) == 2 and all(i["format"] == "phone" for i in calls)


def test_paging_with_the_cursor_gives_every_item_once_in_order(
    client: Api, loaded: dict[str, str]
) -> None:
    for path, params in (
        ("/v1/statements", {}),
        ("/v1/statements", {"party": RUSSIA}),
        ("/v1/demands", {}),
        ("/v1/warnings", {}),
        ("/v1/meetings", {}),
    ):
        whole = ids_of(items(client, path, **params))
        assert every_page(client, path, 3, **params) == whole, path
    assert len(ids_of(items(client, "/v1/statements"))) == len(loaded)


def test_statements_across_tracks_are_ordered_by_occurred_at_then_commit_order(
    client: Api, loaded: dict[str, str]
) -> None:
    found = items(client, "/v1/statements")
    assert ids_of(found) == [loaded[r] for r in board_order(EXAMPLES, list(loaded))]
    assert {i["track_slug"] for i in found} == set(SLUGS)


def test_a_repeated_filter_means_any_of_its_values(client: Api, loaded: dict[str, str]) -> None:
    for name, values in (
        ("track", ["us-russia-ssd", "nato-russia-council"]),
        ("type", ["demand", "warning"]),
        ("attribution", ["claimed", "reported"]),
        ("speaker", ["Joe Biden", "yuri ushakov"]),
    ):
        each = [set(ids_of(items(client, "/v1/statements", **{name: v}))) for v in values]
        both = ids_of(items(client, "/v1/statements", **{name: values}))
        assert each[0] and each[1], name
        assert set(both) == each[0] | each[1] and len(both) == len(set(both)), name


def test_track_takes_an_id_or_a_slug_and_selects_home_statements(
    client: Api, loaded: dict[str, str]
) -> None:
    track = client.track("nato-russia-council")
    by_slug = items(client, "/v1/statements", track="nato-russia-council")
    assert ids_of(by_slug) == ids_of(items(client, "/v1/statements", track=track["id"]))
    assert {i["track_id"] for i in by_slug} == {track["id"]}
    assert len(by_slug) == track["statement_count"]


def test_a_track_that_names_no_track_is_refused_naming_where_to_find_them(client: Api) -> None:
    client.open_track("ssd")
    for path in ("/v1/statements", "/v1/demands", "/v1/warnings", "/v1/meetings"):
        problem = assert_problem(client.get(path, {"track": ["ssd", "no-such-track"]}), 422)
        assert "no-such-track" in problem["detail"] and "GET /v1/tracks" in problem["detail"]


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64!",
        base64.urlsafe_b64encode(b"2022-01-10T00:00:00.000000Z").decode(),
        base64.urlsafe_b64encode(b"yesterday|1f0e0c1e-0000-0000-0000-000000000000").decode(),
        base64.urlsafe_b64encode(b"2022-01-10T00:00:00.000000Z|not-an-id").decode(),
    ],
)
def test_a_cursor_the_service_did_not_give_is_refused(client: Api, cursor: str) -> None:
    for path in ("/v1/statements", "/v1/demands", "/v1/warnings", "/v1/meetings", "/v1/actors"):
        problem = assert_problem(client.get(path, {"cursor": cursor}), 422)
        assert "cursor" in problem["detail"]


def test_retracted_statements_are_left_out_unless_asked_for(client: Api) -> None:
    client.open_track("ssd")
    kept = client.record("ssd", "demand")["id"]
    gone = client.record("ssd", "sanction_warning", USA)["id"]
    client.retract("ssd", gone)

    assert ids_of(items(client, "/v1/statements")) == [kept]
    assert ids_of(items(client, "/v1/statements", include_retracted="true")) == [kept, gone]
    assert items(client, "/v1/warnings") == []
