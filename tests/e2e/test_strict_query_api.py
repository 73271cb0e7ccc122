"""Strict query strings (API.md, "Clarifications (v1.1)"): an unknown query parameter is 422
naming it on every endpoint under /v1, `min_position` is taken by every GET under /v1, and
only filters that take several values may be repeated. The endpoints are read from the app's
own OpenAPI document, so a new route is covered without being listed here."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN, NATO, RUSSIA, USA, Api, assert_problem

UNKNOWN = "statuss"
OPEN_ENDED = {"/v1/events/stream"}  # answers forever when accepted: checked without reading


def v1_operations(client: Api) -> list[tuple[str, str]]:
    paths = client.http.app.openapi()["paths"]  # type: ignore[attr-defined]
    found = [
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if path.startswith("/v1")
    ]
    assert len(found) >= 15, found
    return found


def concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m[1]], path)


@pytest.fixture
def ids(client: Api) -> dict[str, str]:
    client.open_track("ssd")
    demand = client.record("ssd", "demand")
    return {"track": "ssd", "statement_id": demand["id"]}


def send(client: Api, method: str, url: str, **kwargs: Any) -> httpx.Response:
    body = {"json": {}} if method == "POST" else {}
    return client.http.request(method, url, headers=ADMIN, **body, **kwargs)


def refused_for(response: httpx.Response, name: str) -> dict[str, Any]:
    problem = assert_problem(response, 422)
    assert name in problem["detail"], problem
    assert any(e["loc"] == ["query", name] for e in problem["errors"]), problem
    return problem


def test_every_v1_endpoint_refuses_an_unknown_query_parameter_naming_it(
    client: Api, ids: dict[str, str]
) -> None:
    for method, path in v1_operations(client):
        response = send(client, method, concrete(path, ids), params={UNKNOWN: "open"})
        problem = refused_for(response, UNKNOWN)
        assert "this endpoint takes" in problem["detail"], (method, path, problem)


def test_the_refusal_lists_what_the_endpoint_takes(client: Api, ids: dict[str, str]) -> None:
    response = client.http.get("/v1/tracks/ssd/demands", params={"statuss": "open"})
    problem = refused_for(response, "statuss")
    for name in ("status", "party", "type", "min_position"):
        assert name in problem["detail"].split("takes:")[1], problem
    assert problem["errors"][0]["type"] == "unknown_parameter"


def test_a_refused_parameter_is_refused_before_the_token_is_asked_for(client: Api) -> None:
    client.open_track("ssd")
    response = client.http.get("/v1/tracks/ssd/history", params={"q": "NATO"})
    refused_for(response, "q")


def test_the_direct_routes_refuse_an_unknown_parameter_too(client: Api) -> None:
    client.open_track("ssd")
    refused_for(client.http.get("/v1/tracks/ssd", params={"bogus": "1"}), "bogus")
    refused_for(client.http.get("/v1/tracks/ssd?min_position=0&bogus=1"), "bogus")
    body = {"type": "statement", "party": RUSSIA, "occurred_at": "2022-01-10", "summary": "x"}
    for path in ("/v1/tracks/ssd/statements", "/v1/tracks/ssd/statements:batch"):
        sent = body if path.endswith("statements") else {"statements": [body]}
        response = client.post(f"{path}?bogus=1", sent)
        refused_for(response, "bogus")
    assert client.timeline("ssd")["items"] == [], "a refused write recorded nothing"


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"]
)
def test_docs_and_operations_endpoints_accept_unknown_parameters(client: Api, path: str) -> None:
    response = client.http.get(path, params={UNKNOWN: "x", "limit": ["1", "2"]})
    assert response.status_code == 200, response.text


def test_every_get_under_v1_takes_min_position(client: Api, ids: dict[str, str]) -> None:
    gets = [path for method, path in v1_operations(client) if method == "GET"]
    for path in gets:
        params = {"min_position": client.position}
        if path.endswith("/as-of"):
            params["version"] = 1
        if path.endswith("/changes"):  # a window in world time is required
            params.update({"from": "2021", "to": "2022"})
        if path in OPEN_ENDED:  # a position not written yet is refused before streaming
            response = send(client, "GET", path, params={"min_position": 2**60})
            assert_problem(response, 503)
            continue
        response = send(client, "GET", concrete(path, ids), params=params)
        assert response.status_code == 200, (path, response.text)


def test_a_repeated_single_value_parameter_is_refused(client: Api, ids: dict[str, str]) -> None:
    checks = [
        ("/v1/tracks/ssd/statements", "limit", ["5", "500"]),
        ("/v1/tracks/ssd/statements", "cursor", ["a", "b"]),
        ("/v1/tracks/ssd/demands", "min_position", ["0", "0"]),
        ("/v1/events", "after", ["0", "1"]),
    ]
    for path, name, values in checks:
        response = send(client, "GET", path, params={name: values})
        problem = refused_for(response, name)
        assert "more than once" in problem["detail"], problem
        assert problem["errors"][0]["type"] == "repeated_parameter"


def test_a_filter_taking_one_value_is_not_silently_reduced_to_one(
    client: Api, ids: dict[str, str]
) -> None:
    """The timeline's and the track list's filters take one value each for now: a repeat
    is refused rather than narrowed to its last value."""
    for path, name, values in [
        ("/v1/tracks/ssd/statements", "type", ["demand", "response"]),
        ("/v1/tracks", "status", ["active", "suspended"]),
    ]:
        response = client.http.get(path, params={name: values})
        problem = refused_for(response, name)
        assert "takes one value" in problem["detail"], problem


def board(client: Api, **params: Any) -> list[str]:
    response = client.get("/v1/tracks/ssd/demands", params, expect=200)
    return [item["summary"] for item in response.json()["items"]]


def test_the_demand_board_filters_by_party_including_joint_authors(client: Api) -> None:
    client.open_track("ssd")
    client.record("ssd", "demand", RUSSIA, summary="russian")
    client.record("ssd", "demand", USA, summary="american", with_parties=[NATO])
    client.record("ssd", "demand", NATO, summary="nato", occurred_at="2022-01-11")
    assert board(client, party=RUSSIA) == ["russian"]
    assert board(client, party=NATO) == ["american", "nato"]
    assert board(client, party=[RUSSIA, USA]) == ["russian", "american"]
    assert board(client, party="Ukraine") == []


def test_the_demand_board_lists_proposals_with_type_proposal(client: Api) -> None:
    client.open_track("ssd")
    client.record("ssd", "demand", RUSSIA, summary="a demand")
    proposal = client.record("ssd", "proposal", USA, summary="a proposal")
    client.record("ssd", "response", RUSSIA, responds_to=proposal["id"], position="reject")
    assert board(client) == ["a demand"]
    assert board(client, type="demand") == ["a demand"]
    assert board(client, type="proposal") == ["a proposal"]
    assert board(client, type=["proposal", "demand"]) == ["a demand", "a proposal"]
    assert board(client, type="proposal", status="rejected") == ["a proposal"]
    assert board(client, type="proposal", status="open") == []
    assert board(client, type=["demand", "proposal"], status=["open", "rejected"]) == [
        "a demand",
        "a proposal",
    ]
    items = client.get("/v1/tracks/ssd/demands", {"type": "proposal"}, expect=200).json()
    assert items["items"][0]["responses"], "a proposal shows its responses on the board"


def test_the_demand_board_filters_combine_with_and(client: Api) -> None:
    client.open_track("ssd")
    client.record("ssd", "demand", RUSSIA, summary="russian")
    client.record("ssd", "proposal", RUSSIA, summary="russian proposal")
    client.record("ssd", "demand", USA, summary="american")
    assert board(client, party=RUSSIA, type="proposal") == ["russian proposal"]
    assert board(client, party=USA, type="proposal") == []


def test_the_demand_board_refuses_an_unknown_type(client: Api) -> None:
    client.open_track("ssd")
    response = client.http.get("/v1/tracks/ssd/demands", params={"type": "warning"})
    assert_problem(response, 422)
