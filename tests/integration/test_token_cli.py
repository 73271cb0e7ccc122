"""`ntrack token`: create prints the secret once, list never shows it, revoke takes effect;
unknown roles and ids are refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from infra.settings import Settings, get_settings
from infra.tokenstore import TokenStore
from services.api.auth import Principal, TokenBook
from services.bootstrap import build
from services.cli.main import cli


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("NTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("NTRACK_API_TOKENS", "")
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


def test_token_create_prints_the_secret_once_and_list_never_shows_it(cli_env: str) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "--principal", "kim", "--role", "auditor"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40
    listed = runner.invoke(cli, ["token", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "kim" in listed.stdout and "auditor" in listed.stdout
    assert secret not in listed.output
    assert hashlib.sha256(secret.encode()).hexdigest() not in listed.output

    book = TokenBook([])
    settings = Settings(database_url=cli_env)
    tracker = build(settings)
    try:
        store = TokenStore(tracker.read_model)
        book.attach(store)
        assert book.identify(secret) == Principal("kim", "auditor")
        token_id = store.all()[0].id
    finally:
        tracker.close()

    revoked = runner.invoke(cli, ["token", "revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    tracker = build(settings)
    try:
        assert TokenStore(tracker.read_model).active() == []
    finally:
        tracker.close()


def test_token_create_refuses_an_unknown_role_and_revoke_an_unknown_id(cli_env: str) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["token", "create", "--principal", "lee", "--role", "root"])
    assert bad.exit_code == 2
    assert "unknown role" in bad.output
    # `revoke` reads a store and makes none: one token makes it (`create` may).
    assert (
        runner.invoke(cli, ["token", "create", "--principal", "lee", "--role", "reader"]).exit_code
        == 0
    )
    missing = runner.invoke(cli, ["token", "revoke", "deadbeef"])
    assert missing.exit_code == 1
    assert "no token" in missing.output
