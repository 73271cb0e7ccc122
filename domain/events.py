"""The events of a track's stream (DESIGN.md's catalogue), each in the past tense.

Every event carries who recorded it, the idempotency key and request digest of the write
that produced it (if any), and its place in the hash chain. Fields are JSON-native so the
chain can be recomputed from the stored rows alone (see `hashchain`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from domain import statement_index
from domain.values import EVENT_FOR_TYPE

if TYPE_CHECKING:
    from domain.track import Track


class TrackOpened(Aggregate.Created):
    slug: str
    kind: str
    title: str
    venue: str | None
    parties: list[str]
    opened_at: str
    recorded_by: str
    idempotency_key: str | None
    request_digest: str | None
    prev_hash: str
    hash: str

    def apply(self, aggregate: Any) -> None:
        aggregate.on_opened(self)


class TrackEvent(Aggregate.Event):
    recorded_by: str
    idempotency_key: str | None
    request_digest: str | None
    prev_hash: str
    hash: str

    def apply(self, aggregate: Any) -> None:
        track: Track = aggregate
        track.head_hash = self.hash
        if self.idempotency_key is not None:
            statement_index.remember_key(
                track.idempotency,
                self.idempotency_key,
                self.request_digest or "",
                self.target(),
                self.originator_version,
            )
        self.apply_to(track)

    def target(self) -> str | None:
        """The statement this event records or touches, for the idempotency map."""
        return getattr(self, "statement_id", None)

    def apply_to(self, track: Track) -> None:
        raise NotImplementedError


class PartyAdded(TrackEvent):
    name: str

    def apply_to(self, track: Track) -> None:
        track.parties.append(self.name)


class TrackStatusChanged(TrackEvent):
    status: str
    reason: str | None
    occurred_at: str | None

    def apply_to(self, track: Track) -> None:
        track.status = self.status


class StatementRecorded(TrackEvent):
    """Base of the per-type statement events; `statement` holds the API fields."""

    statement_id: str
    statement: dict[str, Any]

    def apply_to(self, track: Track) -> None:
        track.on_statement(self)


class StatementCorrected(TrackEvent):
    statement_id: str
    changes: dict[str, Any]
    reason: str

    def apply_to(self, track: Track) -> None:
        track.on_corrected(self)


class StatementRetracted(TrackEvent):
    statement_id: str
    reason: str

    def apply_to(self, track: Track) -> None:
        track.on_retracted(self)


class DemandMade(StatementRecorded):
    pass


class ProposalTabled(StatementRecorded):
    pass


class ResponseGiven(StatementRecorded):
    pass


class ConcessionMade(StatementRecorded):
    pass


class SanctionWarningIssued(StatementRecorded):
    pass


class WarningIssued(StatementRecorded):
    pass


class MeetingScheduled(StatementRecorded):
    pass


class MeetingHeld(StatementRecorded):
    pass


class AgreementReached(StatementRecorded):
    pass


class Withdrawn(StatementRecorded):
    pass


class StatementMade(StatementRecorded):
    pass


STATEMENT_EVENTS: dict[str, type[StatementRecorded]] = {
    statement_type: globals()[name] for statement_type, name in EVENT_FOR_TYPE.items()
}
