"""World time: a track as it stood on a date (API.md v1.1, "World date").

The state holds the statements whose start of period is not after the end of the date, as
currently recorded: each statement's `occurred_at` is the corrected one, and corrections
and retractions recorded later apply. Such a view is the ordinary fold (`TrackView`) of the
track's events with the statements the date does not admit passed over, so the rules of
statuses, boards and meetings stay those of `domain.statuses` and `domain.views`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from domain import views
from domain.document import TrackView
from domain.events import (
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    TrackStatusChanged,
)
from domain.values import period_end, precision_of, sort_key

_KEY_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # that of `domain.values.sort_key`


def last_instant_key(on: str) -> str:
    """The `sort_key` of the last instant of the period `on` names (a date-time: itself):
    a start at or before it is "not after the end of DATE"."""
    if precision_of(on) == "time":
        return sort_key(on)
    return (period_end(on) - timedelta(microseconds=1)).strftime(_KEY_FORMAT)


def occurred_keys(events: Iterable[Any]) -> dict[str, str]:
    """Each statement's start of period as currently recorded (after its corrections)."""
    keys: dict[str, str] = {}
    for event in events:
        if isinstance(event, StatementRecorded):
            keys[event.statement_id] = sort_key(event.statement["occurred_at"])
        elif isinstance(event, StatementCorrected) and "occurred_at" in event.changes:
            keys[event.statement_id] = sort_key(event.changes["occurred_at"])
    return keys


def _status_admitted(event: TrackStatusChanged, last: str) -> bool:
    # A status change recorded without `occurred_at` happened, as far as the record
    # knows, when it was recorded.
    when = event.occurred_at or event.timestamp.isoformat()
    return sort_key(when) <= last


def world_view(events: Iterable[Any], on: str) -> TrackView | None:
    """The view of a track's events (from its first) on the date `on`; None if none."""
    events = list(events)
    last = last_instant_key(on)
    admitted = {i for i, key in occurred_keys(events).items() if key <= last}
    view: TrackView | None = None
    for event in events:
        if view is None:
            view = TrackView.opened(event)
        elif isinstance(event, StatementRecorded | StatementCorrected | StatementRetracted):
            _apply_if(view, event, event.statement_id in admitted)
        elif isinstance(event, TrackStatusChanged):
            _apply_if(view, event, _status_admitted(event, last))
        else:
            view.apply(event)  # parties are current
    return view


def _apply_if(view: TrackView, event: Any, admitted: bool) -> None:
    if admitted:
        view.apply(event)
    else:
        view.pass_over(event)


def world_state(view: TrackView, on: str, position: int | None) -> dict[str, Any]:
    """The current-state document of a `world_view`, with `on`: its next meeting is the
    earliest scheduled one whose `meeting_at` starts after the end of `on`."""
    state = views.track_state(view, position, meetings_after=last_instant_key(on))
    state["on"] = on
    return state
