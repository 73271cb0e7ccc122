"""A track's state document as answered (API.md, "Current state of a track"), built by
`domain.views.track_state`; the board entries repeat fields of the statement request models."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from domain.values import TrackKind, TrackStatus
from services.api.dates import Moment
from services.api.responses.base import Public, derive, field_of
from services.api.responses.statements import REQUESTS


def _entry(name: str, kind: str, *names: str, doc: str) -> type[BaseModel]:
    """A board entry: the statement's id and some of its fields, always present."""
    request = REQUESTS[kind]
    model = derive(
        name,
        (Public,),
        id=(UUID, ...),
        **{n: field_of(request, n, required=True) for n in names},
    )
    model.__doc__ = doc
    return model


OpenDemand = _entry(
    "OpenDemand",
    "demand",
    "party",
    "summary",
    "occurred_at",
    "red_line",
    doc="A demand whose status is open, not retracted.",
)
ActiveSanctionWarning = _entry(
    "ActiveSanctionWarning",
    "sanction_warning",
    "party",
    "target",
    "summary",
    "occurred_at",
    doc="A sanction warning neither withdrawn nor retracted.",
)
NextMeeting = _entry(
    "NextMeeting",
    "meeting_scheduled",
    "meeting_at",
    "location",
    doc="The earliest scheduled meeting after the newest meeting held.",
)


class TrackState(Public):
    """What every form of the state document holds; `position` differs between them."""

    id: UUID
    slug: str
    kind: TrackKind
    title: str
    venue: str | None
    parties: list[str]
    status: TrackStatus
    version: int = Field(description="the track's version: the number of its events")
    opened_at: Moment
    last_activity_at: datetime = Field(description="when its newest event was recorded")
    statement_count: int = Field(description="statements not retracted")
    counts_by_type: dict[str, int] = Field(
        description="statements not retracted, by type; types with none are left out"
    )
    open_demands: list[OpenDemand]  # type: ignore[valid-type]
    active_sanction_warnings: list[ActiveSanctionWarning]  # type: ignore[valid-type]
    next_meeting: NextMeeting | None  # type: ignore[valid-type]
    on: str | None = Field(
        default=None, description="with `on=DATE`: the date whose world this state shows"
    )


class TrackPublic(TrackState):
    """The current state of a track (also the answer of a write that changes the track)."""

    position: int = Field(description="the global position this state reflects")


class TrackList(Public):
    items: list[TrackPublic] = Field(description="most recent activity first")


class AsOf(Public):
    version: int
    recorded_at: datetime = Field(description="when that version was recorded")


class TrackAsOfPublic(TrackState):
    """The state rebuilt from the event store as it stood after `as_of.version`."""

    position: None = Field(description="always null: no read model is involved")
    as_of: AsOf
