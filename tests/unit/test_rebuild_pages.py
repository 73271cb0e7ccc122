"""A rebuild reads the log in pages up to the position it took at its start, and not past
it, though the query asks only for what follows a position
(services.projections.rebuild_in_memory)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from services.projections import rebuild_in_memory as rebuild_fold


class Log:
    """select_notifications over notification ids 1..last, as the library pages them."""

    def __init__(self, last: int) -> None:
        self.last = last
        self.queries: list[dict[str, Any]] = []

    def select_notifications(self, start: int, limit: int, **options: Any) -> list[Any]:
        self.queries.append({"start": start, "limit": limit, **options})
        assert options == {"inclusive_of_start": False}  # no upper bound in the query
        first = start + 1
        return [SimpleNamespace(id=i) for i in range(first, min(first + limit, self.last + 1))]


def ids(pages: list[Any]) -> list[int]:
    return [n.id for page in pages for n in page]


def test_pages_run_from_after_start_to_stop_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rebuild_fold, "PAGE", 4)
    log = Log(last=20)  # written on while the rebuild reads: 20 is past its stop
    pages = list(rebuild_fold._pages(log, 2, 13))
    assert ids(pages) == list(range(3, 14))
    assert [len(p) for p in pages] == [4, 4, 3]


def test_a_log_ending_before_stop_ends_the_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rebuild_fold, "PAGE", 4)
    assert ids(list(rebuild_fold._pages(Log(last=6), 0, 13))) == [1, 2, 3, 4, 5, 6]


def test_a_page_ending_exactly_at_stop_is_the_last_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rebuild_fold, "PAGE", 4)
    log = Log(last=20)
    assert ids(list(rebuild_fold._pages(log, 0, 8))) == list(range(1, 9))
    assert len(log.queries) == 2
