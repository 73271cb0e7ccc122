"""Schemathesis against the OpenAPI document: all four phases, every built-in check.

Schemathesis' own engine (what `schemathesis run` drives) runs its phases -- examples,
coverage, fuzzing and stateful sequences of calls linked by what answers return -- against
the ASGI app in-process, with an admin token, on each store. Every answer must conform to
the documented responses (status codes, content types, answer schemas, headers, `Allow` on
405 and OPTIONS), invalid requests must be refused, and schema-valid ones accepted: the
document states the rules (date forms, the `If-Match` form, limits, names, visible text),
so valid-by-schema means accepted. The budget is bounded and deterministic
(NTRACK_SCHEMATHESIS_EXAMPLES, 5 by default); the coverage phase, which probes how requests
are refused and does not depend on the store, runs on SQLite only.

Where the document cannot state a rule, the configuration below says so, and nowhere else:
- `positive_data_acceptance` takes, besides 2xx, the statuses of `DOCUMENTED_REFUSALS`, and
  `valid_data_is_refused_only_for_documented_reasons` narrows them to the problem types
  (and, for `invalid-request`, the error types) listed there: ids and names that exist or
  not, the track's state and version, cursors this service gave out, `occurred_at` at most
  a day ahead (a rule of time), and two rules across parameters (as-of takes exactly one of
  `version` and `recorded_at`; a window of changes does not run backwards);
- a "positive" case whose body is not valid by the document (the coverage phase fills the
  body of a case about a header with whatever it has) is not held to acceptance;
- `allow-x00` is off: NUL is refused in any text (the API's description says so; PostgreSQL
  text cannot hold it), and the hostile-input tests cover it;
- a malformed `If-Match` is, by the contract, a precondition that fails (412), so 412 is an
  expected refusal of invalid data; the `Authorization` header is not fuzzed (the token
  tests cover it); the event stream never ends, and has its own tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

schemathesis = pytest.importorskip("schemathesis")

import jsonschema_rs  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from schemathesis.config import SchemathesisConfig  # noqa: E402
from schemathesis.engine import events, from_schema  # noqa: E402
from schemathesis.specs.openapi.checks import is_unexpected_http_status_case  # noqa: E402

from infra.settings import Settings  # noqa: E402
from services.api.app import create_app  # noqa: E402

SECRET = "schemathesis-admin-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}
MAX_EXAMPLES = int(os.environ.get("NTRACK_SCHEMATHESIS_EXAMPLES", "5"))

# Problem types that schema-valid data may still meet, by status; for `invalid-request`, only
# with these error types. Each is a rule no JSON Schema can state (see the module docstring).
DOCUMENTED_REFUSALS: dict[int, set[str]] = {
    404: {"track-not-found", "statement-not-found", "not-recorded-yet"},
    409: {"slug-taken", "invalid-transition", "track-closed", "already-retracted"},
    412: {"version-mismatch"},
    422: {
        "unknown-party",
        "unresolvable-reference",
        "rule-violation",
        "idempotency-key-reused",
        "invalid-cursor",
        "unknown-track",
        "nothing-to-find",
        "invalid-request",
    },
    503: {"projection-behind"},
}
DOCUMENTED_ERRORS = {"future_moment", "exactly_one_of", "window_backwards"}

CONFIG: dict[str, Any] = {
    "headers": AUTH,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,
        "database": "none",
        "allow-x00": False,
        "allow-extra-parameters": True,
        "with-security-parameters": False,
    },
    "phases": {"stateful": {"max-steps": 6}},
    "checks": {
        "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", *(str(status) for status in DOCUMENTED_REFUSALS)]
        },
        "negative_data_rejection": {
            "expected-statuses": [
                *("400", "401", "403", "404", "405", "409", "412", "413", "415", "422", "503")
            ]
        },
    },
    "operations": [{"include-path": "/v1/events/stream", "enabled": False}],
}

UNKNOWN_PARAMETERS_SENT: list[str] = []


@schemathesis.check
def valid_data_is_refused_only_for_documented_reasons(ctx: Any, response: Any, case: Any) -> None:
    """Narrows `positive_data_acceptance`'s statuses to the problem types they stand for."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if is_unexpected_http_status_case(case) or not _body_is_valid(case):
        return  # a probe of the request's shape, or a "positive" body that is not valid
    if response.status_code < 400 or response.status_code not in DOCUMENTED_REFUSALS:
        return  # 2xx, or a status the built-in check already fails
    problem = response.json()
    kind = str(problem.get("type", "")).removeprefix("/problems/")
    assert kind in DOCUMENTED_REFUSALS[response.status_code], response.text[:500]
    if kind == "invalid-request":
        unknown = [e for e in problem["errors"] if e["type"] not in DOCUMENTED_ERRORS]
        assert not unknown and not _unknown_parameters(response, case), unknown[:3]


def _body_is_valid(case: Any) -> bool:
    """Whether the body sent is valid by the document (the coverage phase fills the body of
    a case about a header with whatever it has, such as `0`)."""
    body = case.operation.definition.raw.get("requestBody")
    if body is None:
        return True
    document = case.operation.schema.raw_schema
    key = (id(document), case.operation.label)
    if key not in _BODY_VALIDATORS:
        schema = body["content"]["application/json"]["schema"]
        _BODY_VALIDATORS[key] = jsonschema_rs.validator_for(
            {**schema, "components": document["components"]}
        )
    return bool(_BODY_VALIDATORS[key].is_valid(case.body))


_BODY_VALIDATORS: dict[tuple[int, str], Any] = {}


def _unknown_parameters(response: Any, case: Any) -> list[str]:
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    return [name for name, _ in sent if name not in case.operation.query]


@schemathesis.check
def an_unknown_query_parameter_is_a_422_naming_it(ctx: Any, response: Any, case: Any) -> None:
    """A query parameter the operation does not document is refused, by name."""
    unknown = _unknown_parameters(response, case)
    if not unknown or response.request.method == "OPTIONS":
        return
    UNKNOWN_PARAMETERS_SENT.extend(unknown)
    assert response.status_code == 422, (unknown, response.status_code, response.text[:300])
    named = {tuple(e["loc"]) for e in response.json()["errors"]}
    assert all(("query", name) in named for name in unknown), (unknown, response.text[:300])


@schemathesis.check
def only_a_projection_wait_is_a_503(ctx: Any, response: Any, case: Any) -> None:
    """The one 5xx allowed here: `min_position` not reached in time, with Retry-After."""
    if response.status_code >= 500:
        assert response.status_code == 503, response.status_code
        assert "/problems/projection-behind" in response.text, response.text[:300]
        assert response.headers.get("retry-after"), "a 503 without Retry-After"


@pytest.fixture
def api(database_url: str) -> Iterator[FastAPI]:
    app = create_app(
        Settings(
            database_url=database_url,
            api_tokens=f"fuzz:admin:{SECRET}",
            projector_poll_seconds=0.05,
            min_position_wait_seconds=0.05,
        )
    )
    yield app
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # closes the tracker that the schema loader started


def test_every_phase_finds_every_operation_conforming_to_the_openapi_document(
    api: FastAPI, database_url: str
) -> None:
    config = dict(CONFIG)
    if not database_url.startswith("sqlite"):
        # The coverage phase (half the run) probes how requests are refused, which the store
        # does not touch: once, on SQLite; the phases that store and read data run on both.
        config["phases"] = {**CONFIG["phases"], "coverage": {"enabled": False}}
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", api, config=SchemathesisConfig.from_dict(config)
    )
    UNKNOWN_PARAMETERS_SENT.clear()
    phases: set[str] = set()
    failures: list[str] = []
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phases.add(event.phase.name)
            failures.extend(_failures(event.recorder))
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(f"error: {getattr(event, 'info', None) or event}")
    assert not failures, "\n\n".join(failures[:20]) + f"\n\n({len(failures)} in all)"
    expected = {"EXAMPLES", "FUZZING", "STATEFUL_TESTING"} | set(
        ["COVERAGE"] if database_url.startswith("sqlite") else []
    )
    assert expected <= phases, phases
    assert UNKNOWN_PARAMETERS_SENT, "no request with an unknown query parameter was generated"


def _failures(recorder: Any) -> Iterator[str]:
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            case = recorder.cases[case_id].value
            interaction = recorder.interactions.get(case_id)
            answer = interaction.response if interaction else None
            phase = case.meta.phase.name if case.meta else "?"
            yield (
                f"{check.name} ({phase}): {case.method} {case.formatted_path} query={case.query}"
                f" body={str(case.body)[:300]}\n-> {answer and answer.status_code}"
                f" {answer and answer.content[:400]!r}\n{check.failure_info.failure.message[:300]}"
            )
