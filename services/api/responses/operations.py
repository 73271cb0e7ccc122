"""Liveness and readiness answers (`services.api.routes.health`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.api.responses.base import Public


class Health(Public):
    status: Literal["ok"]


class Readiness(Public):
    status: Literal["ready"]
    position: int = Field(description="the newest position of the log")
    projection_position: int = Field(description="the position the read model applied")
    lag: int = Field(description="events the read model is behind the log")
