"""services.api.openapi: the problem+json answers and the bearer scheme, documented."""

from __future__ import annotations

from typing import Any

import pytest

from infra.settings import Settings
from services.api import openapi
from services.api.app import create_app


@pytest.fixture
def documented() -> dict[str, Any]:
    app = create_app(Settings(database_url="memory://openapi-doc"))
    openapi.install(app)
    return app.openapi()


def operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": op
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


def test_every_problem_response_is_problem_json_with_the_problem_schema() -> None:
    for status, response in openapi.PROBLEM_RESPONSES.items():
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema["required"] == ["type", "title", "status", "detail"], status
        assert response["description"]
    assert "WWW-Authenticate" in openapi.PROBLEM_RESPONSES[401]["headers"]
    assert "Retry-After" in openapi.PROBLEM_RESPONSES[503]["headers"]


def test_problem_responses_gives_a_route_decorator_its_responses_argument() -> None:
    responses = openapi.problem_responses(404, 412)
    assert set(responses) == {404, 412}
    responses[404]["description"] = "changed"
    assert openapi.PROBLEM_RESPONSES[404]["description"] != "changed"  # copies, not shared


def test_install_documents_each_operation_s_problem_answers(documented: dict[str, Any]) -> None:
    ops = operations(documented)
    for label, statuses in openapi.ROUTE_PROBLEMS.items():
        if label not in ops:
            continue  # a route of the table that this build does not have
        for status in statuses:
            response = ops[label]["responses"][str(status)]
            assert "application/problem+json" in response["content"], (label, status)
    statements = ops["POST /v1/tracks/{track}/statements"]["responses"]
    assert {"400", "401", "403", "404", "409", "412", "413", "422", "503"} <= set(statements)


def test_install_declares_the_bearer_scheme_optional_on_public_reads(
    documented: dict[str, Any],
) -> None:
    assert documented["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    ops = operations(documented)
    assert ops["POST /v1/tracks"]["security"] == [{"bearer": []}]
    assert ops["GET /v1/tracks"]["security"] == [{}, {"bearer": []}]
    if "GET /v1/tracks/{track}/history" in ops:
        assert ops["GET /v1/tracks/{track}/history"]["security"] == [{"bearer": []}]


def test_install_replaces_fastapi_s_unsent_validation_error_body(
    documented: dict[str, Any],
) -> None:
    text = str(documented["paths"])
    assert "HTTPValidationError" not in text
    assert "HTTPValidationError" not in documented["components"].get("schemas", {})


def test_without_public_reads_every_read_needs_the_token() -> None:
    app = create_app(Settings(database_url="memory://openapi-doc-2", public_reads=False))
    openapi.install(app, public_reads=False)
    assert operations(app.openapi())["GET /v1/tracks"]["security"] == [{"bearer": []}]
