"""`TrackView`: what a track shows, as a pure fold of its events.

The `Track` aggregate keeps only what its invariants need; everything a reader sees (every
statement's record with its answers, withdrawals, corrections and retraction, the counts,
the statements the current-state document shows) is folded here: built from the track's
`TrackOpened`, then `apply(event)` for each later event, in order. The projector, as-of,
rebuild, verify and the write answers all fold the same way; `domain.views` renders it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.events import (
    PartyAdded,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    TrackOpened,
    TrackStatusChanged,
)
from domain.records import StatementRecord
from domain.statuses import MEETINGS, PART_OF_TYPE, part_in_view, place, replace_meeting, shared
from domain.track import Track
from domain.values import sort_key

# The shape of `checkpoint()`. Release 1 wrote view checkpoints from `Track` class version
# 3 and stored that number in them: it stays, so those checkpoints keep loading.
CHECKPOINT_VERSION = 3
# What a view checkpoint keeps besides the records in view (see `checkpoint`).
_CHECKPOINT_ATTRS = (
    "slug",
    "kind",
    "title",
    "venue",
    "parties",
    "status",
    "opened_at",
    "last_activity_at",
    "head_hash",
    "live_counts",
    "in_view",
)


class OutOfOrder(ValueError):
    """An event that does not follow the view's version: a fold that missed one."""


class TrackView:
    """A track's current-state document and its statements, at `version`."""

    def __init__(
        self,
        id: UUID,
        version: int,
        *,
        slug: str,
        kind: str,
        title: str,
        venue: str | None,
        parties: list[str],
        status: str,
        opened_at: str,
        created_on: datetime,
        modified_on: datetime,
        head_hash: str,
        last_activity_at: str | None = None,
        statements: MutableMapping[str, StatementRecord] | None = None,
        in_view: dict[str, dict[str, None]] | None = None,
        live_counts: dict[str, int] | None = None,
    ) -> None:
        self.id = id
        self.version = version
        self.slug = slug
        self.kind = kind
        self.title = title
        self.venue = venue
        self.parties = list(parties)
        self.status = status
        self.opened_at = opened_at
        self.created_on = created_on
        self.modified_on = modified_on
        self.head_hash = head_hash
        self.last_activity_at = last_activity_at or modified_on.isoformat()
        # Every statement by id; in a view from a checkpoint, a mapping that loads the
        # records outside the view when first asked for them (services.checkpoints).
        self.statements = statements if statements is not None else {}
        # Kept so views never scan the whole track: the statements that the document shows
        # or needs (open demands, active sanction warnings, live meetings) by their part in
        # it, each part's ids in a dict as an ordered set; and the live statements by type.
        self.in_view = in_view if in_view is not None else {}
        self.live_counts = live_counts if live_counts is not None else {}

    @classmethod
    def opened(cls, event: TrackOpened) -> TrackView:
        return cls(
            event.originator_id,
            event.originator_version,
            slug=event.slug,
            kind=event.kind,
            title=event.title,
            venue=event.venue,
            parties=event.parties,
            status="active",
            opened_at=event.opened_at,
            created_on=event.timestamp,
            modified_on=event.timestamp,
            head_hash=event.hash,
        )

    @classmethod
    def fold(cls, events: Iterable[Any]) -> TrackView | None:
        """The view after `events`, the track's from its first on; None if there are none."""
        view: TrackView | None = None
        for event in events:
            if view is None:
                view = cls.opened(event)
            else:
                view.apply(event)
        return view

    @classmethod
    def without_statements(cls, track: Track, version: int) -> TrackView:
        """`track`'s header at `version`, knowing none of its statements: folding the events
        after `version` onto it shows the statements they record exactly (only later
        statements answer or withdraw a statement), and nothing else."""
        return cls(
            track.id,
            version,
            slug=track.slug,
            kind=track.kind,
            title=track.title,
            venue=track.venue,
            parties=track.parties,
            status=track.status,
            opened_at=track.opened_at,
            created_on=track.created_on,
            modified_on=track.modified_on,
            head_hash=track.head_hash,
        )

    # -- folding ------------------------------------------------------------------------

    def apply(self, event: Any) -> None:
        self._follows(event)
        if isinstance(event, StatementRecorded):
            self._on_statement(event)
        elif isinstance(event, StatementCorrected):
            self._on_corrected(event)
        elif isinstance(event, StatementRetracted):
            self._on_retracted(event)
        elif isinstance(event, PartyAdded):
            self.parties.append(event.name)
        elif isinstance(event, TrackStatusChanged):
            self.status = event.status
        else:
            raise TypeError(f"a track view cannot apply {type(event).__name__}")
        self._advance(event)

    def pass_over(self, event: Any) -> None:
        """Count `event` in the version without applying it (`domain.world_time`: what had
        not happened by a date is left out; version and recording times stay current)."""
        self._follows(event)
        self._advance(event)

    def _follows(self, event: Any) -> None:
        if event.originator_version != self.version + 1:
            raise OutOfOrder(
                f"event {event.originator_version} of track {event.originator_id} does not"
                f" follow version {self.version}"
            )

    def _advance(self, event: Any) -> None:
        self.version = event.originator_version
        self.modified_on = event.timestamp
        self.last_activity_at = event.timestamp.isoformat()
        self.head_hash = event.hash

    def _on_statement(self, event: StatementRecorded) -> None:
        fields = event.statement
        meeting_at = fields.get("meeting_at")
        self.statements[event.statement_id] = StatementRecord(
            event.statement_id,
            event.originator_version,
            event.timestamp.isoformat(),
            sys.intern(event.recorded_by),
            shared(fields),
            sort_key(fields["occurred_at"]),
            sort_key(meeting_at) if meeting_at is not None else None,
        )
        self.live_counts[fields["type"]] = self.live_counts.get(fields["type"], 0) + 1
        answered, withdrawn = self._targets_of(event.statement_id)
        if answered is not None:
            answered.add_answer(event.statement_id)
        if withdrawn is not None:
            withdrawn.add_withdrawal(event.statement_id)
        self._refresh_view(event.statement_id)

    def _on_corrected(self, event: StatementCorrected) -> None:
        record = self.statements[event.statement_id]
        record.fields.update(event.changes)
        # One of `source` (v1) and `sources` (v1.1) holds the sources: the one corrected.
        if "sources" in event.changes:
            record.fields.pop("source", None)
        elif "source" in event.changes:
            record.fields.pop("sources", None)
        record.at = sort_key(record.fields["occurred_at"])
        if record.fields.get("meeting_at") is not None:
            record.meeting_key = sort_key(record.fields["meeting_at"])
        record.corrections = (
            *record.corrections,
            {
                "recorded_at": event.timestamp.isoformat(),
                "recorded_by": event.recorded_by,
                "reason": event.reason,
                "changes": dict(event.changes),
            },
        )
        # A response's new date can make another answer the latest one of its target.
        self._refresh_view(event.statement_id)

    def _on_retracted(self, event: StatementRetracted) -> None:
        record = self.statements[event.statement_id]
        self.live_counts[record.type] -= 1
        record.retraction = {
            "recorded_at": event.timestamp.isoformat(),
            "recorded_by": event.recorded_by,
            "reason": event.reason,
        }
        self._refresh_view(event.statement_id)

    def _targets_of(self, statement_id: str) -> tuple[StatementRecord | None, ...]:
        """The statements that `statement_id` answers and withdraws (None where none)."""
        fields = self.statements[statement_id].fields
        return tuple(
            self.statements.get(ref) if ref is not None else None
            for ref in (fields.get("responds_to"), fields.get("withdraws"))
        )

    def _refresh_view(self, statement_id: str) -> None:
        """Re-place a statement that changed, and those it answers or withdraws."""
        changed = self.statements[statement_id]
        if changed.type in MEETINGS:
            replace_meeting(self.statements, self.in_view, changed)
            return
        for record in (changed, *self._targets_of(statement_id)):
            if record is None or record.type not in PART_OF_TYPE or record.type in MEETINGS:
                continue
            place(
                self.in_view,
                record.id,
                PART_OF_TYPE[record.type],
                part_in_view(self.statements, record) is not None,
            )

    def view_parts(self) -> dict[str, str]:
        """Each statement in view with its part."""
        return {i: part for part, ids in self.in_view.items() for i in ids}

    # -- view checkpoints -----------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """What it takes to show this track and to apply later events to it, without the
        statements outside the view: those are loaded one by one when an event names them
        (`from_checkpoint`). Its size follows the current-state document, not the history."""
        state = {name: getattr(self, name) for name in _CHECKPOINT_ATTRS}
        state["records"] = [self.statements[i] for ids in self.in_view.values() for i in ids]
        state["created_on"] = self.created_on
        state["modified_on"] = self.modified_on
        state["class_version"] = CHECKPOINT_VERSION
        return state

    @classmethod
    def from_checkpoint(
        cls,
        track_id: UUID,
        version: int,
        state: Mapping[str, Any],
        statements: MutableMapping[str, StatementRecord],
    ) -> TrackView | None:
        """The view at `version` from its `checkpoint()`; `statements` must give every record
        asked for (it gets the checkpoint's own). None if the checkpoint has another shape
        than `CHECKPOINT_VERSION`, which this code does not know."""
        if state.get("class_version") != CHECKPOINT_VERSION:
            return None
        for record in state["records"]:
            statements[record.id] = record
        return cls(
            track_id,
            version,
            **{name: state[name] for name in _CHECKPOINT_ATTRS},
            created_on=state["created_on"],
            modified_on=state["modified_on"],
            statements=statements,
        )
