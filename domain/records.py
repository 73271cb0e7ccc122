"""`StatementRecord`: one statement as a track holds it (its fields, who recorded it and
when, its corrections and retraction).

A slotted object, not a dict: a long track holds thousands of them in every process that
caches it, and a dict per statement was a quarter of a cached statement's memory. In a
snapshot a record is a plain JSON list (see `as_list`), so it costs no keys either.
"""

from __future__ import annotations

from typing import Any


class StatementRecord:
    __slots__ = (
        "at",
        "corrections",
        "fields",
        "id",
        "meeting_key",
        "recorded_at",
        "recorded_by",
        "retraction",
        "version",
    )

    def __init__(self, id: str, version: int, recorded_at: str, recorded_by: str,
                 fields: dict[str, Any], at: str, meeting_key: str | None = None,
                 retraction: dict[str, Any] | None = None,
                 corrections: tuple[dict[str, Any], ...] = ()) -> None:
        self.id = id
        self.version = version
        self.recorded_at = recorded_at
        self.recorded_by = recorded_by
        self.fields = fields  # the API fields as recorded, corrections applied
        self.at = at  # sort_key(fields["occurred_at"])
        self.meeting_key = meeting_key  # sort_key(fields["meeting_at"]), if it has one
        self.retraction = retraction  # who retracted it, when and why
        self.corrections = corrections  # shared empty tuple until the first correction

    @property
    def retracted(self) -> bool:
        return self.retraction is not None

    @property
    def type(self) -> str:
        return self.fields["type"]  # type: ignore[no-any-return]

    @property
    def party(self) -> str:  # a correction may change it
        return self.fields["party"]  # type: ignore[no-any-return]

    def as_list(self) -> list[Any]:
        return [self.id, self.version, self.recorded_at, self.recorded_by, self.fields,
                self.at, self.meeting_key, self.retraction, list(self.corrections)]

    @classmethod
    def from_list(cls, values: list[Any]) -> StatementRecord:
        *head, corrections = values
        return cls(*head, corrections=tuple(corrections))

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> StatementRecord:
        """A record as snapshots of `Track` class version 1 hold it."""
        return cls(record["id"], record["version"], record["recorded_at"],
                   record["recorded_by"], record["fields"], record["at"],
                   record.get("meeting_key"), record.get("retraction"),
                   tuple(record.get("corrections") or ()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatementRecord):
            return NotImplemented
        return self.as_list() == other.as_list()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatementRecord({self.as_list()!r})"
