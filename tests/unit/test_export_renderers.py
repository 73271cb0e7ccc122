"""The export renderers (services/exports): CSV columns from the answer models and rows that
read back to the JSON items, PLOVER events, and an iCalendar that icalendar parses back."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

import icalendar

from services.api.responses.statements import PUBLIC
from services.exports import ics, plover, tabular
from services.exports.listings import BOARD, STATEMENTS, TIMELINE

TRACK = "30dd8af2-9767-575a-89a3-4b1bb5f93f6d"
RECORDED = "2026-01-05T10:00:00.123456+00:00"


def item(type_: str, n: int, **fields: Any) -> dict[str, Any]:
    """A statement as the read model answers it (the fields every statement has)."""
    return {
        "id": f"00000000-0000-8000-8000-{n:012d}",
        "track_id": TRACK,
        "type": type_,
        "party": "Russia",
        "occurred_at": "2022-01-10",
        "occurred_precision": "day",
        "summary": f"statement {n}",
        "topics": [],
        "sources": [],
        "source": None,
        "attribution": "direct",
        "cameo_code": "010",
        "version": n,
        "recorded_at": RECORDED,
        "recorded_by": "rita",
        "retracted": False,
        "corrections": [],
        "responses": [],
        **fields,
    }


def demand_with_everything() -> dict[str, Any]:
    reply = item("response", 9, responds_to="x", position="reject", stance="reject")
    return item(
        "demand",
        1,
        summary='No NATO "open door", no bases;\nnothing east of 1997 – «никогда»',
        quote="",
        speaker={"name": "Sergey Lavrov", "role": "Foreign Minister"},
        reported_by={"name": "Maria Zakharova"},
        sources=[
            {"url": "https://mid.ru/x?a=1,2", "publisher": "MID", "title": "Draft"},
            {"publisher": "TASS"},
            {"title": "A readout"},
        ],
        source={"url": "https://mid.ru/x?a=1,2", "publisher": "MID", "title": "Draft"},
        topics=["nato-enlargement", "basing"],
        with_parties=["Belarus"],
        red_line=True,
        status="rejected",
        claimed_status=None,
        cameo_code="100",
        responses=[reply],
        corrections=[{"recorded_at": RECORDED, "recorded_by": "rita", "reason": "r"}],
    )


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_every_field_of_a_statement_is_a_column_but_the_repeated_source_and_corrections() -> None:
    fields = {name for model in PUBLIC.values() for name in model.model_fields}
    columns = [c.name for c in TIMELINE.columns]
    assert len(columns) == len(set(columns))
    assert set(columns) == fields - {"source", "corrections"}
    assert columns[:4] == ["id", "track_id", "type", "occurred_at"]
    assert {c.name for c in STATEMENTS.columns} == {*columns, "track_slug", "snippet"}
    assert {"status", "claimed_status", "red_line", "condition"} <= {c.name for c in BOARD.columns}
    assert "meeting_at" not in {c.name for c in BOARD.columns}


def test_the_header_depends_on_the_listing_not_on_the_items_of_a_page() -> None:
    empty = tabular.render([], TIMELINE.columns)
    some = tabular.render([item("statement", 2), item("meeting_held", 3)], TIMELINE.columns)
    assert some.startswith(empty) and empty.endswith("\r\n") and empty.count("\r\n") == 1


def test_a_csv_reads_back_to_the_json_items_values() -> None:
    demand, plain = demand_with_everything(), item("statement", 2)
    text = tabular.render([demand, plain], TIMELINE.columns)
    assert text.encode().decode("utf-8") == text
    assert text.count("\r\n") == 3  # header and two rows; the summary's own newline stays \n
    first, second = read_csv(text)

    assert first["id"] == demand["id"] and first["summary"] == demand["summary"]
    assert first["speaker"] == "Sergey Lavrov" and first["reported_by"] == "Maria Zakharova"
    assert first["sources"].split("; ") == ["https://mid.ru/x?a=1,2", "TASS", "A readout"]
    assert first["topics"].split("; ") == demand["topics"]
    assert first["with_parties"] == "Belarus"
    assert first["responses"] == demand["responses"][0]["id"]
    assert (first["red_line"], first["retracted"]) == ("true", "false")
    assert (first["claimed_status"], first["quote"], first["meeting_at"]) == ("", "", "")
    assert first["version"] == "1" and first["recorded_at"] == RECORDED
    assert "source" not in first and "corrections" not in first
    assert (second["topics"], second["sources"], second["speaker"]) == ("", "", "")
    assert second["type"] == "statement"


def test_a_plover_event_carries_the_plover_fields_of_a_statement() -> None:
    demand = demand_with_everything() | {
        "occurred_at": "2022-01-01T01:30:00+03:00",
        "addressee": "United States",
        "track_slug": "us-russia-ssd",
    }
    warning = item("sanction_warning", 3, target="Russia", cameo_code="1312")
    untyped = item("statement", 4, sources=[{"url": "https://example.org/a"}])

    lines = b"".join(plover.lines([demand, warning, untyped])).decode().splitlines()
    first, second, third = (json.loads(line) for line in lines)

    assert first == {
        "event_id": demand["id"],
        "event_date": "2021-12-31",  # the start of the period, in UTC
        "event_type": "DEMAND",
        "mode": None,
        "context": None,
        "actor": "Russia",
        "actor_name": "Sergey Lavrov",
        "recipient": "United States",
        "source": "MID",
        "text": demand["summary"],
        "track_slug": "us-russia-ssd",
        "cameo_code": "100",
    }
    assert (second["event_type"], second["mode"], second["recipient"]) == (
        "THREATEN",
        "restrict",
        "Russia",
    )
    assert (second["source"], second["actor_name"], second["track_slug"]) == (None, None, None)
    assert (third["event_type"], third["source"]) == (None, "https://example.org/a")


def meeting(n: int, type_: str = "meeting_scheduled", **fields: Any) -> dict[str, Any]:
    return item(type_, n, location="Geneva", cameo_code="036", **fields)


def test_a_calendar_has_one_event_per_meeting_spanning_its_period() -> None:
    items = [
        meeting(1, meeting_at="2022-01-10T09:00:00+01:00", meeting_precision="time"),
        meeting(2, meeting_at="2022-01-12", meeting_precision="day"),
        meeting(3, meeting_at="2022-02", meeting_precision="month"),
        meeting(4, meeting_at="2022", meeting_precision="year"),
        meeting(
            5,
            "meeting_held",
            occurred_at="2022-01-10T09:00:00+01:00",
            ended_at="2022-01-10T16:30:00+01:00",
        ),
        item("demand", 6),  # not a meeting: left out
    ]
    calendar = icalendar.Calendar.from_ical(ics.render(items))
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {items[n]["id"] for n in range(5)}

    def span(n: int) -> tuple[Any, Any]:
        event = events[items[n]["id"]]
        return event.decoded("DTSTART"), event.decoded("DTEND")

    start, end = span(0)
    assert isinstance(start, datetime) and start.utcoffset() == timedelta(0)
    assert (start.hour, end - start) == (8, timedelta(hours=1))
    assert span(1) == (date(2022, 1, 12), date(2022, 1, 13))
    assert span(2) == (date(2022, 2, 1), date(2022, 3, 1))
    assert span(3) == (date(2022, 1, 1), date(2023, 1, 1))
    held_start, held_end = span(4)
    assert held_end - held_start == timedelta(hours=7, minutes=30)

    first = events[items[0]["id"]]
    assert (str(first["SUMMARY"]), str(first["LOCATION"])) == ("statement 1", "Geneva")
    assert first.decoded("DTSTAMP") == datetime.fromisoformat(RECORDED).replace(microsecond=0)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == ics.PRODID
