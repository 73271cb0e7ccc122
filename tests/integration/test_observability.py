"""Request ids, JSON logs without secrets, and Prometheus metrics, through the real app."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from infra.settings import Settings
from services.api.app import create_app
from services.logs import logging_config, redact

SECRET = "observability-secret-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {SECRET}"}
STATEMENT = {
    "type": "demand",
    "party": "US",
    "occurred_at": "2022-01-10",
    "summary": "No further NATO enlargement",
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"memory://{uuid.uuid4().hex}", api_tokens=f"tester:admin:{SECRET}"
    )
    app = create_app(settings)

    @app.get("/test/log-inside", include_in_schema=False)
    def log_inside() -> dict[str, str]:  # a plain def route: runs in the threadpool
        logging.getLogger("tests.inside").warning("written inside the route")
        return {"ok": "yes"}

    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """The process logging as `ntrack serve` sets it up, writing into a buffer."""
    buffer = io.StringIO()
    config = logging_config("DEBUG")
    config["handlers"]["stderr"]["stream"] = buffer
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        root.handlers[:], root.level = saved


def records(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def open_track(client: TestClient) -> str:
    r = client.post(
        "/v1/tracks",
        headers=AUTH,
        json={"kind": "bilateral", "title": "Geneva", "parties": ["US", "Russia"]},
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


def metric_samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, s.labels, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def test_every_answer_carries_a_fresh_request_id(client: TestClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/v1/tracks/nope").headers["X-Request-ID"]
    assert first and second and first != second


def test_a_sane_incoming_request_id_is_kept_and_an_odd_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"]
        == "abc-123"
    )
    odd = client.get("/healthz", headers={"X-Request-ID": 'a b"<script>' + "x" * 300})
    assert odd.headers["X-Request-ID"] != "a b"
    assert len(odd.headers["X-Request-ID"]) == 32


def test_a_refused_body_still_carries_a_request_id(client: TestClient) -> None:
    r = client.post("/v1/tracks", headers={**AUTH, "Content-Length": str(10**9)}, content=b"{}")
    assert r.status_code == 413
    assert r.headers["X-Request-ID"]


def test_every_log_record_of_a_request_carries_its_request_id(
    client: TestClient, json_logs: io.StringIO
) -> None:
    client.get("/test/log-inside", headers={"X-Request-ID": "trace-me-1"})
    lines = records(json_logs)
    inside = [r for r in lines if r["message"] == "written inside the route"]
    access = [r for r in lines if r["logger"] == "ntrack.access"]
    assert inside and inside[0]["request_id"] == "trace-me-1"
    assert inside[0]["level"] == "WARNING" and "time" in inside[0]
    assert access and access[-1]["request_id"] == "trace-me-1"
    assert access[-1]["route"] == "/test/log-inside" and access[-1]["status"] == 200
    assert access[-1]["duration_ms"] >= 0


def test_the_access_log_names_the_route_template_and_never_the_authorization_header(
    client: TestClient, json_logs: io.StringIO
) -> None:
    track = open_track(client)
    client.post(f"/v1/tracks/{track}/statements", headers=AUTH, json=STATEMENT)
    client.get("/v1/tracks", headers={"Authorization": "Bearer wrong-" + SECRET})
    text = json_logs.getvalue()
    assert SECRET not in text
    access = [r for r in records(json_logs) if r["logger"] == "ntrack.access"]
    assert {"route": "/v1/tracks/{track}/statements", "status": 201}.items() <= access[1].items()


def test_an_access_log_line_holds_the_path_once_and_cuts_a_long_one_at_1_kb(
    client: TestClient, json_logs: io.StringIO
) -> None:
    long_path = "/v1/tracks/" + "x" * 60_000
    client.get(long_path)
    client.get("/v1/tracks/short-slug")
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines() if line.strip()]
    long, short = [r for r in lines if r["logger"] == "ntrack.access"][-2:]
    assert long["path"] == long_path[:1024] + "…"
    assert long["path_cut_from"] == len(long_path)
    assert "xxxx" not in long["message"]  # the message names the route template instead
    raw = [line for line in json_logs.getvalue().splitlines() if '"ntrack.access"' in line]
    assert len(raw[-2]) < 2048
    assert short["path"] == "/v1/tracks/short-slug" and "path_cut_from" not in short
    assert short["message"] == "GET /v1/tracks/{track} 404"


def test_secrets_in_log_messages_are_masked() -> None:
    text = redact(
        f"Authorization: Bearer {SECRET} url=postgresql://app:hunter2@db/x password=hunter2"
    )
    assert SECRET not in text and "hunter2" not in text
    assert "postgresql://app:***@db/x" in text


def test_metrics_count_requests_by_route_template_and_status(client: TestClient) -> None:
    track = open_track(client)
    for _ in range(3):
        assert (
            client.post(f"/v1/tracks/{track}/statements", headers=AUTH, json=STATEMENT).status_code
            == 201
        )
    client.get(f"/v1/tracks/{track}/statements/{uuid.uuid4()}")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = metric_samples(r.text)
    writes = [
        v
        for n, labels, v in samples
        if n == "ntrack_http_requests_total"
        and labels == {"method": "POST", "route": "/v1/tracks/{track}/statements", "status": "201"}
    ]
    assert writes and writes[0] >= 3
    routes = {labels.get("route") for n, labels, _ in samples if n.startswith("ntrack_http")}
    assert "/v1/tracks/{track}/statements/{statement_id}" in routes
    assert not any(track in (route or "") for route in routes), "a raw path became a label"
    assert any(n == "ntrack_http_request_duration_seconds_bucket" for n, _, _ in samples)
    appended = [v for n, _, v in samples if n == "ntrack_events_appended_total"]
    assert appended and appended[0] >= 4  # the track opened and three statements


def test_metrics_report_the_log_head_and_each_projections_position_and_lag(
    client: TestClient,
) -> None:
    track = open_track(client)
    position = client.post(f"/v1/tracks/{track}/statements", headers=AUTH, json=STATEMENT).json()[
        "position"
    ]
    client.get(f"/v1/tracks/{track}", params={"min_position": position})
    samples = {
        (n, labels.get("projection")): v
        for n, labels, v in metric_samples(client.get("/metrics").text)
    }
    assert samples[("ntrack_store_up", None)] == 1
    assert samples[("ntrack_log_position", None)] == position
    assert samples[("ntrack_projection_position", "track_views")] == position
    assert samples[("ntrack_projection_lag_events", "track_views")] == 0
