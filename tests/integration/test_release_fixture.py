"""A database written by release 1 loads, verifies and answers as release 1 did.

tests/fixtures/release_1/ holds that database for both stores (made once by `make.py` there,
with release 1's code) and every answer release 1 gave to it. Whatever the current code
changes in events, snapshots, checkpoints or read-model tables, no field of these answers
may move or go: a v1 client reads them unchanged. Release 1.1 only adds fields (`sources`,
`stance`, `occurred_precision`, `attribution`, `responses` on every statement, ...), so the
answers are compared on the fields release 1 gave.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.api.app import create_app

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release_1"
TOKENS = "rita:recorder:rec-secret,audrey:auditor:aud-secret"
RECORDER = {"Authorization": "Bearer rec-secret"}
AUDITOR = {"Authorization": "Bearer aud-secret"}


def _restore_postgres(url: str) -> None:
    import psycopg

    from infra.stores import parse_database_url

    config = parse_database_url(url)
    assert config.pg_conninfo is not None
    dump = (FIXTURE / "postgres.sql").read_text().replace("__SCHEMA__", str(config.pg_schema))
    with psycopg.connect(**config.pg_conninfo, autocommit=True) as conn:
        conn.execute(dump.encode())


@pytest.fixture
def release_1(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    """The app over a copy of release 1's database, and release 1's answers on that store."""
    if database_url.startswith("sqlite"):
        store = "sqlite"
        copy = tmp_path / "release-1.sqlite3"
        shutil.copyfile(FIXTURE / "ntrack.sqlite3", copy)
        database_url = f"sqlite:///{copy}"
    else:
        store = "postgres"
        _restore_postgres(database_url)
    answers = json.loads((FIXTURE / f"answers-{store}.json").read_text())
    settings = Settings(
        database_url=database_url,
        api_tokens=TOKENS,
        snapshot_interval=10,
        checkpoint_interval=10,
        document_cache_mb=0,
    )
    with TestClient(create_app(settings)) as http:
        yield http, answers


def v1_fields_kept(v1: Any, now: Any, where: str = "") -> list[str]:
    """Where `now` lacks or changes something `v1` had (keys added to an object are fine;
    a list must keep its length and order)."""
    if isinstance(v1, dict) and isinstance(now, dict):
        return [
            problem
            for key, value in v1.items()
            for problem in (
                v1_fields_kept(value, now[key], f"{where}.{key}")
                if key in now
                else [f"{where}.{key} is gone"]
            )
        ]
    if isinstance(v1, list) and isinstance(now, list) and len(v1) == len(now):
        pairs = enumerate(zip(v1, now, strict=True))
        return [p for i, (a, b) in pairs for p in v1_fields_kept(a, b, f"{where}[{i}]")]
    return [] if v1 == now else [f"{where}: {v1!r} became {now!r}"]


def test_v1_fields_kept_refuses_a_changed_or_missing_field_and_allows_an_added_one() -> None:
    v1 = {"items": [{"id": 1, "source": None}], "next": None}
    assert (
        v1_fields_kept(v1, {"items": [{"id": 1, "source": None, "sources": []}], "next": None})
        == []
    )
    assert v1_fields_kept(v1, {"items": [{"id": 1}], "next": None}) == [".items[0].source is gone"]
    assert v1_fields_kept(v1, {"items": [], "next": None}) != []
    assert v1_fields_kept(v1, {"items": [{"id": 2, "source": None}], "next": None}) != []


def test_every_answer_of_release_1_is_given_again_on_its_database(
    release_1: tuple[TestClient, dict[str, Any]],
) -> None:
    http, answers = release_1
    assert len(answers) > 100  # every track, statement, version and audit read
    for path, expected in answers.items():
        response = http.get(path, headers=AUDITOR)
        assert response.status_code == expected["status"], (path, response.text)
        assert v1_fields_kept(expected["body"], response.json()) == [], path
        assert response.headers.get("x-projection-position") == expected["position"], path


def test_release_1_tracks_still_verify_and_take_new_statements(
    release_1: tuple[TestClient, dict[str, Any]],
) -> None:
    http, _ = release_1
    before = http.get("/v1/tracks/us-russia-ssd/verify", headers=AUDITOR).json()
    assert before["valid"] and before["invalid_snapshots"] == []
    written = http.post(
        "/v1/tracks/us-russia-ssd/statements",
        json={
            "type": "statement",
            "party": "Russia",
            "occurred_at": "2022-02-01",
            "summary": "A statement recorded by the current code after release 1's history.",
        },
        headers=RECORDER,
    )
    assert written.status_code == 201, written.text
    after = http.get("/v1/tracks/us-russia-ssd/verify", headers=AUDITOR).json()
    assert after["valid"] and after["events_checked"] == before["events_checked"] + 1
    state = http.get(
        "/v1/tracks/us-russia-ssd", params={"min_position": written.json()["position"]}
    ).json()
    assert state["version"] == written.json()["track_version"]
