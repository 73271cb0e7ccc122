"""The `Track` aggregate: one negotiation track, its parties and everything said on it.

Command methods check the invariants and raise from `domain.errors`; `on_*` methods are
the only place state changes, called by the events' `apply` (so replay == live).
"""

from __future__ import annotations

import dataclasses
import sys
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
from domain.values import WITHDRAWABLE_TYPES, default_cameo, sort_key, track_id_for

# Which statuses may follow which: a concluded track stays concluded.
_TRANSITIONS = {
    "active": ("suspended", "concluded"),
    "suspended": ("active", "concluded"),
    "concluded": (),
}


class Track(Aggregate):
    # State (set by `on_*`): JSON-native or StatementRecord (which the application registers
    # with its transcoder), so snapshots round-trip.
    # Version 2: statements are StatementRecord objects; version 1 snapshots held dicts.
    class_version = 2
    slug: str
    kind: str
    title: str
    venue: str | None
    parties: list[str]
    status: str
    opened_at: str
    last_activity_at: str
    head_hash: str
    statements: dict[str, StatementRecord]
    responses_to: dict[str, list[str]]
    withdrawals_of: dict[str, list[str]]
    # Derived indexes, kept so views never scan or re-parse the whole track: statement ids
    # by type in recording order, and each record's "at" (a sortable UTC key).
    by_type: dict[str, list[str]]
    live_counts: dict[str, int]  # non-retracted statements by type
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
        content = event_content(TrackOpened.__name__, track_id, 1, timestamp,
                                {**fields, "originator_topic": get_topic(cls)})
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
        self.responses_to = {}
        self.withdrawals_of = {}
        self.by_type = {}
        self.live_counts = {}
        self.idempotency = {}

    # -- commands ----------------------------------------------------------------------

    def add_party(self, name: str, *, recorded_by: str, key: str | None = None,
                  digest: str | None = None) -> None:
        self._check_open()
        if name in self.parties:
            raise errors.RuleViolation(f"{name!r} is already a party to this track", "name")
        self._record(PartyAdded, recorded_by, key, digest, name=name)

    def change_status(self, status: str, *, reason: str | None, occurred_at: str | None,
                      recorded_by: str, key: str | None = None, digest: str | None = None) -> None:
        if status not in _TRANSITIONS[self.status]:
            raise errors.InvalidTransition(f"a {self.status} track cannot become {status}")
        self._record(TrackStatusChanged, recorded_by, key, digest,
                     status=status, reason=reason, occurred_at=occurred_at)

    def record_statement(self, statement_id: str, statement: dict[str, Any], *,
                         recorded_by: str, key: str | None = None,
                         digest: str | None = None) -> None:
        """Record one statement; `statement` holds the API fields, already well-formed."""
        self._check_open()
        statement = dict(statement)
        kind = statement["type"]
        if statement["party"] not in self.parties:
            raise errors.UnknownParty(
                f"{statement['party']!r} is not a party to this track "
                f"(parties: {', '.join(self.parties)})", "party")
        if statement.get("responds_to") is not None:
            self._resolve(statement["responds_to"], "responds_to")
        if kind == "withdrawal":
            self._check_withdrawable(statement["withdraws"], statement["party"])
        if not statement.get("cameo_code"):
            statement["cameo_code"] = default_cameo(kind, statement)
        self._record(STATEMENT_EVENTS[kind], recorded_by, key, digest,
                     statement_id=statement_id, statement=statement)

    def correct_statement(self, statement_id: str, changes: dict[str, Any], reason: str, *,
                          recorded_by: str, key: str | None = None,
                          digest: str | None = None) -> None:
        self._check_open()
        self._live_statement(statement_id)
        if not changes:
            raise errors.RuleViolation("a correction must change at least one field", "changes")
        self._record(StatementCorrected, recorded_by, key, digest,
                     statement_id=statement_id, changes=dict(changes), reason=reason)

    def retract_statement(self, statement_id: str, reason: str, *, recorded_by: str,
                          key: str | None = None, digest: str | None = None) -> None:
        self._check_open()
        self._live_statement(statement_id)
        self._record(StatementRetracted, recorded_by, key, digest,
                     statement_id=statement_id, reason=reason)

    # -- idempotency ---------------------------------------------------------------------

    def replay_for(self, key: str, digest: str) -> list[str] | None:
        """The statement ids a key already produced, None if unused; another body is an error."""
        seen = self.idempotency.get(key)
        if seen is None:
            return None
        if seen["digest"] != digest:
            raise errors.IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request body")
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
            event.statement_id, event.originator_version, event.timestamp.isoformat(),
            sys.intern(event.recorded_by), _shared(fields), sort_key(fields["occurred_at"]),
            sort_key(meeting_at) if meeting_at is not None else None)
        self.by_type.setdefault(fields["type"], []).append(event.statement_id)
        self.live_counts[fields["type"]] = self.live_counts.get(fields["type"], 0) + 1
        if fields.get("responds_to") is not None:
            self.responses_to.setdefault(fields["responds_to"], []).append(event.statement_id)
        if fields.get("withdraws") is not None:
            self.withdrawals_of.setdefault(fields["withdraws"], []).append(event.statement_id)

    def on_corrected(self, event: StatementCorrected) -> None:
        record = self.statements[event.statement_id]
        record.fields.update(event.changes)
        record.at = sort_key(record.fields["occurred_at"])
        if record.fields.get("meeting_at") is not None:
            record.meeting_key = sort_key(record.fields["meeting_at"])
        record.corrections = (*record.corrections, {
            "recorded_at": event.timestamp.isoformat(),
            "recorded_by": event.recorded_by,
            "reason": event.reason,
            "changes": dict(event.changes),
        })

    def on_retracted(self, event: StatementRetracted) -> None:
        record = self.statements[event.statement_id]
        self.live_counts[record.type] -= 1
        record.retraction = {
            "recorded_at": event.timestamp.isoformat(),
            "recorded_by": event.recorded_by,
            "reason": event.reason,
        }

    # -- helpers ---------------------------------------------------------------------------

    def _record(self, event_class: type[TrackEvent], recorded_by: str, key: str | None,
                digest: str | None, **fields: Any) -> None:
        """Trigger an event with its place in the hash chain computed here, at creation."""
        timestamp: datetime = event_class.create_timestamp()
        fields.update(recorded_by=recorded_by, idempotency_key=key, request_digest=digest)
        # Hash what will be stored: a field left to its default is stored, so hash it too.
        for field in dataclasses.fields(event_class):
            if field.name not in fields and field.default is not dataclasses.MISSING:
                fields[field.name] = field.default
        version = self.version + 1
        content = event_content(event_class.__name__, self.id, version, timestamp, fields)
        self.trigger_event(event_class, timestamp=timestamp, prev_hash=self.head_hash,
                           hash=chain_hash(self.head_hash, content), **fields)

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
                f"{field} names no statement of this track: {statement_id}", field)
        if record.retracted:
            raise errors.UnresolvableReference(
                f"{field} names a retracted statement: {statement_id}", field)
        return record

    def _check_withdrawable(self, target_id: str, party: str) -> None:
        target = self._resolve(target_id, "withdraws")
        if target.type not in WITHDRAWABLE_TYPES:
            raise errors.UnresolvableReference(
                "withdraws must name a demand, proposal or sanction warning", "withdraws")
        if target.party != party:
            raise errors.UnresolvableReference(
                "a party can only withdraw its own demand, proposal or sanction warning",
                "withdraws")
        for withdrawal_id in self.withdrawals_of.get(target_id, []):
            if not self.statements[withdrawal_id].retracted:
                raise errors.UnresolvableReference(
                    f"statement {target_id} is already withdrawn", "withdraws")

    @property
    def track_id(self) -> UUID:
        return self.id

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Version 1 snapshots held each statement as a dict."""
        state["statements"] = {statement_id: StatementRecord.from_dict(record)
                               for statement_id, record in state["statements"].items()}


# Statement fields whose few values recur across a track (types, parties, dates, codes...).
_RECURRING = ("type", "party", "occurred_at", "cameo_code", "position", "category",
              "meeting_at", "location", "target")


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
