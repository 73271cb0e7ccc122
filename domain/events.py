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


def _statement_event(statement_type: str, name: str) -> type[StatementRecorded]:
    """One statement type's event class, named as the registry says. The library finds a
    stored event's class by its topic (`domain.events:DemandMade`), so the class is made
    with this module and that name, and bound to the name here below."""
    if name in globals():
        raise ValueError(f"event name {name!r} of {statement_type!r} is already taken")
    cls = type(name, (StatementRecorded,), {"__module__": __name__, "__qualname__": name})
    cls.__doc__ = f"A `{statement_type}` was recorded (see `domain.statement_types`)."
    return cls


# The per-type events (DemandMade, ProposalTabled, ...): no behaviour of their own, the
# class only says which type was recorded. They are module attributes like any class.
STATEMENT_EVENTS: dict[str, type[StatementRecorded]] = {
    statement_type: _statement_event(statement_type, name)
    for statement_type, name in EVENT_FOR_TYPE.items()
}
globals().update({cls.__name__: cls for cls in STATEMENT_EVENTS.values()})
