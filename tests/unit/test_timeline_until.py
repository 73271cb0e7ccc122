"""`until` on a timeline includes the whole period of a date: its day, month or year."""

from __future__ import annotations

import pytest

from domain.values import sort_key
from services.api.paging import end_of_period


@pytest.mark.parametrize(
    ("until", "last_instant"),
    [
        ("2022-01-10", "2022-01-10T23:59:59.999999Z"),
        ("2022-01", "2022-01-31T23:59:59.999999Z"),
        ("2024-02", "2024-02-29T23:59:59.999999Z"),
        ("2023-02", "2023-02-28T23:59:59.999999Z"),
        ("2022", "2022-12-31T23:59:59.999999Z"),
    ],
)
def test_until_a_date_reaches_the_last_instant_of_its_period(until: str, last_instant: str) -> None:
    assert end_of_period(until, "unused for dates") == last_instant


def test_until_a_date_time_is_that_instant() -> None:
    moment = "2022-01-10T12:30:00+03:00"
    assert end_of_period(moment, sort_key(moment)) == "2022-01-10T09:30:00.000000Z"
