"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter
from starlette.responses import Response

from services.api.deps import TrackerDep, json_response
from services.api.problems import problem
from services.api.responses import Health, Readiness
from services.bootstrap import Tracker
from services.projections.projector import PROJECTION

router = APIRouter(tags=["operations"])


# The probes' own thread budget: a readiness check never queues behind the routes' threads.
_PROBES = anyio.CapacityLimiter(2)


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Response:
    """The process is up (answered on the event loop: no thread, so nothing queues it)."""
    return json_response({"status": "ok"})


@router.get("/readyz", response_model=Readiness, summary="Readiness")
async def readyz(tracker: TrackerDep) -> Response:
    """The store answers and the read model lags the log by less than the threshold."""
    return await anyio.to_thread.run_sync(_readiness, tracker, limiter=_PROBES)


def _readiness(tracker: Tracker) -> Response:
    try:
        head = tracker.app.max_position()
        applied = tracker.read_model.position(PROJECTION)
    except Exception as e:  # any failure to reach the store means "not ready"
        return problem(
            503, "Not ready", f"the store is unreachable: {type(e).__name__}", slug="not-ready"
        )
    lag = max(head - applied, 0)
    body: dict[str, Any] = {
        "status": "ready",
        "position": head,
        "projection_position": applied,
        "lag": lag,
    }
    if lag > tracker.settings.ready_max_lag:
        return problem(
            503,
            "Not ready",
            f"the read model is {lag} events behind",
            slug="not-ready",
            **{k: v for k, v in body.items() if k != "status"},
        )
    return json_response(body)
