"""Request ids, JSON access logs and Prometheus metrics for the API.

`install(app)` adds one ASGI middleware and `GET /metrics`:
- every request gets an id: the caller's `X-Request-ID` if it looks sane, else a fresh one;
  it is answered in `X-Request-ID` and is in every log record written for the request
  (`services.logs`), also from the worker threads where the plain `def` routes and
  the direct routes' store calls run;
- one access-log record per request: method, route template, status, duration and, once,
  the path (cut at MAX_LOGGED_PATH characters) (never headers: the `Authorization` secret
  must not reach a log);
- `ntrack_http_requests_total` and `ntrack_http_request_duration_seconds` by method, route
  template (not the raw path, so ids do not explode the label set) and status;
  `ntrack_events_appended_total` counted by `count_write`; and at scrape time, from the
  store, the log head and each projection's position and lag.

Several worker processes (`ntrack serve --workers N`) each count their own requests. With
`PROMETHEUS_MULTIPROC_DIR` set (an empty directory, one per `ntrack serve`), prometheus_client
keeps the counters in files there and `/metrics` answers the sum over all workers, whichever
worker the scrape reaches; `ntrack serve` empties the directory at start
(`services.logs.clear_metrics_dir`). Without it, each
scrape sees only the worker that answered it.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.logs import request_id
from services.projections.projector import PROJECTION

access_log = logging.getLogger("ntrack.access")

# prometheus_client itself reads this variable (at import) to choose its multi-process mode.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})  # probes: logged at DEBUG
_UNMATCHED = "<unmatched>"
MAX_LOGGED_PATH = 1024  # characters of a path the access log keeps

REQUESTS = Counter(
    "ntrack_http_requests",
    "HTTP requests answered, by route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "ntrack_http_request_duration_seconds",
    "Time from request to the end of the response, by route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_APPENDED = Counter("ntrack_events_appended", "Events appended to the log by this API")


def count_write(result: Any) -> None:
    """Count the events a write appended: one per statement it recorded, and one for a
    command that records no statement (open, add party, status); a replay appends none."""
    if not result.replayed:
        EVENTS_APPENDED.inc(max(len(result.targets), 1))


class Observe:
    """Pure ASGI (no BaseHTTPMiddleware): streams, such as the SSE feed, pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # The labelled series by (method, route, status): `labels()` validates and locks on
        # every call, a dict lookup does not. As bounded as the label set itself.
        self._series: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A fresh id is 32 random hex digits (uuid4().hex took four times as long).
        rid = _incoming_id(scope) or os.urandom(16).hex()
        # Not reset afterwards: each request runs in its own task (its own context), and the
        # server-error handler outside this middleware logs after it returns.
        request_id.set(rid)
        id_header = (b"x-request-id", rid.encode("latin-1"))
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or _UNMATCHED
            self._count(scope["method"], route, status, elapsed)
            path = scope.get("path", "")
            level = logging.DEBUG if path in _QUIET_PATHS else logging.INFO
            if access_log.isEnabledFor(level):
                access_log.log(
                    level,
                    "%s %s %d",  # the route template: the path is in its own field, once
                    scope["method"],
                    route,
                    status,
                    extra={
                        "method": scope["method"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        **_logged_path(path),
                    },
                )

    def _count(self, method: str, route: str, status: int, elapsed: float) -> None:
        key = (method, route, status)
        series = self._series.get(key)
        if series is None:
            labels = (method, route, str(status))
            series = self._series[key] = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
        series[0].inc()
        series[1].observe(elapsed)


def _logged_path(path: str) -> dict[str, Any]:
    """The path as the access log holds it: at most MAX_LOGGED_PATH characters, and when cut,
    its full length (a client can send a path of tens of kB on every request)."""
    if len(path) <= MAX_LOGGED_PATH:
        return {"path": path}
    return {"path": path[:MAX_LOGGED_PATH] + "…", "path_cut_from": len(path)}


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1").strip()
            return text if _SANE_ID.match(text) else None
    return None


class _Forward:
    """Lets a per-scrape registry include the process-wide one."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Metric]:
        return self._registry.collect()


class _ProjectionGauges:
    """Read from the store at scrape time, so every worker answers the same, current values."""

    def __init__(self, tracker: Any) -> None:
        self._tracker = tracker

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("ntrack_store_up", "1 if the store answered this scrape")
        try:
            head = self._tracker.app.max_position()
            applied = self._tracker.read_model.position(PROJECTION)
        except Exception:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily(
            "ntrack_log_position",
            "Position (notification id) of the newest event in the log",
            value=head,
        )
        position = GaugeMetricFamily(
            "ntrack_projection_position",
            "Last log position the projection applied",
            labels=["projection"],
        )
        position.add_metric([PROJECTION], applied)
        yield position
        lag = GaugeMetricFamily(
            "ntrack_projection_lag_events",
            "Log positions not yet applied by the projection",
            labels=["projection"],
        )
        lag.add_metric([PROJECTION], max(head - applied, 0))
        yield lag


def metrics(request: Request) -> Response:
    """Prometheus text exposition (OpenMetrics if the scraper asks for it)."""
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        multiprocess.MultiProcessCollector(registry, path=MULTIPROC_DIR)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(_ProjectionGauges(request.app.state.tracker))
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(registry), media_type=content_type)


def install(app: FastAPI) -> None:
    """Add last in create_app, so the middleware is the outermost one and also sees the
    answers of the other middlewares (413 from the body limit)."""
    app.add_middleware(Observe)
    app.add_api_route(
        "/metrics",
        metrics,
        methods=["GET"],
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses={200: {"content": {"text/plain": {}}}},
    )
