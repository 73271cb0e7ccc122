"""Exports of the reads across tracks over HTTP (API.md v1.1, "Exports"), with both shipped
examples loaded: CSV of `/v1/statements`, `/v1/demands`, `/v1/warnings` and `/v1/meetings`
that reads back to their JSON items, PLOVER lines of `/v1/statements`, and the meetings as an
iCalendar a calendar parser reads. Every test body runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import orjson
import pytest
from icalendar import Calendar

from domain.plover import plover_of
from tests.e2e.conftest import Api, assert_problem
from tests.e2e.scenario_checks import EXAMPLE_FILES, load_over_http, read_example

CSV = "text/csv; charset=utf-8"


@pytest.fixture
def loaded(client: Api) -> Api:
    for path in EXAMPLE_FILES:
        load_over_http(client, read_example(path))
    return client


def table(client: Api, path: str, params: dict[str, Any]) -> list[dict[str, str]]:
    answer = client.get(path, {**params, "format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == CSV
    return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"), newline="")))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/statements", {"limit": 500}),
        ("/v1/statements", {"q": "NATO", "limit": 500}),
        ("/v1/demands", {"party": "Russia"}),
        ("/v1/warnings", {"active": "true"}),
        ("/v1/meetings", {}),
    ],
)
def test_a_csv_of_a_read_across_tracks_reads_back_to_its_json_items(
    loaded: Api, path: str, params: dict[str, Any]
) -> None:
    items = loaded.get(path, params, expect=200).json()["items"]
    rows = table(loaded, path, params)
    assert items and len(rows) == len(items)
    for item, row in zip(items, rows, strict=True):
        for name in ("id", "track_id", "track_slug", "type", "party", "summary", "occurred_at"):
            assert row[name] == str(item[name]), (path, name)
        if "status" in row:  # a column of the statuses' boards, not of meetings
            assert row["status"] == (item.get("status") or "")
        assert row["speaker"] == (item.get("speaker") or {}).get("name", "")
        if "snippet" in item:
            assert row["snippet"] == item["snippet"]


def test_csv_pages_across_tracks_follow_link_and_hold_every_statement_once(loaded: Api) -> None:
    everything = loaded.get("/v1/statements", {"limit": 500}, expect=200).json()["items"]
    answer = loaded.get("/v1/statements", {"format": "csv", "limit": 7})
    ids: list[str] = []
    while True:
        ids += [r["id"] for r in csv.DictReader(io.StringIO(answer.content.decode()))]
        link = answer.headers.get("link")
        if link is None:
            break
        answer = loaded.http.get(link.split(";")[0].strip("<>"))
    assert ids == [item["id"] for item in everything]


def test_plover_lines_name_the_category_of_each_statements_cameo_code(loaded: Api) -> None:
    items = loaded.get("/v1/statements", {"limit": 500}, expect=200).json()["items"]
    answer = loaded.get("/v1/statements", {"format": "plover", "limit": 500})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    events = [orjson.loads(line) for line in answer.content.splitlines()]
    assert [e["event_id"] for e in events] == [item["id"] for item in items]
    for event, item in zip(events, items, strict=True):
        event_type, mode, context = plover_of(item["cameo_code"])
        assert (event["event_type"], event["mode"], event["context"]) == (event_type, mode, context)
        assert event["actor"] == item["party"] and event["track_slug"] == item["track_slug"]
        assert event["event_date"] == item["occurred_at"][:10] or len(item["occurred_at"]) < 10
    kinds = {e["event_type"] for e in events}
    assert {"DEMAND", "THREATEN", "AGREE"} <= kinds


def test_the_meetings_calendar_is_read_by_a_calendar_parser(loaded: Api) -> None:
    meetings = loaded.get("/v1/meetings", {"limit": 500}, expect=200).json()["items"]
    answer = loaded.get("/v1/meetings.ics", {})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(answer.content)
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {m["id"] for m in meetings}
    geneva = next(m for m in meetings if m.get("meeting_at") == "2022-01-10")
    start = events[geneva["id"]].decoded("DTSTART")
    assert str(start) == "2022-01-10"  # a date: an all-day event
    by_month = next(m for m in meetings if m.get("meeting_at") == "2022-01")
    month = events[by_month["id"]]
    assert (str(month.decoded("DTSTART")), str(month.decoded("DTEND"))) == (
        "2022-01-01",
        "2022-02-01",
    )


def test_the_calendar_takes_the_meeting_filters_and_refuses_paging(loaded: Api) -> None:
    scheduled = loaded.get("/v1/meetings", {"held": "false"}, expect=200).json()["items"]
    answer = loaded.get("/v1/meetings.ics", {"held": "false"})
    uids = {str(e["UID"]) for e in Calendar.from_ical(answer.content).walk("VEVENT")}
    assert uids == {m["id"] for m in scheduled}
    assert assert_problem(loaded.get("/v1/meetings.ics", {"limit": 5}), 422)
    assert assert_problem(loaded.get("/v1/meetings.ics", {"track": "no-such-track"}), 422)
