"""The FastAPI application: one per process, holding one Tracker, closed on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from infra.settings import Settings, get_settings
from services.api import problems, routes_health, routes_statements, routes_tracks
from services.api.auth import TokenBook
from services.api.bodylimit import BodyLimit
from services.bootstrap import build

log = logging.getLogger(__name__)

DESCRIPTION = """An event-sourced record of diplomatic negotiations: what each party demanded,
proposed, answered, conceded, threatened, scheduled and agreed, track by track.
Errors are RFC 9457 problem+json. Reads accept `min_position` and answer
`X-Projection-Position`; writes answer `position` and `ETag`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    tokens = TokenBook.from_setting(settings.api_tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tracker = build(settings)
        if settings.embedded_projector:
            tracker.start_projector()
        app.state.tracker = tracker
        try:
            yield
        finally:
            tracker.close()

    app = FastAPI(title="Negotiation tracker", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan)
    app.state.tokens = tokens
    problems.install(app)
    app.include_router(routes_tracks.router)
    app.include_router(routes_statements.router)
    app.include_router(routes_health.router)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
