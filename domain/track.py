"""The `Track` aggregate: one negotiation track, the consistency boundary of its writes.

It keeps only what its invariants need: its header and status, the head of its hash chain,
the idempotency keys it has seen, and a compact index of its statements. What a track shows
is folded from the same events by `domain.document.TrackView`. Command methods check the
invariants and raise from `domain.errors`; `on_*` methods are the only place state changes,
called by the events' `apply` (so replay == live).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain import errors, statement_checks, statement_index
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
from domain.names import find_party, party_key
from domain.values import default_cameo, track_id_for

# Which statuses may follow which: a concluded track stays concluded.
_TRANSITIONS = {"active": ("suspended", "concluded"), "suspended": ("active", "concluded")}


class Track(Aggregate):
    # State (set by `on_*`), JSON-native so snapshots round-trip. Version 4: an index of
    # the statements (`domain.statement_index`) replaces their records and the view.
    class_version = 4
    upcast_v1_v2 = staticmethod(statement_index.upcast_v1_v2)
    upcast_v2_v3 = staticmethod(statement_index.upcast_v2_v3)
    upcast_v3_v4 = staticmethod(statement_index.upcast_v3_v4)
    slug: str
    kind: str
    title: str
    venue: str | None
    parties: list[str]
    status: str
    opened_at: str
    head_hash: str
    index: dict[str, list[Any]]
    idempotency: dict[str, dict[str, Any]]

    def __init__(self) -> None:
        pass

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
        if len({party_key(party) for party in parties}) != len(parties):
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
        stored = {**fields, "originator_topic": get_topic(cls)}
        content = event_content(TrackOpened.__name__, track_id, 1, timestamp, stored)
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
        self.head_hash = event.hash
        self.index = {}
        self.idempotency = {}

    # -- commands ----------------------------------------------------------------------

    def add_party(
        self, name: str, *, recorded_by: str, key: str | None = None, digest: str | None = None
    ) -> None:
        self._check_open()
        known = find_party(name, self.parties)
        if known is not None:
            raise errors.RuleViolation(f"{known!r} is already a party to this track", "name")
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
        if status not in _TRANSITIONS.get(self.status, ()):
            raise errors.InvalidTransition(f"a {self.status} track cannot become {status}")
        change = {"status": status, "reason": reason, "occurred_at": occurred_at}
        self._record(TrackStatusChanged, recorded_by, key, digest, **change)

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
        statement = statement_checks.in_track_spelling(statement, self.parties)
        kind = statement["type"]
        statement_checks.check_statement(statement, self.parties, str(self.id))
        if statement.get("responds_to") is not None:
            statement_index.resolve(self.index, statement["responds_to"], "responds_to")
        if kind == "withdrawal":
            withdraws, party = statement["withdraws"], statement["party"]
            hearsay = statement_checks.is_hearsay(statement)
            statement_index.check_withdrawable(self.index, withdraws, party, hearsay=hearsay)
        if not statement.get("cameo_code"):
            statement["cameo_code"] = default_cameo(kind, statement)
        recorded = {"statement_id": statement_id, "statement": statement}
        self._record(STATEMENT_EVENTS[kind], recorded_by, key, digest, **recorded)

    def correct_statement(
        self,
        statement_id: str,
        changes: dict[str, Any],
        reason: str,
        *,
        current: dict[str, Any] | None = None,
        recorded_by: str,
        key: str | None = None,
        digest: str | None = None,
    ) -> None:
        """Correct a statement whose fields are now `current` (as the track shows them):
        the corrected statement must keep every rule a recorded one keeps. Without
        `current`, the rules that the changed fields and the index decide alone."""
        self._check_open()
        entry = statement_index.live(self.index, statement_id)
        if current is None:
            current = {"type": entry[statement_index.TYPE], "party": entry[statement_index.PARTY]}
        if not changes:
            raise errors.RuleViolation("a correction must change at least one field", "changes")
        changes = statement_checks.in_track_spelling(changes, self.parties)
        fields = statement_checks.corrected(current, changes)
        statement_checks.check_statement(fields, self.parties, str(self.id))
        statement_index.check_correction(self.index, statement_id, fields, changes)
        correction = {"statement_id": statement_id, "changes": dict(changes), "reason": reason}
        self._record(StatementCorrected, recorded_by, key, digest, **correction)

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
        statement_index.live(self.index, statement_id)
        retraction = {"statement_id": statement_id, "reason": reason}
        self._record(StatementRetracted, recorded_by, key, digest, **retraction)

    def replay_for(self, key: str, digest: str) -> list[str] | None:
        """The statement ids a key already produced, None if unused; another body is an error."""
        return statement_index.replay_for(self.idempotency, key, digest)

    def version_for(self, key: str) -> int:
        """The track version the key's write left behind (its last event)."""
        return int(self.idempotency[key]["version"])

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

    # -- state changes (called by events; the index: `domain.statement_index`) -----------

    def on_statement(self, event: StatementRecorded) -> None:
        statement_index.add(self.index, event.statement_id, event.statement)

    def on_corrected(self, event: StatementCorrected) -> None:
        statement_index.correct(self.index, event.statement_id, event.changes)

    def on_retracted(self, event: StatementRetracted) -> None:
        statement_index.retract(self.index, event.statement_id)
