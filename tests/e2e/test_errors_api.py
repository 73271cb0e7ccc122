"""Refusals over HTTP: each is an RFC 9457 problem with the status API.md gives it, and no
input causes a 500."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import (
    NATO,
    RECORDER,
    RUSSIA,
    USA,
    Api,
    StartApp,
    assert_problem,
    statement,
)

STATEMENTS = "/v1/tracks/ssd/statements"


@pytest.fixture
def ssd(client: Api) -> Api:
    client.open_track("ssd")
    return client


def post_raw(api: Api, path: str, content: bytes) -> Any:
    return api.http.post(
        path, content=content, headers={**RECORDER, "Content-Type": "application/json"}
    )


def refused(
    api: Api, body: dict[str, Any], status: int = 422, path: str = STATEMENTS
) -> dict[str, Any]:
    """POST `body`; assert the problem; return it."""
    return assert_problem(api.post(path, body), status)


def error_locs(problem: dict[str, Any]) -> list[list[Any]]:
    return [e["loc"] for e in problem["errors"]]


def in_the_future(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat(timespec="seconds")


# -- 400 ----------------------------------------------------------------------------------------


MALFORMED = [
    b'{"type": "statement", "party": ',
    b"{'a': 1}",
    b"not json at all",
    b'{"a": 1,}',
    b'{"summary": "\xff"}',
    b"[" * 100_000,
]


def test_malformed_json_is_400_also_when_not_utf8_or_nested_too_deep(ssd: Api) -> None:
    for content in MALFORMED:
        for path in (STATEMENTS, f"{STATEMENTS}:batch", "/v1/tracks", "/v1/tracks/ssd/parties"):
            response = post_raw(ssd, path, content)
            assert response.status_code == 400, f"{path} {content[:40]!r}: {response.text}"
            assert_problem(response, 400)
    assert ssd.track("ssd")["version"] == 1


# -- 422: the shape of the body ------------------------------------------------------------------


NOT_THE_SCHEMA: list[Any] = [
    [],
    "a statement",
    {"type": "speech", "party": RUSSIA, "occurred_at": "2022-01-10", "summary": "x"},
    {"party": RUSSIA, "occurred_at": "2022-01-10", "summary": "x"},
    statement(
        "response", USA, responds_to="00000000-0000-4000-8000-000000000000", position="maybe"
    ),
    {k: v for k, v in statement("response", USA).items() if k != "position"},
    statement("warning", category="economic"),
    statement("sanction_warning", target=""),
    statement("meeting_scheduled", location=None),
    statement("withdrawal"),
    statement("statement", occurred_at=20220110),
    statement("statement", occurred_at="2022-02-30"),
    statement("statement", occurred_at="10 January 2022"),
    statement("statement", topics=[f"t{i}" for i in range(21)]),
    statement("statement", topics="nato"),
    statement("statement", quote="q" * 10_001),
    statement("statement", summary=""),
    statement("demand", red_line="very"),
]


def test_an_invalid_body_is_422_with_errors_naming_the_fields(ssd: Api) -> None:
    problem = refused(ssd, {"type": "demand", "party": RUSSIA, "occurred_at": "2022-01-10"})
    assert any(loc[-1] == "summary" for loc in error_locs(problem)), problem
    for error in problem["errors"]:
        assert {"loc", "msg", "type"} <= set(error)
    for body in NOT_THE_SCHEMA:
        response = ssd.post(STATEMENTS, body)
        assert response.status_code == 422, f"{body!r}: {response.text}"
        assert_problem(response, 422)
    assert ssd.track("ssd")["version"] == 1


def test_an_unknown_field_is_422(ssd: Api) -> None:
    problem = refused(ssd, statement("statement", mood="tense"))
    assert any("mood" in loc for loc in error_locs(problem)), problem
    refused(ssd, statement("statement", source={"publisher": "TASS", "author": "x"}))
    refused(ssd, {"kind": "nato", "title": "T", "parties": [NATO], "chair": "x"}, path="/v1/tracks")
    refused(ssd, {"name": "OSCE", "role": "observer"}, path="/v1/tracks/ssd/parties")


def test_a_summary_over_2000_characters_is_422_and_2000_are_fine(ssd: Api) -> None:
    problem = refused(ssd, statement("statement", summary="s" * 2001))
    assert any(loc[-1] == "summary" for loc in error_locs(problem)), problem
    assert ssd.record("ssd", "statement", summary="s" * 2000)["summary"] == "s" * 2000


def test_a_source_url_must_be_http_or_https(ssd: Api) -> None:
    for url in (
        "ftp://example.org/readout",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "https://",
        "example.org/readout",
    ):
        response = ssd.post(STATEMENTS, statement("statement", source={"url": url}))
        assert response.status_code == 422, url
        problem = assert_problem(response, 422)
        assert any("url" in loc for loc in error_locs(problem)), problem
    for url in ("http://kremlin.ru/events/67315", "https://www.whitehouse.gov/readout"):
        assert ssd.record("ssd", "statement", source={"url": url})["source"]["url"] == url


def test_a_cameo_code_must_be_a_string_of_2_to_4_digits(ssd: Api) -> None:
    for code in ("12345", "1", "12a", "", " 12", 120):
        response = ssd.post(STATEMENTS, statement("statement", cameo_code=code))
        assert response.status_code == 422, repr(code)
        assert_problem(response, 422)
    assert ssd.record("ssd", "statement", cameo_code="12")["cameo_code"] == "12"
    assert ssd.record("ssd", "statement", cameo_code="1234")["cameo_code"] == "1234"


# -- 422: dates and times -------------------------------------------------------------------------


def test_a_naive_date_time_is_422(ssd: Api) -> None:
    problem = refused(ssd, statement("statement", occurred_at="2022-01-10T09:00:00"))
    assert any(loc[-1] == "occurred_at" for loc in error_locs(problem)), problem
    refused(ssd, statement("meeting_scheduled", meeting_at="2022-01-20T10:00:00"))
    refused(
        ssd,
        {"kind": "nato", "title": "T", "parties": [NATO], "opened_at": "2022-01-10T09:00:00"},
        path="/v1/tracks",
    )
    refused(
        ssd,
        {"status": "suspended", "occurred_at": "2022-01-10T09:00:00"},
        path="/v1/tracks/ssd/status",
    )


def test_occurred_at_more_than_a_day_ahead_is_422_but_meeting_at_may_be_in_the_future(
    ssd: Api,
) -> None:
    for ahead in (
        in_the_future(timedelta(days=1, hours=1)),
        (datetime.now(UTC) + timedelta(days=3)).date().isoformat(),
        "2099-01-01",
    ):
        problem = refused(ssd, statement("statement", occurred_at=ahead))
        assert any(loc[-1] == "occurred_at" for loc in error_locs(problem)), problem
    soon = in_the_future(timedelta(hours=12))
    assert ssd.record("ssd", "statement", occurred_at=soon)["occurred_at"] == soon
    meeting = ssd.record(
        "ssd", "meeting_scheduled", meeting_at=in_the_future(timedelta(days=90)), location="Geneva"
    )
    assert meeting["type"] == "meeting_scheduled"


def test_a_date_time_at_the_edge_of_the_calendar_is_422_not_500(ssd: Api) -> None:
    # Its UTC instant falls outside years 1..9999: it cannot be compared, so it is refused.
    refused(ssd, statement("statement", occurred_at="0001-01-01T00:00:00+01:00"))
    for params in ({"since": "0001-01-01T00:00:00+01:00"}, {"until": "9999-12-31T23:00:00-05:00"}):
        assert_problem(ssd.get(f"{STATEMENTS}", params), 422)


def test_a_meeting_at_the_end_of_the_calendar_is_refused_or_projected(start_app: StartApp) -> None:
    # Accepted but not comparable, it would stop the projector for every track (all reads 503).
    api = start_app(min_position_wait_seconds=0.3)
    api.open_track("ssd")
    response = api.post(
        STATEMENTS, statement("meeting_scheduled", meeting_at="9999-12-31T23:00:00-05:00")
    )
    if response.status_code != 201:
        assert_problem(response, 422)
    api.record("ssd", "statement")
    assert api.get("/v1/tracks/ssd").status_code == 200


# -- 422: the rules of the record ------------------------------------------------------------------


def test_a_statement_by_a_party_not_on_the_track_is_422(ssd: Api) -> None:
    problem = refused(ssd, statement("demand", "Ukraine"))
    assert any(loc[-1] == "party" for loc in error_locs(problem)), problem
    assert ssd.track("ssd")["statement_count"] == 0


def test_responds_to_must_name_a_live_statement_of_the_same_track(ssd: Api) -> None:
    gone = ssd.record("ssd", "demand")["id"]
    ssd.retract("ssd", gone)
    ssd.open_track("nrc")
    elsewhere = ssd.record("nrc", "demand")["id"]
    unknown = "00000000-0000-4000-8000-000000000000"
    for target in (unknown, gone, elsewhere):
        for body in (
            statement("response", USA, position="accept", responds_to=target),
            statement("concession", USA, responds_to=target),
        ):
            problem = refused(ssd, body)
            assert any(loc[-1] == "responds_to" for loc in error_locs(problem)), problem
    refused(ssd, statement("response", USA, position="reject", responds_to="not-a-uuid"))
    assert ssd.track("ssd")["version"] == 3


def test_a_withdrawal_must_name_a_live_demand_proposal_or_warning_of_its_party(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)["id"]
    answer = ssd.record("ssd", "response", USA, responds_to=demand, position="reject")["id"]
    said = ssd.record("ssd", "statement", RUSSIA)["id"]
    gone = ssd.record("ssd", "demand", RUSSIA)["id"]
    ssd.retract("ssd", gone)
    for party, target in (
        (USA, demand),  # another party's demand
        (USA, answer),
        (RUSSIA, said),  # not withdrawable
        (RUSSIA, gone),  # retracted
        (RUSSIA, "00000000-0000-4000-8000-000000000000"),
    ):
        problem = refused(ssd, statement("withdrawal", party, withdraws=target))
        assert any(loc[-1] == "withdraws" for loc in error_locs(problem)), problem
    ssd.record("ssd", "withdrawal", RUSSIA, withdraws=demand)
    refused(ssd, statement("withdrawal", RUSSIA, withdraws=demand))  # twice
    assert ssd.status_of("ssd", demand) == "withdrawn"


def test_a_track_needs_distinct_parties_and_a_well_formed_slug(client: Api) -> None:
    refused(
        client, {"kind": "bilateral", "title": "T", "parties": [RUSSIA, RUSSIA]}, path="/v1/tracks"
    )
    refused(client, {"kind": "bilateral", "title": "T", "parties": []}, path="/v1/tracks")
    refused(
        client,
        {"kind": "bilateral", "title": "T", "slug": "Not A Slug", "parties": [RUSSIA]},
        path="/v1/tracks",
    )


# -- 422 from query parameters ------------------------------------------------------------------


def test_bad_query_parameters_are_422_with_errors(ssd: Api) -> None:
    for params in (
        {"limit": 0},
        {"limit": 501},
        {"limit": "ten"},
        {"type": "speech"},
        {"include_retracted": "perhaps"},
        {"since": "yesterday"},
        {"until": "2022-01-10T09:00:00"},
        {"cursor": "not-a-cursor"},
    ):
        response = ssd.get(STATEMENTS, params)
        assert response.status_code == 422, params
        assert_problem(response, 422)
    assert_problem(ssd.http.get("/v1/tracks/ssd", params={"min_position": -1}), 422)


def test_a_forged_cursor_with_a_huge_version_is_not_a_500(ssd: Api) -> None:
    forged = base64.urlsafe_b64encode(b"2022-01-01T00:00:00.000000Z|" + b"9" * 30).decode()
    response = ssd.get(STATEMENTS, {"cursor": forged})
    assert response.status_code in (200, 422), response.text


# -- NUL characters (PostgreSQL text cannot hold them) ---------------------------------------------


def test_a_nul_character_in_a_filter_or_a_statement_id_is_not_a_500(ssd: Api) -> None:
    for path, params in (
        ("/v1/tracks", {"party": "Rus\x00sia"}),
        (STATEMENTS, {"topic": "nato\x00"}),
        (STATEMENTS, {"party": "Rus\x00sia"}),
        (f"{STATEMENTS}/abc%00def", {}),
    ):
        response = ssd.get(path, params)
        assert response.status_code in (200, 404, 422), f"{path} {params}: {response.text}"


def test_a_nul_character_in_a_topic_or_party_does_not_stop_the_read_model(
    start_app: StartApp,
) -> None:
    api = start_app(min_position_wait_seconds=0.3)
    api.open_track("ssd")
    first = api.post(STATEMENTS, statement("statement", topics=["nato\x00"]))
    second = api.post(
        "/v1/tracks", {"kind": "other", "title": "T", "slug": "nul", "parties": ["Rus\x00sia"]}
    )
    for response in (first, second):
        if response.status_code != 201:
            assert_problem(response, 422)
    api.record("ssd", "statement")
    assert api.get("/v1/tracks/ssd").status_code == 200


# -- 413, 404, 405 --------------------------------------------------------------------------------


def test_a_body_over_1_mib_is_413_and_one_just_under_is_not(ssd: Api) -> None:
    huge = statement("statement", quote="q" * (1024 * 1024))
    assert_problem(ssd.post(STATEMENTS, huge), 413)
    assert_problem(post_raw(ssd, "/v1/tracks", b" " * (1024 * 1024 + 1)), 413)
    assert ssd.track("ssd")["statement_count"] == 0
    padding = b" " * (1024 * 1024 - 1000)
    response = post_raw(ssd, STATEMENTS, padding + json.dumps(statement("statement")).encode())
    assert response.status_code == 201, response.text


def test_a_chunked_body_over_1_mib_is_413_too(ssd: Api) -> None:
    def chunks() -> Any:  # no Content-Length: the size shows only while it arrives
        yield json.dumps(statement("statement"))[:-1].encode() + b', "quote": "'
        for _ in range(17):
            yield b"q" * 65536
        yield b'"}'

    response = ssd.http.post(
        STATEMENTS, content=chunks(), headers={**RECORDER, "Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert ssd.track("ssd")["statement_count"] == 0


def test_an_unknown_route_is_a_404_problem_and_a_wrong_method_a_405_problem(client: Api) -> None:
    for path in ("/v2/tracks", "/v1/track", "/v1/tracks/ssd/speeches", "/nothing"):
        assert_problem(client.http.get(path), 404)
    response = client.http.delete("/v1/tracks", headers=RECORDER)
    assert_problem(response, 405)
    assert "GET" in response.headers.get("allow", "") or "POST" in response.headers.get("allow", "")
    assert_problem(client.http.put("/v1/tracks/ssd/statements", json={}, headers=RECORDER), 405)
    assert_problem(client.http.get("/v1/tracks/ssd/statements:batch"), 405)
