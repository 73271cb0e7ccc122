"""Encryption at rest (NTRACK_ENCRYPTION_KEY): the event store holds no plaintext, and
writes, reads, as-of, the projector and the hash chain work as before."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from domain import views
from domain.hashchain import GENESIS_HASH, hash_of_event
from infra.settings import Settings, get_settings
from infra.stores import StoreConfigError, parse_database_url
from services import audit, checkpoints
from services.bootstrap import Tracker, build
from services.checkpoint_reader import view_at
from services.cli.main import cli
from services.projections.projector import Projector
from tests.conftest import replayed_view

pytest.importorskip("Crypto.Cipher.AES", reason="encryption needs pycryptodome (crypto extra)")

MARKER = "Plaintext-Marker-Security-Guarantees"


def new_key(size: int = 32) -> str:
    return base64.b64encode(os.urandom(size)).decode()


def stored_rows(database_url: str, table: str = "events") -> list[bytes]:
    """The raw `state` column of every stored event (or snapshot-store row), read past the
    library."""
    config = parse_database_url(database_url)
    if config.kind == "sqlite":
        assert config.sqlite_path is not None
        with sqlite3.connect(config.sqlite_path) as conn:
            return [bytes(row[0]) for row in conn.execute(f"SELECT state FROM stored_{table}")]
    import psycopg

    assert config.pg_conninfo is not None
    with psycopg.connect(**config.pg_conninfo) as conn:
        rows = conn.execute(f'SELECT state FROM "{config.pg_schema}".ntrack_{table}').fetchall()
    return [bytes(row[0]) for row in rows]


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def encrypted(database_url: str, key: str) -> Iterator[Tracker]:
    tracker = build(
        Settings(database_url=database_url, encryption_key=key, embedded_projector=False)
    )
    yield tracker
    tracker.close()


def record_some(tracker: Tracker) -> tuple[UUID, list[str]]:
    track_id = tracker.app.open_track(
        slug="ssd",
        kind="bilateral",
        title=f"Dialogue {MARKER}",
        venue="Geneva",
        parties=["United States", "Russia"],
        opened_at="2021-12-01",
        recorded_by="lead",
    ).track.id
    result = tracker.app.record_statements(
        track_id,
        [
            {
                "type": "demand",
                "party": "Russia",
                "occurred_at": "2022-01-10",
                "summary": f"No NATO enlargement. {MARKER}",
                "red_line": True,
            },
            {
                "type": "statement",
                "party": "United States",
                "occurred_at": "2022-01-10",
                "summary": "Reciprocal transparency.",
            },
        ],
        recorded_by="lead",
    )
    tracker.app.correct_statement(
        track_id, result.targets[1], {"summary": f"Fixed {MARKER}"}, "typo", recorded_by="lead"
    )
    return track_id, result.targets


def test_stored_events_hold_no_plaintext_when_a_key_is_set(
    encrypted: Tracker, database_url: str
) -> None:
    record_some(encrypted)
    rows = stored_rows(database_url)
    assert len(rows) == 4  # opened, two statements, a correction
    for row in rows:
        assert MARKER.encode() not in row
        assert b"summary" not in row and b"recorded_by" not in row


def test_without_a_key_the_same_rows_are_readable_json(database_url: str) -> None:
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        record_some(tracker)
    finally:
        tracker.close()
    assert any(MARKER.encode() in row for row in stored_rows(database_url))


def test_an_encrypted_store_still_reads_replays_projects_and_verifies(
    encrypted: Tracker, database_url: str, key: str
) -> None:
    track_id, (demand, statement) = record_some(encrypted)
    track = encrypted.app.get_track(track_id)
    assert track.version == 4
    view = replayed_view(encrypted, track_id)
    assert view.statements[statement].fields["summary"] == f"Fixed {MARKER}"
    as_of = replayed_view(encrypted, track_id, 3)
    assert as_of.statements[statement].fields["summary"] == "Reciprocal transparency."

    prev = GENESIS_HASH
    for event in encrypted.app.repository.event_store.get(track_id):
        assert event.prev_hash == prev
        assert event.hash == hash_of_event(event)
        prev = event.hash
    assert prev == track.head_hash

    Projector(encrypted.app, encrypted.read_model).catch_up()
    state = encrypted.read_model.get_track(str(track_id))
    assert state is not None and state["statement_count"] == 2
    assert [d["id"] for d in state["open_demands"]] == [demand]

    encrypted.close()
    reopened = build(
        Settings(database_url=database_url, encryption_key=key, embedded_projector=False)
    )
    try:
        assert reopened.app.get_track(track_id).version == 4
    finally:
        reopened.close()


def test_the_wrong_key_or_no_key_on_an_encrypted_store_is_a_clear_startup_error(
    encrypted: Tracker, database_url: str
) -> None:
    record_some(encrypted)
    with pytest.raises(StoreConfigError, match="not the key they were written with"):
        build(
            Settings(database_url=database_url, encryption_key=new_key(), embedded_projector=False)
        )
    with pytest.raises(StoreConfigError, match="set NTRACK_ENCRYPTION_KEY"):
        build(Settings(database_url=database_url, embedded_projector=False))


@pytest.mark.parametrize(
    "bad",
    ["not base64!", "c2hvcnQ=", new_key(20), "===="],
    ids=["not-base64", "too-short", "20-bytes", "padding-only"],
)
def test_a_malformed_key_is_refused_before_anything_is_opened(tmp_path, bad: str) -> None:
    with pytest.raises(StoreConfigError, match="NTRACK_ENCRYPTION_KEY"):
        build(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3", encryption_key=bad))


@pytest.mark.parametrize("size", [16, 24, 32])
def test_every_aes_key_size_works(tmp_path, size: int) -> None:
    tracker = build(
        Settings(
            database_url=f"sqlite:///{tmp_path}/k{size}.sqlite3",
            encryption_key=new_key(size),
            embedded_projector=False,
        )
    )
    try:
        track_id, _ = record_some(tracker)
        assert tracker.app.get_track(track_id).version == 4
    finally:
        tracker.close()


def test_ntrack_serve_with_a_bad_key_says_so_without_a_traceback(tmp_path) -> None:
    env = {
        **os.environ,
        "NTRACK_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
        "NTRACK_ENCRYPTION_KEY": "definitely-not-a-key",
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from services.cli.main import main; main()",
            "serve",
            "--port",
            "1",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "NTRACK_ENCRYPTION_KEY" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_command_on_an_encrypted_store_without_its_key_exits_with_a_message(
    encrypted: Tracker, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_some(encrypted)
    monkeypatch.setenv("NTRACK_DATABASE_URL", database_url)
    monkeypatch.delenv("NTRACK_ENCRYPTION_KEY", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["token", "list"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 2
    assert "set NTRACK_ENCRYPTION_KEY" in result.output
    assert not isinstance(result.exception, StoreConfigError)


def test_the_key_is_kept_out_of_the_settings_repr(key: str) -> None:
    assert key not in repr(Settings(encryption_key=key))


def test_view_checkpoints_are_encrypted_too_and_as_of_reads_them(
    database_url: str, key: str
) -> None:
    tracker = build(
        Settings(
            database_url=database_url,
            encryption_key=key,
            embedded_projector=False,
            checkpoint_interval=2,
        )
    )
    try:
        track_id, _ = record_some(tracker)
        tracker.projector().catch_up()  # the projector writes them
        app = tracker.app
        rows = list(app.snapshots.get(checkpoints.view_stream(track_id)))
        assert [row.originator_version for row in rows] == [2, 4]
        rebuilt = view_at(app, track_id, 4)
        assert rebuilt is not None
        assert views.track_state(rebuilt, None) == views.track_state(
            replayed_view(tracker, track_id), None
        )
        assert audit.verify(app, track_id)["invalid_checkpoints"] == []
    finally:
        tracker.close()
    raw = stored_rows(database_url, "snapshots")
    assert raw and not any(MARKER.encode() in row or b"summary" in row for row in raw)
