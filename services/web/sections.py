"""The parts of the track page, cut from statement views (`domain.views.statement_view`, as
the API answers them): the timeline in one lane per party, the demand board, the warnings
and the meetings. Nothing here decides a status: each comes with the view; this module only
groups the views by what the statement-type registry says their type is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.statement_types import HEARSAY, STATEMENT_TYPE_SPECS
from domain.statuses import MEETINGS
from domain.values import STATUS_BEARING_TYPES
from domain.views import WARNING_TYPES
from services.web.dates import day_of, readable
from services.web.pages import Link, statement_href

DEMAND = "demand"  # the board's own type; the other status-bearing ones are listed apart
TYPE_LABELS = {name: name.replace("_", " ") for name in STATEMENT_TYPE_SPECS}
_LABEL_LENGTH = 90  # characters of a summary quoted in an "answers" label


@dataclass(frozen=True)
class Entry:
    """One statement as the page shows it."""

    view: dict[str, Any]
    href: str  # its statement page
    lane: int  # its party's lane, from 1
    when: str  # occurred_at, readable
    day: str  # the UTC day it starts on
    home: tuple[str, str] | None  # another track's (slug, title) when not this track's
    answers: Link | None  # what it answers or withdraws
    replies: list[Link] = field(default_factory=list)
    claimed_by: str | None = None  # who claims its claimed status (None: unconfirmed)

    @property
    def id(self) -> str:
        return str(self.view["id"])

    @property
    def type_label(self) -> str:
        kind = str(self.view["type"])
        return TYPE_LABELS.get(kind, kind)

    @property
    def status_label(self) -> str | None:
        status = self.view.get("status")
        return None if status is None else str(status).replace("_", " ")

    @property
    def claimed_label(self) -> str | None:
        claimed = self.view.get("claimed_status")
        return None if claimed is None else str(claimed).replace("_", " ")


@dataclass(frozen=True)
class Day:
    """A row of the timeline: a day, and in each lane the statements made on it."""

    day: str
    cells: list[list[Entry]]


@dataclass(frozen=True)
class Sections:
    lanes: list[str]
    timeline: list[Entry]
    days: list[Day]
    demands: list[Entry]
    proposals: list[Entry]
    active_warnings: list[Entry]
    withdrawn_warnings: list[Entry]
    held_meetings: list[Entry]
    scheduled_meetings: list[Entry]
    next_meeting_id: str | None


def sections(
    state: dict[str, Any], shown: list[dict[str, Any]], homes: dict[str, tuple[str, str]]
) -> Sections:
    """`shown`: the statement views in timeline order, this track's and those of other
    tracks (`homes`: their track's slug and title by track id) that concern it."""
    slug, track_id = state["slug"], state["id"]
    lanes = list(state["parties"])
    lanes += list(dict.fromkeys(v["party"] for v in shown if v["party"] not in lanes))
    on_page = {v["id"]: v for v in shown}

    def href(view: dict[str, Any]) -> str:
        home = slug if view["track_id"] == track_id else homes[view["track_id"]][0]
        return statement_href(home, view["id"])

    def link(view: dict[str, Any]) -> Link:
        target = f"#s-{view['id']}" if view["id"] in on_page else href(view)
        return Link(target, _label(view))

    def entry(view: dict[str, Any]) -> Entry:
        ref = view.get("responds_to") or view.get("withdraws")
        answers = None
        if ref is not None:
            # Not on the page: another track's statement answering one of its own track;
            # its statement page shows what it answers.
            answers = link(on_page[ref]) if ref in on_page else Link(href(view), "see its page")
        return Entry(
            view=view,
            href=href(view),
            lane=lanes.index(view["party"]) + 1,
            when=readable(view["occurred_at"]),
            day=day_of(view["occurred_at"]).isoformat(),
            home=None if view["track_id"] == track_id else homes[view["track_id"]],
            answers=answers,
            replies=[link(reply) for reply in view.get("responses", [])],
            claimed_by=_claimant(view),
        )

    timeline = [entry(v) for v in shown]
    own = [e for e in timeline if e.home is None and not e.view["retracted"]]
    board = [e for e in own if e.view["type"] in STATUS_BEARING_TYPES]
    warnings = [e for e in own if e.view["type"] in WARNING_TYPES]
    meetings = [e for e in own if e.view["type"] in MEETINGS]
    next_meeting = state.get("next_meeting")
    return Sections(
        lanes=lanes,
        timeline=timeline,
        days=_by_day(timeline, len(lanes)),
        demands=[e for e in board if e.view["type"] == DEMAND],
        proposals=[e for e in board if e.view["type"] != DEMAND],
        active_warnings=[e for e in warnings if e.view.get("status") == "active"],
        withdrawn_warnings=[e for e in warnings if e.view.get("status") != "active"],
        held_meetings=[e for e in meetings if e.view["type"] == "meeting_held"],
        scheduled_meetings=[e for e in meetings if e.view["type"] == "meeting_scheduled"],
        next_meeting_id=next_meeting["id"] if next_meeting else None,
    )


def _by_day(timeline: list[Entry], lanes: int) -> list[Day]:
    days: dict[str, Day] = {}
    for e in timeline:
        row = days.setdefault(e.day, Day(e.day, [[] for _ in range(lanes)]))
        row.cells[e.lane - 1].append(e)
    return list(days.values())


def _label(view: dict[str, Any]) -> str:
    summary = str(view["summary"])
    if len(summary) > _LABEL_LENGTH:
        summary = summary[: _LABEL_LENGTH - 1].rstrip() + "…"
    kind = TYPE_LABELS.get(view["type"], view["type"])
    return f"{kind} of {view['party']}, {readable(view['occurred_at'])}: {summary}"


def _claimant(view: dict[str, Any]) -> str | None:
    """Who claims the claimed status: the `claimed_by` of the newest hearsay response (the
    one `claimed_status` follows); None when unconfirmed or there is none."""
    hearsay = [
        r for r in view.get("responses", []) if r.get("attribution") in HEARSAY and "position" in r
    ]
    return hearsay[-1].get("claimed_by") if hearsay else None
