"""What changed in world time between two dates, as answered (`domain.changes.change_item`)."""

from __future__ import annotations

from uuid import UUID

from pydantic import ConfigDict, Field

from domain.changes import Effect
from services.api.dates import Moment
from services.api.responses.base import ANSWER_CONFIG, Public
from services.api.responses.statements import DemandStatus, StatementPublic

# `from` is a Python keyword: the fields are named `from_` and answered by their alias.
_BY_ALIAS = ConfigDict(**ANSWER_CONFIG, serialize_by_alias=True, validate_by_name=True)


class ChangeItem(Public):
    """One statement new in the window, by what it did."""

    model_config = _BY_ALIAS

    track_id: UUID = Field(description="the home track of the statement that made the change")
    track_slug: str
    effect: Effect = Field(
        description="`new_demand` (a demand or a proposal), `demand_status_changed`,"
        " `warning_issued` (a warning or sanction warning), `warning_withdrawn`,"
        " `meeting_scheduled`, `meeting_held`, `agreement`, or `other`"
    )
    occurred_at: Moment = Field(
        description="when the change happened: the `occurred_at` of the statement that made"
        " it (the `cause`, if there is one)"
    )
    statement: StatementPublic = Field(
        description="the statement as it stands on `to`; for `demand_status_changed` and"
        " `warning_withdrawn` the demand, proposal or warning that changed"
    )
    cause: UUID | None = Field(
        None,
        description="with `demand_status_changed` and `warning_withdrawn`: the id of the"
        " response or withdrawal that made the change",
    )
    from_: DemandStatus | None = Field(
        None,
        alias="from",
        description="with `demand_status_changed`: the status on `from` (open for a demand"
        " new in the window)",
    )
    to: DemandStatus | None = Field(
        None, description="with `demand_status_changed`: the status on `to`"
    )


class ChangesPage(Public):
    """What changed in world time in (`from`, `to`]: the statements whose start of period
    is after the end of `from` and not after the end of `to`, as now recorded."""

    model_config = _BY_ALIAS

    from_: Moment = Field(alias="from", description="the date as sent")
    to: Moment = Field(description="the date as sent")
    items: list[ChangeItem] = Field(
        description="by occurred_at (start of period), then commit position"
    )
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null: the last"
    )
