"""`StatementRecord`: one statement as a track holds it (its fields, who recorded it and
when, its corrections and retraction).

A slotted object, not a dict: a long track holds thousands of them in every process that
caches it, and a dict per statement was a quarter of a cached statement's memory. In a
snapshot a record is a plain JSON list (see `as_list`), so it costs no keys either.
"""

from __future__ import annotations

from typing import Any


def references(fields: dict[str, Any]) -> list[str]:
    """The statements a statement's fields name: what it answers, what it withdraws."""
    return [
        str(ref) for ref in (fields.get("responds_to"), fields.get("withdraws")) if ref is not None
    ]


class StatementRecord:
    __slots__ = (
        "answers",
        "at",
        "corrections",
        "fields",
        "id",
        "meeting_key",
        "recorded_at",
        "recorded_by",
        "retraction",
        "version",
        "withdrawals",
    )

    def __init__(
        self,
        id: str,
        version: int,
        recorded_at: str,
        recorded_by: str,
        fields: dict[str, Any],
        at: str,
        meeting_key: str | None = None,
        retraction: dict[str, Any] | None = None,
        corrections: tuple[dict[str, Any], ...] = (),
        answers: list[str] | tuple[()] = (),
        withdrawals: list[str] | tuple[()] = (),
    ) -> None:
        self.id = id
        self.version = version
        self.recorded_at = recorded_at
        self.recorded_by = recorded_by
        self.fields = fields  # the API fields as recorded, corrections applied
        self.at = at  # sort_key(fields["occurred_at"])
        self.meeting_key = meeting_key  # sort_key(fields["meeting_at"]), if it has one
        self.retraction = retraction  # who retracted it, when and why
        self.corrections = corrections  # shared empty tuple until the first correction
        # Ids of the responses to this statement and of the withdrawals naming it, in
        # recording order, retracted ones too (a retraction marks them, never removes).
        # Kept on the record, not in track-wide maps, so a record carries all that its
        # status needs: `as-of` loads only the records it touches (services.checkpoints).
        self.answers = answers  # shared empty tuple until the first
        self.withdrawals = withdrawals

    @property
    def retracted(self) -> bool:
        return self.retraction is not None

    @property
    def type(self) -> str:
        return self.fields["type"]  # type: ignore[no-any-return]

    @property
    def party(self) -> str:  # a correction may change it
        return self.fields["party"]  # type: ignore[no-any-return]

    def add_answer(self, statement_id: str) -> None:
        if isinstance(self.answers, tuple):
            self.answers = [statement_id]
        else:
            self.answers.append(statement_id)

    def add_withdrawal(self, statement_id: str) -> None:
        if isinstance(self.withdrawals, tuple):
            self.withdrawals = [statement_id]
        else:
            self.withdrawals.append(statement_id)

    def as_list(self) -> list[Any]:
        return [
            self.id,
            self.version,
            self.recorded_at,
            self.recorded_by,
            self.fields,
            self.at,
            self.meeting_key,
            self.retraction,
            list(self.corrections),
            list(self.answers),
            list(self.withdrawals),
        ]

    @classmethod
    def from_list(cls, values: list[Any]) -> StatementRecord:
        """From `as_list`; a 9-item list is a `Track` class version 2 snapshot's record,
        whose answers and withdrawals the track's upcaster restores."""
        (
            id,
            version,
            recorded_at,
            recorded_by,
            fields,
            at,
            meeting_key,
            retraction,
            corrections,
            *links,
        ) = values
        answers, withdrawals = links or ((), ())
        return cls(
            id,
            version,
            recorded_at,
            recorded_by,
            fields,
            at,
            meeting_key,
            retraction,
            tuple(corrections),
            answers or (),
            withdrawals or (),
        )

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> StatementRecord:
        """A record as snapshots of `Track` class version 1 hold it."""
        return cls(
            record["id"],
            record["version"],
            record["recorded_at"],
            record["recorded_by"],
            record["fields"],
            record["at"],
            record.get("meeting_key"),
            record.get("retraction"),
            tuple(record.get("corrections") or ()),
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatementRecord):
            return NotImplemented
        return self.as_list() == other.as_list()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatementRecord({self.as_list()!r})"
