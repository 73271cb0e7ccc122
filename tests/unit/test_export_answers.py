"""services/api/exports.py on listings no route serves yet (PLOVER on `/v1/statements`, the
meetings calendar): the answers the cross-track routes will give, from real requests."""

from __future__ import annotations

import json
from typing import Any

import icalendar
from starlette.requests import Request

from services.api.exports import calendar_answer, chosen_format, list_answer
from services.exports.listings import BOARD, STATEMENTS
from tests.unit.test_export_renderers import item, meeting


def request(query: str = "", accept: str | None = None) -> Request:
    headers = [(b"host", b"tracker.example")]
    if accept is not None:
        headers.append((b"accept", accept.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "scheme": "https",
        "path": "/v1/statements",
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "server": ("tracker.example", 443),
    }
    return Request(scope)


def test_plover_answers_json_lines_with_the_next_page_in_link() -> None:
    page = {
        "items": [item("demand", 1, cameo_code="100", track_slug="ssd")],
        "next_cursor": "abc=",
    }
    answer = list_answer(
        request("format=plover&party=Russia&party=NATO&cursor=x"), page, 7, STATEMENTS
    )

    assert answer.media_type == "application/x-ndjson"
    (line,) = bytes(answer.body).decode().splitlines()
    assert json.loads(line)["event_type"] == "DEMAND"
    assert answer.headers["x-projection-position"] == "7"
    assert answer.headers["link"] == (
        "<https://tracker.example/v1/statements?format=plover&party=Russia&party=NATO"
        '&cursor=abc%3D>; rel="next"'
    )


def test_accept_chooses_among_the_formats_a_listing_offers() -> None:
    assert chosen_format(request(accept="application/x-ndjson"), STATEMENTS) == "plover"
    assert chosen_format(request(accept="application/x-ndjson"), BOARD) == "json"
    assert chosen_format(request(accept="text/csv;q=0.9, application/json;q=0.8"), BOARD) == "csv"
    assert chosen_format(request(accept="text/csv;q=0, */*"), BOARD) == "json"
    assert chosen_format(request(accept="text/csv;q=oops"), BOARD) == "json"


def test_a_calendar_answer_is_text_calendar_of_the_meetings() -> None:
    meetings = [meeting(1, meeting_at="2022-01-10", meeting_precision="day")]
    answer = calendar_answer(meetings, 3)
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert answer.headers["x-projection-position"] == "3"
    (event,) = icalendar.Calendar.from_ical(bytes(answer.body)).walk("VEVENT")
    assert str(event["UID"]) == meetings[0]["id"]
