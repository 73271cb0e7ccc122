"""Bearer tokens and roles over HTTP: who may write, who may read, and who is recorded."""

from __future__ import annotations

import pytest

from infra.settings import Settings
from tests.e2e.conftest import (
    ADMIN,
    ANONYMOUS,
    AUDITOR,
    READER,
    RECORDER,
    RUSSIA,
    TOKENS,
    USA,
    Api,
    StartApp,
    assert_problem,
    statement,
)

STATEMENTS = "/v1/tracks/ssd/statements"
A_TRACK = {"kind": "bilateral", "title": "T", "slug": "other", "parties": [RUSSIA, USA]}


@pytest.fixture
def ssd(client: Api) -> Api:
    client.open_track("ssd")
    return client


def writes(statement_id: str) -> list[tuple[str, dict]]:
    """One request to every write endpoint of API.md."""
    return [
        ("/v1/tracks", A_TRACK),
        (STATEMENTS, statement("statement")),
        (f"{STATEMENTS}:batch", {"statements": [statement("statement")]}),
        ("/v1/tracks/ssd/parties", {"name": "NATO"}),
        ("/v1/tracks/ssd/status", {"status": "suspended"}),
        (f"{STATEMENTS}/{statement_id}/corrections", {"changes": {"summary": "x"}, "reason": "x"}),
        (f"{STATEMENTS}/{statement_id}/retraction", {"reason": "x"}),
    ]


def assert_unauthorized(response) -> None:
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_every_write_without_a_token_is_401_with_www_authenticate_bearer(ssd: Api) -> None:
    said = ssd.record("ssd", "statement")
    for path, body in writes(said["id"]):
        response = ssd.post(path, body, auth=ANONYMOUS)
        assert response.status_code == 401, path
        assert_unauthorized(response)
    state = ssd.track("ssd")
    assert (state["version"], state["status"]) == (2, "active")


def test_a_write_with_an_unknown_or_malformed_token_is_401(ssd: Api) -> None:
    for headers in (
        {"Authorization": "Bearer not-a-secret"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic cml0YTpyZWMtc2VjcmV0"},
        {"Authorization": "rec-secret"},
        {"Authorization": "Bearer rec-secret-but-longer"},
    ):
        response = ssd.post(STATEMENTS, statement("statement"), auth=headers)
        assert response.status_code == 401, headers
        assert_unauthorized(response)
    assert ssd.track("ssd")["statement_count"] == 0
    lower_case = ssd.post(
        STATEMENTS, statement("statement"), auth={"Authorization": "bearer rec-secret"}
    )
    assert lower_case.status_code == 201, lower_case.text


def test_a_reader_token_on_a_write_is_403(ssd: Api) -> None:
    said = ssd.record("ssd", "statement")
    for path, body in writes(said["id"]):
        response = ssd.post(path, body, auth=READER)
        assert response.status_code == 403, path
        assert_problem(response, 403)
    assert ssd.track("ssd")["version"] == 2


def test_an_auditor_cannot_record_but_a_recorder_and_an_admin_can(ssd: Api) -> None:
    assert_problem(ssd.post(STATEMENTS, statement("statement"), auth=AUDITOR), 403)
    assert_problem(ssd.post("/v1/tracks", A_TRACK, auth=AUDITOR), 403)
    assert ssd.post(STATEMENTS, statement("statement"), auth=RECORDER).status_code == 201
    assert ssd.post(STATEMENTS, statement("statement"), auth=ADMIN).status_code == 201
    assert ssd.track("ssd")["statement_count"] == 2


def test_recorded_by_is_the_principal_of_the_token(ssd: Api) -> None:
    by_rita = ssd.record("ssd", "demand")
    by_ada = ssd.post(STATEMENTS, statement("statement", USA), auth=ADMIN, expect=201).json()
    assert by_rita["recorded_by"] == "rita"
    assert by_ada["recorded_by"] == "ada"
    assert ssd.statement("ssd", by_rita["id"])["recorded_by"] == "rita"
    assert ssd.statement("ssd", by_ada["id"])["recorded_by"] == "ada"
    ssd.post(
        f"{STATEMENTS}/{by_rita['id']}/corrections",
        {"changes": {"summary": "y"}, "reason": "typo"},
        auth=ADMIN,
        expect=201,
    )
    assert ssd.statement("ssd", by_rita["id"])["corrections"][0]["recorded_by"] == "ada"


def test_auditor_endpoints_need_an_auditor_or_admin_token_even_with_public_reads(ssd: Api) -> None:
    assert_unauthorized(ssd.http.get("/v1/tracks/ssd/history"))
    assert_problem(ssd.http.get("/v1/tracks/ssd/history", headers=READER), 403)
    assert_problem(ssd.http.get("/v1/tracks/ssd/history", headers=RECORDER), 403)
    assert ssd.http.get("/v1/tracks/ssd/history", headers=AUDITOR).status_code == 200
    assert ssd.http.get("/v1/tracks/ssd/history", headers=ADMIN).status_code == 200


def test_with_public_reads_off_reads_need_a_token_and_a_reader_token_works(
    start_app: StartApp,
) -> None:
    api = start_app(public_reads=False)
    opened = api.open_track("ssd")
    said = api.record("ssd", "demand")
    reads = [
        "/v1/tracks",
        "/v1/tracks/ssd",
        STATEMENTS,
        f"{STATEMENTS}/{said['id']}",
        "/v1/tracks/ssd/demands",
    ]
    for path in reads:
        response = api.get(path)
        assert response.status_code == 401, path
        assert_unauthorized(response)
        assert_unauthorized(api.get(path, auth={"Authorization": "Bearer wrong"}))
        for token in (READER, RECORDER, AUDITOR, ADMIN):
            assert api.get(path, auth=token).status_code == 200, (path, token)
    assert api.get("/v1/tracks/ssd", auth=READER).json()["id"] == opened["id"]
    assert api.http.get("/healthz").status_code == 200  # operations need no token
    assert api.http.get("/readyz").status_code == 200


def test_public_reads_are_on_by_default_and_let_anonymous_reads_through(
    start_app: StartApp, database_url: str
) -> None:
    settings = Settings(database_url=database_url, api_tokens=TOKENS)
    assert settings.public_reads is True
    api = start_app(settings=settings)
    api.open_track("ssd")
    said = api.record("ssd", "demand")
    for path in (
        "/v1/tracks",
        "/v1/tracks/ssd",
        STATEMENTS,
        f"{STATEMENTS}/{said['id']}",
        "/v1/tracks/ssd/demands",
    ):
        assert api.get(path, auth=ANONYMOUS).status_code == 200, path
    assert_unauthorized(api.post(STATEMENTS, statement("statement"), auth=ANONYMOUS))


def test_ntrack_public_reads_false_in_the_environment_turns_anonymous_reads_off(
    start_app: StartApp, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NTRACK_PUBLIC_READS", "false")
    api = start_app(settings=Settings(database_url=database_url, api_tokens=TOKENS))
    api.open_track("ssd")
    assert_unauthorized(api.get("/v1/tracks/ssd"))
    assert api.get("/v1/tracks/ssd", auth=READER).status_code == 200
