"""services.api.responses: every success answer in /openapi.json has a real schema, and the
statement answer models follow the request models they are derived from."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from domain.statement_types import POSITIONS
from domain.values import STATEMENT_TYPES, STATUS_BEARING_TYPES, status_for_position
from infra.settings import Settings
from services.api import responses
from services.api.app import create_app
from services.api.responses.statements import REQUESTS, DemandStatus
from services.api.schemas import StatementIn

# Answers that are not JSON: their media type is what the document must say.
NOT_JSON = {
    "GET /v1/events/stream": "text/event-stream",
    "GET /metrics": "text/plain",
    "GET /v1/meetings.ics": "text/calendar",
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    with TestClient(create_app(Settings(database_url="memory://answer-schemas"))) as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    schema: dict[str, Any] = response.json()
    return schema


def success_answers(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", status, answer)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for status, answer in operation["responses"].items()
        if status.startswith("2")
    ]


def test_every_success_answer_of_every_operation_has_a_schema(document: dict[str, Any]) -> None:
    answers = success_answers(document)
    assert len(answers) >= 20
    missing = []
    for label, status, answer in answers:
        content = answer.get("content", {})
        if label in NOT_JSON:
            assert list(content) == [NOT_JSON[label]], (label, content)
            continue
        schema = content.get("application/json", {}).get("schema")
        if not schema:  # absent, or FastAPI's `{}` for an endpoint that returns a Response
            missing.append(f"{label} {status}")
    assert not missing, f"success answers without a schema: {missing}"


def test_creates_are_documented_as_201_and_the_other_writes_as_200(
    document: dict[str, Any],
) -> None:
    statuses = {label: status for label, status, _ in success_answers(document)}
    for label in (
        "POST /v1/tracks",
        "POST /v1/tracks/{track}/parties",
        "POST /v1/tracks/{track}/statements",
        "POST /v1/tracks/{track}/statements:batch",
        "POST /v1/tracks/{track}/statements/{statement_id}/corrections",
    ):
        assert statuses[label] == "201", label
    assert statuses["POST /v1/tracks/{track}/status"] == "200"
    assert statuses["POST /v1/tracks/{track}/statements/{statement_id}/retraction"] == "200"


def test_the_problem_answers_stay_documented_beside_the_answer_schemas(
    document: dict[str, Any],
) -> None:
    answers = document["paths"]["/v1/tracks/{track}/statements"]["post"]["responses"]
    for status in ("400", "401", "404", "409", "412", "422", "503"):
        assert "application/problem+json" in answers[status]["content"], status


def test_every_statement_type_has_an_answer_model_with_all_its_request_fields() -> None:
    assert set(REQUESTS) == set(STATEMENT_TYPES)
    members = get_args(get_args(StatementIn)[0])
    assert len(members) == len(STATEMENT_TYPES)
    for request in members:
        kind = get_args(request.model_fields["type"].annotation)[0]
        public, written = responses.PUBLIC[kind], responses.WRITTEN[kind]
        assert set(request.model_fields) <= set(public.model_fields), kind
        assert set(public.model_fields) - {"position"} <= set(written.model_fields), kind
        record = {"id", "track_id", "version", "recorded_at", "recorded_by", "retracted"}
        assert record | {"corrections"} <= set(public.model_fields), kind
        assert {"track_version", "position"} <= set(written.model_fields), kind
        has_status = kind in STATUS_BEARING_TYPES or kind in ("sanction_warning", "warning")
        assert ("status" in public.model_fields) == has_status, kind
        assert "responses" in public.model_fields, kind  # v1.1: any type can be answered
        assert ("claimed_status" in public.model_fields) == (kind in STATUS_BEARING_TYPES), kind


def test_a_response_s_write_answer_keeps_the_commit_position_and_echoes_the_stance() -> None:
    written = responses.WRITTEN["response"]
    assert written.model_fields["position"].annotation is int
    assert set(get_args(written.model_fields["response_position"].annotation)) == set(POSITIONS)
    public = responses.PUBLIC["response"].model_fields
    for name in ("position", "stance"):  # both always answered, the same
        assert set(get_args(public[name].annotation)) == set(POSITIONS), name


def test_the_demand_status_lists_every_status_a_response_can_give() -> None:
    assert {status_for_position(p) for p in POSITIONS} | {"withdrawn"} == set(
        get_args(DemandStatus)
    )


def all_answer_models() -> list[type[BaseModel]]:
    found = [m for m in vars(responses).values() if isinstance(m, type)]
    found += [*responses.PUBLIC.values(), *responses.WRITTEN.values()]
    return [m for m in found if issubclass(m, BaseModel)]


def test_no_answer_model_refuses_fields_of_a_newer_release() -> None:
    models = all_answer_models()
    assert len(models) >= 30
    for model in models:
        assert model.model_config.get("extra") != "forbid", model.__name__
        schema = str(model.model_json_schema(mode="serialization"))
        assert "'additionalProperties': False" not in schema, model.__name__


def test_a_statement_answer_model_still_checks_the_request_fields_it_derives_from() -> None:
    answer = {
        "type": "demand",
        "party": "",  # a request refuses an empty party; an answer never has one
        "occurred_at": "2022-01-10",
        "summary": "s",
        "id": "00000000-0000-4000-8000-000000000001",
        "track_id": "00000000-0000-4000-8000-000000000002",
        "version": 2,
        "recorded_at": "2022-01-10T10:00:00+00:00",
        "recorded_by": "rita",
        "retracted": False,
        "corrections": [],
        "status": "open",
        "claimed_status": None,
        "responses": [],
        "sources": [],
        "occurred_precision": "day",
        "sources_of_a_newer_release": [],
    }
    with pytest.raises(ValidationError, match="party"):
        responses.PUBLIC["demand"].model_validate(answer)
    assert responses.PUBLIC["demand"].model_validate({**answer, "party": "Russia"})


def test_fastapi_sends_a_returned_response_as_it_is_whatever_the_response_model() -> None:
    # What keeps the hot paths fast: response_model= only documents an endpoint that
    # returns a Response; its body is neither validated nor serialized again.
    app = FastAPI()

    @app.get("/raw", response_model=responses.Health)
    def raw() -> Response:
        return Response(b'{"status": "not what Health says" }', media_type="application/json")

    with TestClient(app) as http:
        answer = http.get("/raw")
    assert answer.status_code == 200
    assert answer.content == b'{"status": "not what Health says" }'
