"""The FastAPI application: one per process, holding one Tracker, closed on shutdown."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from infra.settings import Settings, get_settings
from services.api import methods, observability, openapi, problems, strict_query
from services.api.auth import TokenBook
from services.api.guards import Guards
from services.api.progress import StreamSlots, waits_of
from services.api.routes import (
    across,
    audit,
    changes,
    events,
    health,
    meetings,
    statements,
    timeline,
    tracks,
)
from services.api.workers import StoreWorkers
from services.bootstrap import build
from services.web import docs, pages, record_routes, search_routes, track_routes
from services.web import routes as web

log = logging.getLogger(__name__)

DESCRIPTION = """An event-sourced record of diplomatic negotiations: what each party demanded,
proposed, answered, conceded, threatened, scheduled and agreed, track by track.
Errors are RFC 9457 problem+json. Reads accept `min_position` and answer
`X-Projection-Position`; writes answer `position` and `ETag`.
The token is checked before the request: without one (or with too weak a role) the answer
is 401 (403), whatever the body. Text may hold no NUL character (U+0000) anywhere, and a
name no control, zero-width or bidi character; names are kept in NFC.
Query strings are strict: under `/v1`, a query parameter the endpoint does not take is 422
naming it (a typo never passes unnoticed), and only filters that take several values (which
then mean any of them) may be repeated; `limit`, `cursor`, `min_position` and the like may
be given once."""


def _without_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry instrumentation, off: this service reports through
    Prometheus and its JSON access log (services.api.observability), and with it merely on,
    FastAPI asked the OpenTelemetry providers on every request whether they were configured.
    (FastAPI versions before native telemetry have nothing to switch off.)"""
    try:
        import fastapi.telemetry  # noqa: F401
    except ImportError:
        return {}
    return {
        "telemetry": {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    tokens = TokenBook.from_setting(settings.api_tokens)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tracker = build(settings)
        tokens.attach(tracker.token_store())
        if settings.embedded_projector:
            tracker.start_projector()
        app.state.tracker = tracker
        app.state.workers = StoreWorkers(store_connections=settings.pool_size)
        app.state.documents = tracker.document_cache()
        app.state.progress = progress = waits_of(tracker, app.state.documents)
        app.state.streams = StreamSlots(settings.max_streams, settings.max_streams_per_principal)
        try:
            yield
        finally:
            tracker.listeners.remove(progress.nudge)
            progress.close()
            if app.state.documents is not None:
                app.state.documents.stop()
            app.state.workers.close()
            tracker.close()

    app = FastAPI(
        title="Negotiation tracker",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by services.web.docs
        redoc_url=None,
        dependencies=[Depends(strict_query.check)],
        **_without_telemetry(),
    )
    app.state.tokens = tokens
    problems.install(app, present=pages.problem_page)
    methods.install(app, present=pages.problem_page)
    openapi.install(app, public_reads=settings.public_reads)
    app.include_router(tracks.router)
    app.include_router(statements.router)
    app.include_router(timeline.router)
    app.include_router(changes.router)
    app.include_router(across.router)
    app.include_router(meetings.router)
    app.include_router(audit.router)
    app.include_router(health.router)
    app.include_router(events.router)
    app.include_router(web.router)
    app.include_router(track_routes.router)
    app.include_router(search_routes.router)
    app.include_router(record_routes.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets, name="docs-assets")
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.add_middleware(Guards, max_bytes=settings.max_body_bytes)
    observability.install(app)  # last: its middleware is the outermost
    return app
