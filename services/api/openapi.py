"""The problem+json answers of the API, documented in the OpenAPI schema.

Every refusal is an RFC 9457 problem (`services.api.problems`); FastAPI only documents the
success answer and its own 422. This module holds the documentation of the others:

- `PROBLEM_RESPONSES`: `{status: {"description", "content": {"application/problem+json":
  {"schema": PROBLEM_SCHEMA}}}}`, with `WWW-Authenticate` on 401 and `Retry-After` on 503;
- `problem_responses(*statuses)`: the `responses=` argument of a route decorator, e.g.
  `@router.post("/statements", responses=problem_responses(*WRITE_ON_TRACK))`;
- `ROUTE_PROBLEMS`: which operation answers which statuses (the table the routes follow);
- `install(app)`: documents all of that (and the bearer scheme) in `app.openapi()` in one
  call, without touching the routes; it only adds what a route did not document itself.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "description": "RFC 9457 problem details; a 422 adds `errors`.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "a URI reference naming the problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Malformed JSON",
    401: "No valid bearer token (`WWW-Authenticate: Bearer`)",
    403: "The token's role does not allow this",
    404: "Unknown track or statement",
    405: "Method not allowed",
    409: "The track's state forbids it (closed track, slug taken, already retracted)",
    412: "`If-Match` does not match the track's version",
    413: "Body over the size limit",
    422: "Invalid request: body, parameters, unknown party, unresolvable reference, "
    "idempotency key reused with another body",
    429: "This principal holds as many event streams as one may (`Retry-After`)",
    503: "Store unreachable, too much contention, `min_position` not reached in time, or too "
    "many reads waiting or streams open in this process (`Retry-After`)",
}

_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"description": "`Bearer` challenge", "schema": {"type": "string"}}},
    **{
        status: {
            "Retry-After": {
                "description": "seconds to wait before retrying",
                "schema": {"type": "string"},
            }
        }
        for status in (429, 503)
    },
}


def _problem_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {PROBLEM_JSON: {"schema": copy.deepcopy(PROBLEM_SCHEMA)}},
    }
    if status in _HEADERS:
        response["headers"] = copy.deepcopy(_HEADERS[status])
    return response


PROBLEM_RESPONSES: dict[int, dict[str, Any]] = {s: _problem_response(s) for s in _DESCRIPTIONS}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route decorator's `responses=`: the problem answers with these statuses."""
    return {status: copy.deepcopy(PROBLEM_RESPONSES[status]) for status in statuses}


# What each kind of operation can answer, besides its success.
READ = (401, 422, 503)  # a public read with a bad token is 401; min_position -> 503
READ_ON_TRACK = (401, 404, 422, 503)
AUDIT = (401, 403, 422, 503)
AUDIT_ON_TRACK = (401, 403, 404, 422, 503)
AUDIT_STREAM = (401, 403, 422, 429, 503)  # 429: the principal's streams are capped
WRITE = (400, 401, 403, 409, 413, 422, 503)
WRITE_ON_TRACK = (400, 401, 403, 404, 409, 412, 413, 422, 503)

ROUTE_PROBLEMS: dict[str, tuple[int, ...]] = {
    "POST /v1/tracks": WRITE,
    "GET /v1/tracks": READ,
    "GET /v1/tracks/{track}": READ_ON_TRACK,
    "POST /v1/tracks/{track}/parties": WRITE_ON_TRACK,
    "POST /v1/tracks/{track}/status": WRITE_ON_TRACK,
    "POST /v1/tracks/{track}/statements": WRITE_ON_TRACK,
    "POST /v1/tracks/{track}/statements:batch": WRITE_ON_TRACK,
    "GET /v1/tracks/{track}/statements": READ_ON_TRACK,
    "GET /v1/tracks/{track}/statements/{statement_id}": READ_ON_TRACK,
    "GET /v1/tracks/{track}/demands": READ_ON_TRACK,
    "GET /v1/tracks/{track}/changes": READ_ON_TRACK,
    "GET /v1/changes": READ,
    "POST /v1/tracks/{track}/statements/{statement_id}/corrections": WRITE_ON_TRACK,
    "POST /v1/tracks/{track}/statements/{statement_id}/retraction": WRITE_ON_TRACK,
    "GET /v1/tracks/{track}/history": AUDIT_ON_TRACK,
    "GET /v1/tracks/{track}/as-of": AUDIT_ON_TRACK,
    "GET /v1/tracks/{track}/verify": AUDIT_ON_TRACK,
    "GET /v1/statements": READ,
    "GET /v1/demands": READ,
    "GET /v1/warnings": READ,
    "GET /v1/meetings": READ,
    "GET /v1/meetings.ics": READ,
    "GET /v1/actors": READ,
    "GET /v1/events": AUDIT,
    "GET /v1/events/stream": AUDIT_STREAM,
    "GET /readyz": (503,),
}

# Which operations need a token: writes and audit always; reads only without public reads.
_AUDIT_OPERATIONS = {
    k for k, v in ROUTE_PROBLEMS.items() if v in (AUDIT, AUDIT_ON_TRACK, AUDIT_STREAM)
}
_WRITE_OPERATIONS = {k for k in ROUTE_PROBLEMS if k.startswith("POST ")}
_READ_OPERATIONS = {k for k, v in ROUTE_PROBLEMS.items() if v in (READ, READ_ON_TRACK)}

BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "`Authorization: Bearer <secret>`; tokens from NTRACK_API_TOKENS "
    "or `ntrack token create`",
}


def document(schema: dict[str, Any], *, public_reads: bool = True) -> dict[str, Any]:
    """Add the problem answers of ROUTE_PROBLEMS and the bearer scheme to an OpenAPI dict.

    A status a route documented itself is left alone, except FastAPI's default 422 (the
    `HTTPValidationError` body it never sends here), which becomes the problem answer.
    """
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            responses = operation.setdefault("responses", {})
            for status in ROUTE_PROBLEMS.get(label, ()):
                current = responses.get(str(status))
                if current is None or _is_fastapi_default_422(status, current):
                    responses[str(status)] = copy.deepcopy(PROBLEM_RESPONSES[status])
            if label in _WRITE_OPERATIONS or label in _AUDIT_OPERATIONS:
                operation.setdefault("security", [{"bearer": []}])
            elif label in _READ_OPERATIONS:
                operation.setdefault(
                    "security", [{}, {"bearer": []}] if public_reads else [{"bearer": []}]
                )
    _drop_unused_validation_schemas(schema)
    return schema


def install(app: FastAPI, *, public_reads: bool = True) -> None:
    """Serve `document(...)` of the generated schema at /openapi.json (built once)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            generated = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                openapi_version=app.openapi_version,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = document(generated, public_reads=public_reads)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _is_fastapi_default_422(status: int, response: dict[str, Any]) -> bool:
    if status != 422:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("/HTTPValidationError")


def _drop_unused_validation_schemas(schema: dict[str, Any]) -> None:
    import json

    text = json.dumps(schema.get("paths", {}))
    schemas = schema.get("components", {}).get("schemas", {})
    if "HTTPValidationError" in schemas and "/HTTPValidationError" not in text:
        del schemas["HTTPValidationError"]
        if "/ValidationError" not in json.dumps(schemas):
            schemas.pop("ValidationError", None)
