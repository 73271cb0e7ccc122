"""The audit answers (`services.audit`): the log as recorded, the global feed, the check of
the hash chain. Event `data` is the stored event's own fields, whatever its type."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from services.api.responses.base import Public

_ERROR = "only on a stored event that cannot be decoded (its other fields are then null)"


class HistoryEvent(Public):
    version: int
    type: str = Field(description="the event's class name, e.g. DemandMade")
    recorded_at: datetime | None
    recorded_by: str | None
    data: dict[str, Any] | None = Field(description="the event's fields, as recorded")
    hash: str | None
    prev_hash: str | None
    error: str | None = Field(default=None, description=_ERROR)


class HistoryPage(Public):
    items: list[HistoryEvent]
    next_after_version: int | None = Field(
        description="pass as `after_version` for the next page; null: the last"
    )


class FeedEvent(Public):
    position: int = Field(description="the global commit position (the SSE `id:`)")
    track_id: UUID
    version: int
    type: str = Field(description="the event's class name, e.g. DemandMade")
    recorded_at: datetime | None
    data: dict[str, Any] | None = Field(description="the event's fields, as recorded")
    error: str | None = Field(default=None, description=_ERROR)


class EventsPage(Public):
    items: list[FeedEvent]
    next_after: int | None = Field(
        description="pass as `after` for the next page; null: the current end of the log"
    )


class VerifyReport(Public):
    valid: bool = Field(description="the chain, the snapshots and the checkpoints all hold")
    events_checked: int
    head_hash: str | None = Field(description="the newest hash verified unbroken from genesis")
    first_invalid_version: int | None
    snapshots_checked: int
    invalid_snapshots: list[int] = Field(description="versions of snapshots that differ")
    checkpoints_checked: int
    invalid_checkpoints: list[int] = Field(description="versions of checkpoints that differ")
