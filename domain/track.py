"""The `Track` aggregate: one negotiation track, its parties and everything said on it.

Command methods check the invariants and raise from `domain.errors`; `on_*` methods are
the only place state changes, called by the events' `apply` (so replay == live).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain import errors
from domain.events import (
    STATEMENT_EVENTS,
    PartyAdded,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    TrackEvent,
    TrackOpened,
    TrackStatusChanged,
)
from domain.hashchain import GENESIS_HASH, chain_hash, event_content
from domain.records import StatementRecord
from domain.values import (
    WITHDRAWABLE_TYPES,
    default_cameo,
    sort_key,
    status_for_position,
    track_id_for,
)

# Which statuses may follow which: a concluded track stays concluded.
_TRANSITIONS = {
    "active": ("suspended", "concluded"),
    "suspended": ("active", "concluded"),
    "concluded": (),
}

# The parts a statement can play in the track's current-state document (`in_view`).
OPEN_DEMAND = "open_demand"
ACTIVE_WARNING = "active_warning"
MEETING_SCHEDULED = "meeting_scheduled"
MEETING_HELD = "meeting_held"
_MEETINGS = ("meeting_scheduled", "meeting_held")
# A statement can only play the part of its type.
PART_OF_TYPE = {
    "demand": OPEN_DEMAND,
    "sanction_warning": ACTIVE_WARNING,
    "meeting_scheduled": MEETING_SCHEDULED,
    "meeting_held": MEETING_HELD,
}

# What a view checkpoint keeps of a track besides the records in view (see `checkpoint`).
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


class Track(Aggregate):
    # State (set by `on_*`): JSON-native or StatementRecord (which the application registers
    # with its transcoder), so snapshots round-trip.
    # Version 2: statements are StatementRecord objects; version 1 snapshots held dicts.
    # Version 3: answers and withdrawals live on their target's record, and `in_view`
    # replaces the ids by type.
    class_version = 3
    slug: str
    kind: str
    title: str
    venue: str | None
    parties: list[str]
    status: str
    opened_at: str
    last_activity_at: str
    head_hash: str
    # Every statement by id; in a track rebuilt from a view checkpoint, a mapping that
    # loads the records outside the view when first asked for them.
    statements: MutableMapping[str, StatementRecord]
    # Derived indexes, kept so views never scan the whole track: the statements that the
    # current-state document shows or needs (open demands, active sanction warnings, live
    # meetings) with their part in it, and the live statements by type.
    in_view: dict[str, dict[str, None]]  # part -> ids playing it (a dict as ordered set)
    live_counts: dict[str, int]
    idempotency: dict[str, dict[str, Any]]

    def __init__(self) -> None:
        pass

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        slug: str,
        kind: str,
        title: str,
        venue: str | None,
        parties: list[str],
        opened_at: str,
        recorded_by: str,
    ) -> Track:
        if len(set(parties)) != len(parties):
            raise errors.RuleViolation("parties must be distinct", field="parties")
        track_id = track_id_for(slug)
        timestamp = TrackOpened.create_timestamp()
        fields = {
            "slug": slug,
            "kind": kind,
            "title": title,
            "venue": venue,
            "parties": list(parties),
            "opened_at": opened_at,
            "recorded_by": recorded_by,
            "idempotency_key": None,
            "request_digest": None,
        }
        # The library adds the aggregate's topic to the stored event: hash it too.
        content = event_content(
            TrackOpened.__name__,
            track_id,
            1,
            timestamp,
            {**fields, "originator_topic": get_topic(cls)},
        )
        return cls._create(
            TrackOpened,
            id=track_id,
            timestamp=timestamp,
            prev_hash=GENESIS_HASH,
            hash=chain_hash(GENESIS_HASH, content),
            **fields,
        )

    def on_opened(self, event: TrackOpened) -> None:
        self.slug = event.slug
        self.kind = event.kind
        self.title = event.title
        self.venue = event.venue
        self.parties = list(event.parties)
        self.status = "active"
        self.opened_at = event.opened_at
        self.last_activity_at = event.timestamp.isoformat()
        self.head_hash = event.hash
        self.statements = {}
        self.in_view = {}
        self.live_counts = {}
        self.idempotency = {}

    # -- commands ----------------------------------------------------------------------

    def add_party(
        self, name: str, *, recorded_by: str, key: str | None = None, digest: str | None = None
    ) -> None:
        self._check_open()
        if name in self.parties:
            raise errors.RuleViolation(f"{name!r} is already a party to this track", "name")
        self._record(PartyAdded, recorded_by, key, digest, name=name)

    def change_status(
        self,
        status: str,
        *,
        reason: str | None,
        occurred_at: str | None,
        recorded_by: str,
        key: str | None = None,
        digest: str | None = None,
    ) -> None:
        if status not in _TRANSITIONS[self.status]:
            raise errors.InvalidTransition(f"a {self.status} track cannot become {status}")
        self._record(
            TrackStatusChanged,
            recorded_by,
            key,
            digest,
            status=status,
            reason=reason,
            occurred_at=occurred_at,
        )

    def record_statement(
        self,
        statement_id: str,
        statement: dict[str, Any],
        *,
        recorded_by: str,
        key: str | None = None,
        digest: str | None = None,
    ) -> None:
        """Record one statement; `statement` holds the API fields, already well-formed."""
        self._check_open()
        statement = dict(statement)
        kind = statement["type"]
        if statement["party"] not in self.parties:
            raise errors.UnknownParty(
                f"{statement['party']!r} is not a party to this track "
                f"(parties: {', '.join(self.parties)})",
                "party",
            )
        if statement.get("responds_to") is not None:
            self._resolve(statement["responds_to"], "responds_to")
        if kind == "withdrawal":
            self._check_withdrawable(statement["withdraws"], statement["party"])
        if not statement.get("cameo_code"):
            statement["cameo_code"] = default_cameo(kind, statement)
        self._record(
            STATEMENT_EVENTS[kind],
            recorded_by,
            key,
            digest,
            statement_id=statement_id,
            statement=statement,
        )

    def correct_statement(
        self,
        statement_id: str,
        changes: dict[str, Any],
        reason: str,
        *,
        recorded_by: str,
        key: str | None = None,
        digest: str | None = None,
    ) -> None:
        self._check_open()
        self._live_statement(statement_id)
        if not changes:
            raise errors.RuleViolation("a correction must change at least one field", "changes")
        self._record(
            StatementCorrected,
            recorded_by,
            key,
            digest,
            statement_id=statement_id,
            changes=dict(changes),
            reason=reason,
        )

    def retract_statement(
        self,
        statement_id: str,
        reason: str,
        *,
        recorded_by: str,
        key: str | None = None,
        digest: str | None = None,
    ) -> None:
        self._check_open()
        self._live_statement(statement_id)
        self._record(
            StatementRetracted, recorded_by, key, digest, statement_id=statement_id, reason=reason
        )

    # -- idempotency ---------------------------------------------------------------------

    def replay_for(self, key: str, digest: str) -> list[str] | None:
        """The statement ids a key already produced, None if unused; another body is an error."""
        seen = self.idempotency.get(key)
        if seen is None:
            return None
        if seen["digest"] != digest:
            raise errors.IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body"
            )
        return list(seen["targets"])

    def version_for(self, key: str) -> int:
        """The track version the key's write left behind (its last event)."""
        return int(self.idempotency[key]["version"])

    def remember_key(self, key: str, digest: str, target: str | None, version: int) -> None:
        entry = self.idempotency.setdefault(key, {"digest": digest, "targets": []})
        entry["version"] = version
        if target is not None:
            entry["targets"].append(target)

    # -- state changes (called by events) -------------------------------------------------

    def on_statement(self, event: StatementRecorded) -> None:
        fields = event.statement
        meeting_at = fields.get("meeting_at")
        self.statements[event.statement_id] = StatementRecord(
            event.statement_id,
            event.originator_version,
            event.timestamp.isoformat(),
            sys.intern(event.recorded_by),
            _shared(fields),
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

    def on_corrected(self, event: StatementCorrected) -> None:
        record = self.statements[event.statement_id]
        record.fields.update(event.changes)
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

    def on_retracted(self, event: StatementRetracted) -> None:
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
        if changed.type in _MEETINGS:
            self._replace_meeting(changed)
            return
        for record in (changed, *self._targets_of(statement_id)):
            if record is None or record.type not in PART_OF_TYPE or record.type in _MEETINGS:
                continue
            self._place(
                record.id,
                PART_OF_TYPE[record.type],
                part_in_view(self.statements, record) is not None,
            )

    def _place(self, statement_id: str, part: str, shown: bool) -> None:
        ids = self.in_view.setdefault(part, {})
        if shown:
            ids[statement_id] = None
        else:
            ids.pop(statement_id, None)

    def _replace_meeting(self, record: StatementRecord) -> None:
        """Only the meetings that decide the next one stay in view: the newest held, and the
        scheduled ones after it. If the newest held is retracted or re-dated, the rest are
        looked at again (a track rebuilt from a checkpoint loads them all for that)."""
        held_ids = self.in_view.setdefault(MEETING_HELD, {})
        scheduled = self.in_view.setdefault(MEETING_SCHEDULED, {})
        held = self.statements[next(iter(held_ids))] if held_ids else None
        if record.type == "meeting_scheduled":
            self._place(
                record.id,
                MEETING_SCHEDULED,
                not record.retracted and (held is None or record.meeting_key > held.at),
            )
        elif held is not None and held.id == record.id:
            parts = meeting_parts(self.statements.values())
            for part, ids in ((MEETING_HELD, held_ids), (MEETING_SCHEDULED, scheduled)):
                ids.clear()
                ids.update((i, None) for i, p in parts.items() if p == part)
        elif not record.retracted and (
            held is None or (record.at, record.version) > (held.at, held.version)
        ):
            held_ids.clear()
            held_ids[record.id] = None
            for statement_id in [
                i for i in scheduled if self.statements[i].meeting_key <= record.at
            ]:
                del scheduled[statement_id]

    def view_parts(self) -> dict[str, str]:
        """Each statement in view with its part."""
        return {i: part for part, ids in self.in_view.items() for i in ids}

    # -- status (API.md's rules; `domain.views` shows them) ---------------------------------

    def is_withdrawn(self, statement_id: str) -> bool:
        return is_withdrawn(self.statements, self.statements[statement_id])

    def status_of(self, statement_id: str) -> str:
        return status_of(self.statements, self.statements[statement_id])

    # -- view checkpoints ------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """What it takes to show this track and to apply later events to it, without the
        statements outside the view: those are loaded one by one when an event names them
        (`from_checkpoint`). Its size follows the current-state document, not the history."""
        state = {name: getattr(self, name) for name in _CHECKPOINT_ATTRS}
        state["records"] = [self.statements[i] for ids in self.in_view.values() for i in ids]
        state["created_on"] = self.created_on
        state["modified_on"] = self.modified_on
        state["class_version"] = self.class_version
        return state

    @classmethod
    def from_checkpoint(
        cls,
        track_id: UUID,
        version: int,
        state: Mapping[str, Any],
        statements: MutableMapping[str, StatementRecord],
    ) -> Track | None:
        """The track at `version` from its `checkpoint()`; `statements` must give every
        record asked for (it gets the checkpoint's own). None if the checkpoint was taken by
        another class version, whose shape this code does not know."""
        if state.get("class_version") != cls.class_version:
            return None
        for record in state["records"]:
            statements[record.id] = record
        track = object.__new__(cls)
        vars(track).update(
            {name: state[name] for name in _CHECKPOINT_ATTRS},
            _id=track_id,
            _version=version,
            _created_on=state["created_on"],
            _modified_on=state["modified_on"],
            _pending_events=[],
            statements=statements,
            idempotency={},
        )
        return track

    # -- helpers ---------------------------------------------------------------------------

    def _record(
        self,
        event_class: type[TrackEvent],
        recorded_by: str,
        key: str | None,
        digest: str | None,
        **fields: Any,
    ) -> None:
        """Trigger an event with its place in the hash chain computed here, at creation."""
        timestamp: datetime = event_class.create_timestamp()
        fields.update(recorded_by=recorded_by, idempotency_key=key, request_digest=digest)
        # Hash what will be stored: a field left to its default is stored, so hash it too.
        for field in dataclasses.fields(event_class):
            if field.name not in fields and field.default is not dataclasses.MISSING:
                fields[field.name] = field.default
        version = self.version + 1
        content = event_content(event_class.__name__, self.id, version, timestamp, fields)
        self.trigger_event(
            event_class,
            timestamp=timestamp,
            prev_hash=self.head_hash,
            hash=chain_hash(self.head_hash, content),
            **fields,
        )

    def _check_open(self) -> None:
        if self.status != "active":
            raise errors.TrackClosed(f"the track is {self.status}; nothing can be recorded on it")

    def _live_statement(self, statement_id: str) -> StatementRecord:
        record = self.statements.get(statement_id)
        if record is None:
            raise errors.StatementNotFound(f"no statement {statement_id} on this track")
        if record.retracted:
            raise errors.AlreadyRetracted(f"statement {statement_id} was retracted")
        return record

    def _resolve(self, statement_id: Any, field: str) -> StatementRecord:
        record = self.statements.get(str(statement_id))
        if record is None:
            raise errors.UnresolvableReference(
                f"{field} names no statement of this track: {statement_id}", field
            )
        if record.retracted:
            raise errors.UnresolvableReference(
                f"{field} names a retracted statement: {statement_id}", field
            )
        return record

    def _check_withdrawable(self, target_id: str, party: str) -> None:
        target = self._resolve(target_id, "withdraws")
        if target.type not in WITHDRAWABLE_TYPES:
            raise errors.UnresolvableReference(
                "withdraws must name a demand, proposal or sanction warning", "withdraws"
            )
        if target.party != party:
            raise errors.UnresolvableReference(
                "a party can only withdraw its own demand, proposal or sanction warning",
                "withdraws",
            )
        if is_withdrawn(self.statements, target):
            raise errors.UnresolvableReference(
                f"statement {target_id} is already withdrawn", "withdraws"
            )

    @property
    def track_id(self) -> UUID:
        return self.id

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 snapshots held each statement as a dict."""
        state["statements"] = {
            statement_id: StatementRecord.from_dict(record)
            for statement_id, record in state["statements"].items()
        }

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Version 2 snapshots kept answers and withdrawals in track-wide maps, and the ids
        by type instead of the statements in view."""
        statements: dict[str, StatementRecord] = state["statements"]
        for target_id, ids in state.pop("responses_to").items():
            if target_id in statements:
                statements[target_id].answers = list(ids)
        for target_id, ids in state.pop("withdrawals_of").items():
            if target_id in statements:
                statements[target_id].withdrawals = list(ids)
        del state["by_type"]
        parts = {r.id: part_in_view(statements, r) for r in statements.values()}
        parts.update(meeting_parts(statements.values()))
        in_view: dict[str, dict[str, None]] = {}
        for statement_id, part in parts.items():
            if part is not None:
                in_view.setdefault(part, {})[statement_id] = None
        state["in_view"] = in_view


def is_withdrawn(statements: Mapping[str, StatementRecord], record: StatementRecord) -> bool:
    return any(not statements[i].retracted for i in record.withdrawals)


def status_of(statements: Mapping[str, StatementRecord], record: StatementRecord) -> str:
    """A demand's or proposal's status by API.md's rule: withdrawn, else what the latest
    live answer from another party says (by when it occurred), else open."""
    if is_withdrawn(statements, record):
        return "withdrawn"
    latest: StatementRecord | None = None
    for answer_id in record.answers:
        answer = statements[answer_id]
        if answer.retracted or answer.type != "response" or answer.party == record.party:
            continue
        if latest is None or (answer.at, answer.version) > (latest.at, latest.version):
            latest = answer
    return "open" if latest is None else status_for_position(latest.fields["position"])


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
    meetings = [r for r in records if r.type in _MEETINGS]
    live = [r for r in meetings if not r.retracted]
    held = max(
        (r for r in live if r.type == "meeting_held"), key=lambda r: (r.at, r.version), default=None
    )
    parts: dict[str, str | None] = {r.id: None for r in meetings}
    if held is not None:
        parts[held.id] = MEETING_HELD
    for r in live:
        if r.type == "meeting_scheduled" and (held is None or r.meeting_key > held.at):
            parts[r.id] = MEETING_SCHEDULED
    return parts


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
)


def _shared(fields: dict[str, Any]) -> dict[str, Any]:
    """A copy of a statement's fields with its recurring values interned. A long track
    repeats the same few of them thousands of times, and each validated or decoded copy was
    its own object (a tenth of a cached statement's memory). Named fields only: walking
    every value cost a fifth of a rebuild's CPU."""
    shared = dict(fields)
    for name in _RECURRING:
        value = shared.get(name)
        if type(value) is str:
            shared[name] = sys.intern(value)
    topics = shared.get("topics")
    if topics:
        shared["topics"] = [sys.intern(t) if type(t) is str else t for t in topics]
    source = shared.get("source")
    if type(source) is dict and type(source.get("publisher")) is str:
        shared["source"] = {**source, "publisher": sys.intern(source["publisher"])}
    return shared
