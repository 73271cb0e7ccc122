"""Release 1's database with its read model rebuilt by the current code: every answer keeps
every field release 1 gave, with the same value (v1.1 only adds fields: `sources`, `stance`,
`occurred_precision`, ...). The unrebuilt database must answer exactly as release 1 did
(test_release_fixture.py); this is what a v1 client sees once the read model is rebuilt."""

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
from services.bootstrap import build
from services.projections.rebuild import rebuild
from tests.integration.test_release_fixture import AUDITOR, FIXTURE, TOKENS, _restore_postgres


def v1_fields_kept(v1: Any, now: Any, where: str = "") -> list[str]:
    """Where `now` lacks or changes something `v1` had (added keys are fine)."""
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
        return [
            p
            for i, (a, b) in enumerate(zip(v1, now, strict=True))
            for p in v1_fields_kept(a, b, f"{where}[{i}]")
        ]
    return [] if v1 == now else [f"{where}: {v1!r} became {now!r}"]


@pytest.fixture
def rebuilt(database_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    if database_url.startswith("sqlite"):
        store = "sqlite"
        copy = tmp_path / "release-1.sqlite3"
        shutil.copyfile(FIXTURE / "ntrack.sqlite3", copy)
        database_url = f"sqlite:///{copy}"
    else:
        store = "postgres"
        _restore_postgres(database_url)
    settings = Settings(
        database_url=database_url, api_tokens=TOKENS, embedded_projector=False, document_cache_mb=0
    )
    tracker = build(settings)
    try:
        rebuild(tracker)
    finally:
        tracker.close()
    answers = json.loads((FIXTURE / f"answers-{store}.json").read_text())
    with TestClient(create_app(settings)) as http:
        yield http, answers


def test_a_rebuilt_release_1_read_model_keeps_every_v1_field_of_every_answer(
    rebuilt: tuple[TestClient, dict[str, Any]],
) -> None:
    http, answers = rebuilt
    renewed = 0
    for path, expected in answers.items():
        response = http.get(path, headers=AUDITOR)
        assert response.status_code == expected["status"], (path, response.text)
        assert v1_fields_kept(expected["body"], response.json()) == [], path
        renewed += '"occurred_precision"' in response.text
    assert renewed > 10  # the statements were rendered again, by the current code
