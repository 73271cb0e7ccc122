"""The date slider's range (world time) and how the pages write dates for a reader."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.values import instant_of, precision_of


@dataclass(frozen=True)
class DayRange:
    """The days from the first to the last statement (UTC days, as `on=` counts them)."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days

    def index(self, on: str | None) -> int:
        """Where the slider stands for `on` (at the last day when no date is chosen)."""
        if on is None:
            return self.days
        return max(0, min(self.days, (day_of(on) - self.first).days))

    def day(self, index: int) -> date:
        return self.first + timedelta(days=index)


def day_of(value: str) -> date:
    """The UTC day a date value starts on (a month or a year: its first day)."""
    return instant_of(value).date()


def day_range(moments: Iterable[str]) -> DayRange | None:
    """The range of the days the moments start on; None for none."""
    days = [day_of(m) for m in moments]
    return DayRange(min(days), max(days)) if days else None


def readable(value: str) -> str:
    """A date value as a reader scans it: `2021-12-30 23:30 (UTC+03:00)` for a date-time,
    a year, a month or a date as written."""
    if precision_of(value) != "time":
        return value
    moment = value.replace("Z", "+00:00")
    offset = moment[19:].lstrip(".0123456789") or "+00:00"
    return f"{moment[:10]} {moment[11:16]} (UTC{offset})"
