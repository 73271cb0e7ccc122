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

from domain.values import DEMAND_STATUSES, STATUS_BEARING_TYPES
from services.api.responses.base import Public, derive, public_name, relaxed_fields, union_of
from services.api.schemas import StatementIn

DemandStatus = Literal[DEMAND_STATUSES]  # type: ignore[valid-type]
SanctionWarningStatus = Literal["active", "withdrawn", "retracted"]


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


def request_models() -> dict[str, type[BaseModel]]:
    """The request model of each statement type, by its `type` value."""
    union, *_ = get_args(StatementIn)
    members = get_args(union) or (union,)
    return {get_args(m.model_fields["type"].annotation)[0]: m for m in members}


REQUESTS = request_models()


def _public(request: type[BaseModel], **fields: Any) -> type[BaseModel]:
    bases = (StatementAnswer, request, Public)  # Public last: its config wins
    return derive(public_name(request), bases, **relaxed_fields(request), **fields)


_plain = {kind: _public(model) for kind, model in REQUESTS.items()}
_response_public = _plain["response"]

PUBLIC: dict[str, type[BaseModel]] = {}
for _kind, _model in REQUESTS.items():
    if _kind in STATUS_BEARING_TYPES:
        PUBLIC[_kind] = _public(
            _model,
            status=(DemandStatus, Field(description="derived from its responses (API.md)")),
            responses=(list[_response_public], Field(description="by occurred_at")),  # type: ignore[valid-type]
        )
    elif _kind == "sanction_warning":
        PUBLIC[_kind] = _public(_model, status=(SanctionWarningStatus, ...))
    else:
        PUBLIC[_kind] = _plain[_kind]


def _written(kind: str, public: type[BaseModel]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        "track_version": (int, Field(description="the track's version after the write")),
        "position": (int, Field(description="the global commit position of the write")),
    }
    if kind == "response":
        # The stance would collide with the commit position: the answer echoes it under
        # another name (services.api.routes.statements._written).
        stance = REQUESTS[kind].model_fields.get("position")
        fields["response_position"] = (
            stance.annotation if stance is not None else str,
            Field(description="the response's stance"),
        )
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
    items: list[DemandPublic]  # type: ignore[valid-type]
