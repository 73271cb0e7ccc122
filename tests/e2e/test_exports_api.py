"""CSV over HTTP (API.md v1.1, "Exports") on the per-track timeline and demand board, with the
first shipped example loaded: `format=csv` or `Accept: text/csv`, paging by `Link`, the
same header on every page, rows that read back to the JSON items; formats an endpoint does
not offer are 422. Every test body runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Api, assert_problem
from tests.e2e.scenario_checks import FIRST, load_over_http, read_example

SSD = "us-russia-ssd"
TIMELINE = f"/v1/tracks/{SSD}/statements"
BOARD = f"/v1/tracks/{SSD}/demands"
CSV = "text/csv; charset=utf-8"


@pytest.fixture
def loaded(client: Api) -> Api:
    load_over_http(client, read_example(FIRST))
    return client


def rows(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CSV
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


def next_link(response: httpx.Response) -> str | None:
    link = response.headers.get("link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    return match[1]


def test_a_timeline_as_csv_by_format_or_by_accept_is_the_same_answer(loaded: Api) -> None:
    by_format = loaded.get(TIMELINE, {"format": "csv", "limit": 500})
    by_accept = loaded.get(TIMELINE, {"limit": 500}, headers={"Accept": "text/csv"})
    assert by_format.content == by_accept.content
    assert by_format.headers["x-projection-position"] and by_format.headers["vary"] == "Accept"
    assert "link" not in by_format.headers  # one page holds it all
    assert by_format.content.count(b"\r\n") > 10


def test_json_stays_the_answer_unless_csv_is_asked_for(loaded: Api) -> None:
    plain = loaded.get(TIMELINE, {"limit": 5})
    for params, accept in (
        ({"format": "json"}, "text/csv"),  # format= wins over Accept
        ({}, "application/json, text/csv"),  # a tie goes to JSON
        ({}, "text/csv;q=0.5, application/json"),
        ({}, "text/html"),
        ({}, "*/*"),
    ):
        answer = loaded.get(TIMELINE, {"limit": 5, **params}, headers={"Accept": accept})
        assert answer.headers["content-type"] == "application/json", (params, accept)
        assert answer.content == plain.content, (params, accept)
    any_text = loaded.get(TIMELINE, {"limit": 5}, headers={"Accept": "text/*"})
    assert any_text.headers["content-type"] == CSV


def test_csv_pages_follow_link_until_none_and_hold_every_item_once(loaded: Api) -> None:
    everything = loaded.get(TIMELINE, {"limit": 500}, expect=200).json()["items"]
    page = loaded.get(TIMELINE, {"format": "csv", "limit": 4})  # with min_position
    headers, ids, pages = set(), [], 0
    while True:
        headers.add(page.content.split(b"\r\n", 1)[0])
        ids += [row["id"] for row in rows(page)]
        pages += 1
        url = next_link(page)
        if url is None:
            break
        assert "limit=4" in url and "format=csv" in url and "min_position=" in url
        page = loaded.http.get(url)
    assert pages == -(-len(everything) // 4)
    assert len(headers) == 1
    assert ids == [item["id"] for item in everything]


def test_a_csv_row_reads_back_to_the_json_item(loaded: Api) -> None:
    items = loaded.get(TIMELINE, {"limit": 500}, expect=200).json()["items"]
    table = rows(loaded.get(TIMELINE, {"format": "csv", "limit": 500}))
    assert len(table) == len(items)
    for item, row in zip(items, table, strict=True):
        for name in ("id", "track_id", "type", "occurred_at", "party", "summary", "cameo_code"):
            assert row[name] == str(item[name]), name
        assert row["version"] == str(item["version"])
        assert row["retracted"] == "false"
        assert row["topics"] == "; ".join(item["topics"])
        assert row["speaker"] == (item.get("speaker") or {}).get("name", "")
        assert row["sources"] == "; ".join(
            s.get("url") or s.get("publisher") or s.get("title") for s in item["sources"]
        )
        assert row["responses"] == "; ".join(r["id"] for r in item["responses"])
        assert row["status"] == (item.get("status") or "")


def test_a_filtered_csv_keeps_its_filters_in_the_next_link(loaded: Api) -> None:
    first = loaded.get(TIMELINE, {"format": "csv", "type": "demand", "limit": 1})
    link = next_link(first)
    assert link is not None and "type=demand" in link and "cursor=" in link
    second = loaded.http.get(link)
    assert [r["type"] for r in rows(first) + rows(second)] == ["demand", "demand"]
    assert rows(first)[0]["id"] != rows(second)[0]["id"]


def test_the_demand_board_as_csv_has_its_items_and_no_link(loaded: Api) -> None:
    board: list[dict[str, Any]] = loaded.demands(SSD)
    table = rows(loaded.get(BOARD, {"format": "csv"}))
    assert [(r["id"], r["status"]) for r in table] == [(d["id"], d["status"]) for d in board]
    assert "link" not in loaded.get(BOARD, {"format": "csv"}).headers
    accepted = loaded.get(BOARD, {"status": "open"}, headers={"Accept": "text/csv"})
    assert {r["status"] for r in rows(accepted)} == {"open"}


def test_a_format_an_endpoint_does_not_offer_is_a_422_naming_those_it_does(
    loaded: Api,
) -> None:
    for path in (BOARD, TIMELINE):  # PLOVER is offered on /v1/statements only
        problem = assert_problem(loaded.get(path, {"format": "plover"}), 422)
        assert problem["errors"][0]["loc"] == ["query", "format"]
        assert "'json' or 'csv'" in problem["errors"][0]["msg"]
    unknown = assert_problem(loaded.get(TIMELINE, {"format": "xlsx"}), 422)
    assert unknown["errors"][0]["loc"] == ["query", "format"]
    twice = loaded.http.get(f"{TIMELINE}?format=csv&format=json")
    assert assert_problem(twice, 422)["errors"][0]["type"] == "repeated_parameter"
