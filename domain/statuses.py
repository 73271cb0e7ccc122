"""API.md's rules over statement records: a demand's status, a withdrawn statement, the
part a statement plays in the current-state document (`in_view`), the next meeting.

One statement of the rules, used by the document fold (`domain.document`) and the views
rendered from it (`domain.views`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

from domain.records import StatementRecord
from domain.statement_checks import is_hearsay
from domain.statement_types import STATEMENT_TYPE_SPECS
from domain.values import status_for_position

# The parts a statement can play in the track's current-state document (`in_view`).
OPEN_DEMAND = "open_demand"
ACTIVE_WARNING = "active_warning"
MEETING_SCHEDULED = "meeting_scheduled"
MEETING_HELD = "meeting_held"
# The registry says which board shows a type; here, the part it plays there. The meeting
# types play one part each, since the next meeting depends on both (`meeting_parts`).
_PART_ON_BOARD = {"open_demands": OPEN_DEMAND, "active_sanction_warnings": ACTIVE_WARNING}
MEETINGS = tuple(n for n, spec in STATEMENT_TYPE_SPECS.items() if spec.board == "next_meeting")
PART_OF_TYPE = {
    name: name if spec.board == "next_meeting" else _PART_ON_BOARD[spec.board]
    for name, spec in STATEMENT_TYPE_SPECS.items()
    if spec.board is not None
}


def _when(meeting: StatementRecord) -> str:
    """When a scheduled meeting is to take place (every one names its date)."""
    return meeting.meeting_key or ""


def _counts(record: StatementRecord) -> bool:
    """Whether a live statement speaks for its party itself (API.md v1.1): a claimed or
    unconfirmed one is shown, but decides no status and withdraws nothing."""
    return not record.retracted and not is_hearsay(record.fields)


def is_withdrawn(statements: Mapping[str, StatementRecord], record: StatementRecord) -> bool:
    return any(_counts(statements[i]) for i in record.withdrawals)


def withdrawn_by(
    statements: Mapping[str, StatementRecord], record: StatementRecord
) -> StatementRecord | None:
    """The withdrawal that withdrew it: the first (by when it occurred) that counts, since a
    later one withdraws nothing more; None if it is not withdrawn."""
    counting = [statements[i] for i in record.withdrawals if _counts(statements[i])]
    return min(counting, key=lambda r: (r.at, r.version), default=None)


def _latest_response(
    statements: Mapping[str, StatementRecord], record: StatementRecord, *, hearsay: bool
) -> StatementRecord | None:
    """The newest live response from another party (by when it occurred), among the
    party's own words or, with `hearsay`, among claimed and unconfirmed ones."""
    latest: StatementRecord | None = None
    for answer_id in record.answers:
        answer = statements[answer_id]
        if answer.retracted or answer.type != "response" or answer.party == record.party:
            continue
        if is_hearsay(answer.fields) != hearsay:
            continue
        if latest is None or (answer.at, answer.version) > (latest.at, latest.version):
            latest = answer
    return latest


def status_of(statements: Mapping[str, StatementRecord], record: StatementRecord) -> str:
    """A demand's or proposal's status by API.md's rule: withdrawn, else what the latest
    live answer from another party says (by when it occurred), else open."""
    if is_withdrawn(statements, record):
        return "withdrawn"
    latest = _latest_response(statements, record, hearsay=False)
    return "open" if latest is None else status_for_position(latest.fields["position"])


def status_decided_by(
    statements: Mapping[str, StatementRecord], record: StatementRecord
) -> StatementRecord | None:
    """The statement that gives a demand or proposal the status `status_of` gives it: the
    withdrawal that withdrew it, else the response whose stance is the status; None while
    nothing answered it (open)."""
    withdrawal = withdrawn_by(statements, record)
    if withdrawal is not None:
        return withdrawal
    return _latest_response(statements, record, hearsay=False)


def claimed_status_of(
    statements: Mapping[str, StatementRecord], record: StatementRecord
) -> str | None:
    """What the newest claimed or unconfirmed response would make the status, or None."""
    latest = _latest_response(statements, record, hearsay=True)
    return None if latest is None else status_for_position(latest.fields["position"])


def part_in_view(statements: Mapping[str, StatementRecord], record: StatementRecord) -> str | None:
    """The part a demand or sanction warning plays in the current-state document, if any
    (meetings depend on each other: `meeting_parts`)."""
    if record.retracted:
        return None
    kind = record.type
    if kind == "demand":
        return OPEN_DEMAND if status_of(statements, record) == "open" else None
    if kind == "sanction_warning":
        return None if is_withdrawn(statements, record) else ACTIVE_WARNING
    return None


def meeting_parts(records: Iterable[StatementRecord]) -> dict[str, str | None]:
    """Every meeting's part, None for none: the newest live held meeting (by when it
    occurred), and the live scheduled meetings after it (API.md's next-meeting rule)."""
    meetings = [r for r in records if r.type in MEETINGS]
    live = [r for r in meetings if not r.retracted]
    held = max(
        (r for r in live if r.type == "meeting_held"), key=lambda r: (r.at, r.version), default=None
    )
    parts: dict[str, str | None] = {r.id: None for r in meetings}
    if held is not None:
        parts[held.id] = MEETING_HELD
    for r in live:
        if r.type == "meeting_scheduled" and (held is None or _when(r) > held.at):
            parts[r.id] = MEETING_SCHEDULED
    return parts


def place(in_view: dict[str, dict[str, None]], statement_id: str, part: str, shown: bool) -> None:
    ids = in_view.setdefault(part, {})
    if shown:
        ids[statement_id] = None
    else:
        ids.pop(statement_id, None)


def replace_meeting(
    statements: Mapping[str, StatementRecord],
    in_view: dict[str, dict[str, None]],
    record: StatementRecord,
) -> None:
    """Only the meetings that decide the next one stay in view: the newest held, and the
    scheduled ones after it. If the newest held is retracted or re-dated, the rest are
    looked at again (a view from a checkpoint loads them all for that)."""
    held_ids = in_view.setdefault(MEETING_HELD, {})
    scheduled = in_view.setdefault(MEETING_SCHEDULED, {})
    held = statements[next(iter(held_ids))] if held_ids else None
    if record.type == "meeting_scheduled":
        place(
            in_view,
            record.id,
            MEETING_SCHEDULED,
            not record.retracted and (held is None or _when(record) > held.at),
        )
    elif held is not None and held.id == record.id:
        parts = meeting_parts(statements.values())
        for part, ids in ((MEETING_HELD, held_ids), (MEETING_SCHEDULED, scheduled)):
            ids.clear()
            ids.update((i, None) for i, p in parts.items() if p == part)
    elif not record.retracted and (
        held is None or (record.at, record.version) > (held.at, held.version)
    ):
        held_ids.clear()
        held_ids[record.id] = None
        for statement_id in [i for i in scheduled if _when(statements[i]) <= record.at]:
            del scheduled[statement_id]


# Statement fields whose few values recur across a track (types, parties, dates, codes...).
_RECURRING = (
    "type",
    "party",
    "occurred_at",
    "cameo_code",
    "position",
    "category",
    "meeting_at",
    "location",
    "target",
    "attribution",
    "format",
)


def shared(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of a statement's fields with its recurring values interned: a long track
    repeats the same few thousands of times. Named fields only (see benchmarks/README.md)."""
    copy = dict(fields)
    for name in _RECURRING:
        value = copy.get(name)
        if type(value) is str:
            copy[name] = sys.intern(value)
    topics = copy.get("topics")
    if topics:
        copy["topics"] = [sys.intern(t) if type(t) is str else t for t in topics]
    source = copy.get("source")
    if type(source) is dict and type(source.get("publisher")) is str:
        copy["source"] = {**source, "publisher": sys.intern(source["publisher"])}
    sources = copy.get("sources")
    if type(sources) is list:
        copy["sources"] = [
            {**s, "publisher": sys.intern(s["publisher"])}
            if type(s) is dict and type(s.get("publisher")) is str
            else s
            for s in sources
        ]
    return copy
