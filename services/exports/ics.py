"""iCalendar (RFC 5545) of meetings (API.md v1.1, "iCalendar"): one VEVENT per meeting
record, its UID the statement's id.

When it happens follows the precision of its date (`meeting_at` for a scheduled meeting,
`occurred_at` for a held one): a time starts then and lasts an hour, or until `ended_at`; a
day is an all-day event; a month or a year spans the period (dates, DTEND exclusive). Times
are written in UTC. DTSTAMP is when the statement was recorded, so the same record always
gives the same calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from domain.values import instant_of, period_end, precision_of

MEDIA_TYPE = "text/calendar; charset=utf-8"
PRODID = "-//negotiation tracker//ntrack//EN"
MEETING_TYPES = ("meeting_scheduled", "meeting_held")
UNTIMED_LENGTH = timedelta(hours=1)  # a meeting known by its start only


def span(item: dict[str, Any]) -> tuple[date | datetime, date | datetime]:
    """DTSTART and DTEND of a meeting record."""
    when = item.get("meeting_at") or item["occurred_at"]
    start = instant_of(when)
    if precision_of(when) == "time":
        ended = item.get("ended_at")
        return start, instant_of(ended) if ended else start + UNTIMED_LENGTH
    return start.date(), period_end(when).date()


def event(item: dict[str, Any]) -> Event:
    vevent = Event()
    vevent.add("uid", str(item["id"]))
    vevent.add("dtstamp", instant_of(item["recorded_at"]))
    start, end = span(item)
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", item["summary"])
    if item.get("location"):
        vevent.add("location", item["location"])
    return vevent


def render(items: Iterable[dict[str, Any]]) -> bytes:
    """A VCALENDAR with an event for each meeting record among `items` (others are skipped)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    for item in items:
        if item.get("type") in MEETING_TYPES:
            calendar.add_component(event(item))
    ical: bytes = calendar.to_ical()
    return ical
