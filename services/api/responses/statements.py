"""Statements as answered, derived from the request models of `services.api.schemas`.

Each member of `StatementIn` (one request model per statement type, with `type:
Literal[...]`) becomes `<Type>Public`: its request fields plus what the record adds (API.md,
"A statement as returned"; `domain.views.statement_view` builds it), and `<Type>Written`:
that plus the write's `track_version` and commit `position`. No statement field is typed
twice: a new type or field in the request models shows up here by itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, get_args
from uuid import UUID

from pydantic import BaseModel, Field, RootModel

from domain.statement_types import Attribution, Position
from domain.values import DEMAND_STATUSES, STATUS_BEARING_TYPES
from services.api.responses.base import (
    Public,
    derive,
    public_name,
    relaxed,
    relaxed_fields,
    union_of,
)
from services.api.schemas import SourceItem, StatementIn

DemandStatus = Literal[DEMAND_STATUSES]  # type: ignore[valid-type]
SanctionWarningStatus = Literal["active", "withdrawn", "retracted"]
Precision = Literal["year", "month", "day", "time"]
_PRECISION = "how precisely the date is given: year, month, day or time (of day)"


class CorrectionPublic(Public):
    """One correction of a statement: who changed which fields, when and why."""

    recorded_at: datetime
    recorded_by: str
    reason: str
    changes: dict[str, Any] = Field(
        description="the fields as corrected; null removes an optional field"
    )


class StatementAnswer(Public):
    """What the record adds to the request fields of every statement."""

    id: UUID
    track_id: UUID
    version: int = Field(description="the track version that recorded it")
    recorded_at: datetime
    recorded_by: str = Field(description="the principal that recorded it")
    retracted: bool
    corrections: list[CorrectionPublic]
    occurred_precision: Precision = Field(description=_PRECISION)
    source: relaxed(SourceItem) | None = Field(  # type: ignore[valid-type]
        None, description="the first of `sources` (as v1 answered), or null"
    )
    sources: list[relaxed(SourceItem)] = Field(  # type: ignore[valid-type]
        description="where it was reported, `source` first"
    )
    attribution: Attribution = Field("direct", description="direct unless sent otherwise")
    # A reply's own replies are documented one level down only (the schema is not recursive).
    responses: list[dict[str, Any]] = Field(
        description="the live statements whose `responds_to` names it, by occurred_at"
    )

    # The request models' checks of what a client sends (one of `source` and `sources`, of
    # `position` and `stance`) do not hold for answers, which carry both: a method of the
    # same name, not a validator, drops each from the models derived here.
    @classmethod
    def _not_both_sources(cls, value: Any) -> Any:
        return value

    @classmethod
    def _not_both_stances(cls, value: Any) -> Any:
        return value

    def _one_stance(self) -> Any:
        return self


def request_models() -> dict[str, type[BaseModel]]:
    """The request model of each statement type, by its `type` value."""
    union, *_ = get_args(StatementIn)
    members = get_args(union) or (union,)
    return {get_args(m.model_fields["type"].annotation)[0]: m for m in members}


REQUESTS = request_models()


def _public(request: type[BaseModel], suffix: str = "Public", **fields: Any) -> type[BaseModel]:
    bases = (StatementAnswer, request, Public)  # Public last: its config wins
    # What the record adds wins over a request field of the same name (`source`, ...).
    answered = {n: (f.annotation, f) for n, f in StatementAnswer.model_fields.items()}
    overrides = {**relaxed_fields(request), **answered}
    if "position" in request.model_fields:
        # Sent as one or the other, answered as both (API.md v1.1, "stance").
        fields["position"] = (Position, Field(description="the response's stance"))
        fields["stance"] = (Position, Field(description="the response's stance"))
    if "meeting_at" in request.model_fields:
        fields["meeting_precision"] = (Precision, Field(description=_PRECISION))
    return derive(public_name(request, suffix), bases, **{**overrides, **fields})


def _statuses(kind: str) -> dict[str, Any]:
    """The status fields a statement of `kind` is answered with, itself or as a reply."""
    if kind in STATUS_BEARING_TYPES:
        return {
            "status": (DemandStatus, Field(description="derived from its responses (API.md)")),
            "claimed_status": (
                DemandStatus | None,
                Field(description="as `status`, from claimed or unconfirmed responses only"),
            ),
        }
    if kind in ("sanction_warning", "warning"):
        return {"status": (SanctionWarningStatus, ...)}
    return {}


_REPLY: Any = Annotated[
    union_of([_public(m, "Reply", **_statuses(k)) for k, m in REQUESTS.items()]),
    Field(discriminator="type"),
]
_REPLIES = (
    list[_REPLY],
    Field(description="the live statements whose `responds_to` names it, by occurred_at"),
)
PUBLIC: dict[str, type[BaseModel]] = {
    kind: _public(model, **_statuses(kind), responses=_REPLIES) for kind, model in REQUESTS.items()
}


def _written(kind: str, public: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "track_version": (int, Field(description="the track's version after the write")),
        "position": (int, Field(description="the global commit position of the write")),
    }
    if kind == "response":
        # The stance would collide with the commit position: the answer echoes it under
        # another name (services.api.routes.statements._written).
        fields["response_position"] = (Position, Field(description="the response's stance"))
    return derive(public_name(REQUESTS[kind], "Written"), (public, Public), **fields)


WRITTEN = {kind: _written(kind, public) for kind, public in PUBLIC.items()}


def discriminated(name: str, models: list[type[BaseModel]], doc: str) -> Any:
    """A named model that is one of `models`, told apart by `type` as the request union is
    (named, so that a client generated from the document gets a type, not a title)."""
    one_of = (
        models[0] if len(models) == 1 else Annotated[union_of(models), Field(discriminator="type")]
    )
    root = RootModel[one_of]  # type: ignore[valid-type]
    return type(name, (root,), {"__module__": __name__, "__doc__": doc})


StatementPublic = discriminated(
    "StatementPublic", list(PUBLIC.values()), "A statement as returned, by its type."
)
StatementWritten = discriminated(
    "StatementWritten",
    list(WRITTEN.values()),
    "A statement as a write returns it: with the track's version and the commit position.",
)
DemandPublic = PUBLIC["demand"]
BoardItem = discriminated(
    "BoardItem",
    [PUBLIC["demand"], PUBLIC["proposal"]],
    "A demand, or with `type=proposal` a proposal, with its status and responses.",
)


class BatchWritten(Public):
    """The statements a batch recorded, in the order sent, and the write's position."""

    items: list[StatementPublic]  # type: ignore[valid-type]
    track_version: int = Field(description="the track's version after the batch")
    position: int = Field(description="the global commit position of the batch's last event")


class TimelinePage(Public):
    items: list[StatementPublic]  # type: ignore[valid-type]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null: the last"
    )


class DemandBoard(Public):
    items: list[BoardItem]  # type: ignore[valid-type]
