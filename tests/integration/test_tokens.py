"""API tokens stored in the service's database: hashed, revocable, role-checked, never logged."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from infra.readmodel import ReadModelStore
from infra.settings import Settings
from infra.tokenstore import TABLE, TokenStore
from services.api.app import create_app
from services.api.auth import Principal, TokenBook
from services.bootstrap import Tracker

ENV_SECRET = "env-admin-secret-0123456789"
TRACK = {
    "kind": "bilateral",
    "title": "Strategic Stability Dialogue",
    "parties": ["United States", "Russia"],
}


@pytest.fixture
def store(tracker: Tracker) -> TokenStore:
    return TokenStore(tracker.read_model)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url, api_tokens=f"ops:admin:{ENV_SECRET}", embedded_projector=False
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def raw_rows(read_model: ReadModelStore) -> list[tuple]:
    with read_model.transaction() as tx:
        return list(tx.execute(f"SELECT * FROM {TABLE}").fetchall())


# -- the store ------------------------------------------------------------------------------


def test_a_created_token_is_stored_only_as_the_sha256_of_its_secret(
    store: TokenStore, tracker: Tracker
) -> None:
    token, secret = store.create("alice", "recorder")
    assert len(secret) >= 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    rows = raw_rows(tracker.read_model)
    assert len(rows) == 1
    assert not any(secret in str(value) for value in rows[0])
    assert store.get(token.id) == token


def test_tokens_get_distinct_short_public_ids_and_distinct_secrets(store: TokenStore) -> None:
    made = [store.create(f"user{n}", "reader") for n in range(5)]
    ids = {token.id for token, _ in made}
    secrets = {secret for _, secret in made}
    assert len(ids) == len(secrets) == 5
    assert all(len(token_id) <= 12 for token_id in ids)


def test_a_revoked_token_keeps_its_row_with_the_first_revocation_time(store: TokenStore) -> None:
    token, _ = store.create("bob", "auditor")
    first = store.revoke(token.id)
    again = store.revoke(token.id)
    assert first is not None and first.revoked_at is not None
    assert again is not None and again.revoked_at == first.revoked_at
    assert [t.id for t in store.all()] == [token.id]
    assert store.active() == []
    assert store.revoke("no-such-id") is None


def test_the_token_table_survives_a_read_model_rebuild(store: TokenStore, tracker: Tracker) -> None:
    token, _ = store.create("carol", "reader")
    tracker.read_model.drop_tables()
    tracker.read_model.create_tables()
    assert store.get(token.id) == token


# -- the token book --------------------------------------------------------------------------


def test_the_token_book_accepts_env_and_stored_tokens_and_refuses_revoked_ones(
    store: TokenStore,
) -> None:
    book = TokenBook.from_setting(f"ops:admin:{ENV_SECRET}")
    book.attach(store)
    token, secret = store.create("dana", "recorder")
    assert book.identify(ENV_SECRET) == Principal("ops", "admin")
    assert book.identify(secret) == Principal("dana", "recorder")  # a miss reloads
    assert book.identify(secret + "x") is None
    assert book.identify("") is None
    store.revoke(token.id)
    book.invalidate()
    assert book.identify(secret) is None


def test_a_revocation_takes_effect_once_the_cache_expires(store: TokenStore) -> None:
    book = TokenBook([], store=store, cache_seconds=0.0, miss_reload_seconds=0.0)
    token, secret = store.create("erin", "reader")
    assert book.identify(secret) == Principal("erin", "reader")
    store.revoke(token.id)
    assert book.identify(secret) is None


def test_the_token_book_keeps_its_last_tokens_while_the_store_is_unreachable() -> None:
    class FlakyStore:
        def __init__(self) -> None:
            self.fail = False

        def active(self) -> list:
            if self.fail:
                raise RuntimeError("database down")
            return [
                type(
                    "Row",
                    (),
                    {
                        "digest": hashlib.sha256(b"s3cret").hexdigest(),
                        "principal": "fred",
                        "role": "reader",
                    },
                )()
            ]

    flaky = FlakyStore()
    book = TokenBook([], store=flaky, cache_seconds=0.0, miss_reload_seconds=0.0)
    assert book.identify("s3cret") == Principal("fred", "reader")
    flaky.fail = True
    assert book.identify("s3cret") == Principal("fred", "reader")
    with pytest.raises(RuntimeError):
        TokenBook([], store=flaky).identify("s3cret")


# -- over HTTP ----------------------------------------------------------------------------------


def test_a_stored_token_authenticates_and_records_its_principal(client: TestClient) -> None:
    store = TokenStore(client.app.state.tracker.read_model)
    _, secret = store.create("grace", "recorder")
    answer = client.post("/v1/tracks", json=TRACK, headers=bearer(secret))
    assert answer.status_code == 201, answer.text
    app = client.app.state.tracker.app
    events = list(app.repository.event_store.get(UUID(answer.json()["id"])))
    assert [event.recorded_by for event in events] == ["grace"]


def test_a_revoked_token_is_refused_with_401(client: TestClient) -> None:
    store = TokenStore(client.app.state.tracker.read_model)
    token, secret = store.create("heidi", "recorder")
    assert client.post("/v1/tracks", json=TRACK, headers=bearer(secret)).status_code == 201
    store.revoke(token.id)
    client.app.state.tokens.invalidate()
    answer = client.post("/v1/tracks", json=TRACK, headers=bearer(secret))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer"},
        {"Authorization": "bearer  " + "x" * 5000},
    ],
    ids=["missing", "unknown", "basic", "empty", "bare-scheme", "huge"],
)
def test_a_write_without_a_valid_token_is_401_with_a_bearer_challenge(
    client: TestClient, headers: dict[str, str]
) -> None:
    answer = client.post("/v1/tracks", json=TRACK, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].split()[0] == "Bearer"
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert {"type", "title", "status", "detail"} <= answer.json().keys()


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("reader", "/v1/tracks", 403),
        ("auditor", "/v1/tracks", 403),
        ("recorder", "/v1/tracks", 201),
        ("admin", "/v1/tracks", 201),
    ],
)
def test_a_write_needs_the_recorder_role(
    client: TestClient, role: str, path: str, status: int
) -> None:
    _, secret = TokenStore(client.app.state.tracker.read_model).create(f"{role}-user", role)
    answer = client.post(path, json={**TRACK, "slug": f"track-for-{role}"}, headers=bearer(secret))
    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.json()["status"] == 403
        assert "www-authenticate" not in answer.headers


def test_reads_are_public_by_default(client: TestClient) -> None:
    assert client.get("/v1/tracks").status_code == 200


def test_no_secret_or_authorization_header_reaches_a_log_line(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    store = TokenStore(client.app.state.tracker.read_model)
    _, recorder_secret = store.create("ivan", "recorder")
    _, reader_secret = store.create("judy", "reader")
    wrong_secret = "wrong-" + recorder_secret[::-1]
    with caplog.at_level(logging.DEBUG):
        created = client.post("/v1/tracks", json=TRACK, headers=bearer(recorder_secret))
        track = created.json()["id"]
        for secret in (ENV_SECRET, recorder_secret, reader_secret, wrong_secret):
            client.post(
                f"/v1/tracks/{track}/statements",
                headers=bearer(secret),
                json={
                    "type": "statement",
                    "party": "Russia",
                    "occurred_at": "2022-01-10",
                    "summary": "security guarantees",
                },
            )
            client.get("/v1/tracks", headers=bearer(secret))
            client.post(
                "/v1/tracks/unknown/statements", headers=bearer(secret), content=b"{not json"
            )
        client.get("/v1/tracks", headers={"Authorization": f"Token {recorder_secret}"})
    assert any(r.name.startswith(("ntrack", "services")) for r in caplog.records), (
        "expected the service's own (access) log records to be captured"
    )
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.args!r} {vars(r)!r}" for r in caplog.records
    )
    for secret in (ENV_SECRET, recorder_secret, reader_secret, wrong_secret):
        assert secret not in logged


def test_the_sqlite_token_table_is_in_the_read_model_database(tmp_path) -> None:
    from services.bootstrap import build

    path = tmp_path / "db.sqlite3"
    tracker = build(Settings(database_url=f"sqlite:///{path}", embedded_projector=False))
    try:
        TokenStore(tracker.read_model).create("mia", "reader")
    finally:
        tracker.close()
    with sqlite3.connect(path) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert TABLE in names
