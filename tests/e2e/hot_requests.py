"""Requests to the hottest routes as their tests send them: a body as bytes, a POST with any
media type, and a refusal's errors as (loc, type) pairs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.conftest import (
    RECORDER,
    Api,
    assert_problem,
    statement,
)

WRONG = {"Authorization": "Bearer wrong"}


def raw(body: Any) -> bytes:
    return httpx.Request("POST", "/", json=body).content


ONE = raw(statement("demand"))  # the body of one valid statement


def post(
    client: Api,
    track: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    route: str = "statements",
    content_type: str | None = "application/json",
) -> httpx.Response:
    sent = {**RECORDER, **({"Content-Type": content_type} if content_type else {})}
    return client.http.post(
        f"/v1/tracks/{track}/{route}", content=body, headers={**sent, **(headers or {})}
    )


def refused(response: httpx.Response, status: int) -> list[tuple[tuple[Any, ...], str]]:
    """The problem's errors as (loc, type) pairs, after checking its status and shape."""
    problem = assert_problem(response, status)
    return [(tuple(e["loc"]), e["type"]) for e in problem.get("errors", [])]
