"""What a track looks like to its readers, rendered from its `TrackView`.

With `domain.statuses` and the fold in `domain.document`, these functions are the single
statement of API.md's rules (demand status, active sanction warnings, next meeting,
retracted statements leaving counts). The projector stores their output, `as-of` applies
them to a view folded up to a past version, and the write answers to the write's own
events, so every state is computed by the same code.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain import statuses
from domain.document import TrackView
from domain.records import StatementRecord, references
from domain.statuses import ACTIVE_WARNING, MEETING_HELD, MEETING_SCHEDULED, OPEN_DEMAND
from domain.values import STATUS_BEARING_TYPES, precision_of

# Types whose statements are active until withdrawn or retracted.
WARNING_TYPES = ("warning", "sanction_warning")


def _live(track: TrackView, ids: Iterable[str]) -> list[StatementRecord]:
    return [track.statements[i] for i in ids if not track.statements[i].retracted]


def _by_occurrence(record: StatementRecord) -> tuple[str, int]:
    return record.at, record.version


def _in_view(track: TrackView, part: str) -> list[StatementRecord]:
    """The statements playing `part` in the document (all live by construction)."""
    return [track.statements[i] for i in track.in_view.get(part, ())]


def is_withdrawn(track: TrackView, statement_id: str) -> bool:
    return statuses.is_withdrawn(track.statements, track.statements[statement_id])


def status_of(track: TrackView, statement_id: str) -> str:
    """A demand's or proposal's status by API.md's rule (stated in `domain.statuses`)."""
    return statuses.status_of(track.statements, track.statements[statement_id])


def responses_of(track: TrackView, statement_id: str) -> list[dict[str, Any]]:
    """Every live statement that answers it (`responds_to`), by when it occurred."""
    answers = _live(track, track.statements[statement_id].answers)
    return [statement_view(track, r.id) for r in sorted(answers, key=_by_occurrence)]


# What an answer shows for a v1.1 field that was not sent (API.md's defaults).
_SHOWN_DEFAULTS = {"attribution": "direct"}
_MEETING_DEFAULTS = {"format": "in_person"}


def _sources(fields: dict[str, Any]) -> dict[str, Any]:
    """`sources`, and `source` as v1 readers know it: the first of them, or null."""
    sources = fields.get("sources")
    if sources is None:  # as v1 recorded it
        source = fields.get("source")
        return {"source": source, "sources": [source] if source else []}
    return {"source": sources[0] if sources else None, "sources": sources}


def statement_view(track: TrackView, statement_id: str) -> dict[str, Any]:
    record = track.statements[statement_id]
    fields = record.fields
    kind = record.type
    view: dict[str, Any] = {
        "id": record.id,
        "track_id": str(track.id),
        **_SHOWN_DEFAULTS,
        **(_MEETING_DEFAULTS if kind in statuses.MEETINGS else {}),
        **fields,
        **_sources(fields),
        "occurred_precision": precision_of(fields["occurred_at"]),
        "version": record.version,
        "recorded_at": record.recorded_at,
        "recorded_by": record.recorded_by,
        "retracted": record.retracted,
        "corrections": list(record.corrections),
    }
    if fields.get("meeting_at") is not None:
        view["meeting_precision"] = precision_of(fields["meeting_at"])
    if kind == "response":
        view["stance"] = fields["position"]
    if kind in STATUS_BEARING_TYPES:
        view["status"] = status_of(track, statement_id)
        view["claimed_status"] = statuses.claimed_status_of(track.statements, record)
    elif kind in WARNING_TYPES:
        if record.retracted:
            view["status"] = "retracted"
        else:
            view["status"] = "withdrawn" if is_withdrawn(track, statement_id) else "active"
    view["responses"] = responses_of(track, statement_id)
    return view


def _when_set(fields: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: fields[n] for n in names if fields.get(n) is not None}


def open_demands(track: TrackView) -> list[dict[str, Any]]:
    demands = _in_view(track, OPEN_DEMAND)
    return [
        {
            "id": r.id,
            "party": r.party,
            "summary": r.fields["summary"],
            "occurred_at": r.fields["occurred_at"],
            "red_line": bool(r.fields.get("red_line", False)),
            **_when_set(r.fields, "speaker"),
        }
        for r in sorted(demands, key=_by_occurrence)
    ]


def active_sanction_warnings(track: TrackView) -> list[dict[str, Any]]:
    warnings = _in_view(track, ACTIVE_WARNING)
    return [
        {
            "id": r.id,
            "party": r.party,
            "target": r.fields["target"],
            "summary": r.fields["summary"],
            "occurred_at": r.fields["occurred_at"],
            **_when_set(r.fields, "condition", "speaker"),
        }
        for r in sorted(warnings, key=_by_occurrence)
    ]


def next_meeting(track: TrackView, after: str | None = None) -> dict[str, Any] | None:
    """Earliest scheduled meeting later than the newest meeting held (any, if none held)
    and, given `after` (a `sort_key`), later than that instant."""
    held = [r.at for r in _in_view(track, MEETING_HELD)]
    newest_held = max(held) if held else None
    upcoming = [
        r
        for r in _in_view(track, MEETING_SCHEDULED)
        if (newest_held is None or (r.meeting_key or "") > newest_held)
        and (after is None or (r.meeting_key or "") > after)
    ]
    if not upcoming:
        return None
    first = min(upcoming, key=lambda r: (r.meeting_key or "", r.version))
    return {
        "id": first.id,
        "meeting_at": first.fields["meeting_at"],
        "location": first.fields["location"],
    }


def counts_by_type(track: TrackView) -> dict[str, int]:
    return {kind: n for kind, n in track.live_counts.items() if n}


def track_state(
    track: TrackView, position: int | None, meetings_after: str | None = None
) -> dict[str, Any]:
    """The current-state document of API.md, at the aggregate's version (`meetings_after`:
    see `next_meeting`)."""
    counts = counts_by_type(track)
    return {
        "id": str(track.id),
        "slug": track.slug,
        "kind": track.kind,
        "title": track.title,
        "venue": track.venue,
        "parties": list(track.parties),
        "status": track.status,
        "version": track.version,
        "position": position,
        "opened_at": track.opened_at,
        "last_activity_at": track.last_activity_at,
        "statement_count": sum(counts.values()),
        "counts_by_type": counts,
        "open_demands": open_demands(track),
        "active_sanction_warnings": active_sanction_warnings(track),
        "next_meeting": next_meeting(track, meetings_after),
    }


def affected_statements(track: TrackView, statement_id: str) -> list[str]:
    """Statements whose view changes when `statement_id` is recorded, corrected or retracted:
    itself, the statement it answers or withdraws (its status and responses), and up the
    chain of `responds_to` from there, since each view shows those answering it in full."""
    affected = {statement_id: None}
    pending = [ref for ref in references(track.statements[statement_id].fields)]
    while pending:
        ref = pending.pop(0)
        if ref in affected or ref not in track.statements:
            continue
        affected[ref] = None
        answers = track.statements[ref].fields.get("responds_to")
        if answers is not None:
            pending.append(str(answers))
    return list(affected)
