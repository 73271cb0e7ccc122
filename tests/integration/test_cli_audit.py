"""The audit commands, run through typer's test runner against a real store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infra.settings import Settings, get_settings
from services.application import resolve_track_ref
from services.bootstrap import Tracker, build
from services.checkpoint_reader import view_at
from services.cli import audit as cli_audit
from services.cli import export as cli_export
from tests.conftest import replayed_view
from tests.integration.test_verify_tampering import change_text, edit_stored_state

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("NTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: no wrapping inside asserted words
    get_settings.cache_clear()
    app = typer.Typer()
    cli_audit.register(app)
    cli_export.register(app)  # `export TRACK`, the audit export, is answered there
    yield app
    get_settings.cache_clear()


@pytest.fixture
def store(database_url: str) -> Iterator[Tracker]:
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    yield tracker
    tracker.close()


def make_track(tracker: Tracker) -> str:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    track_id = tracker.app.open_track(
        slug=slug,
        kind="bilateral",
        title="Geneva",
        venue=None,
        parties=["Russia", "United States"],
        opened_at="2021-12-01",
        recorded_by="tester",
    ).track.id
    tracker.app.record_statements(
        track_id,
        [
            {
                "type": "demand",
                "party": "Russia",
                "occurred_at": "2021-12-17",
                "summary": "demand number 1",
            },
            {
                "type": "meeting_scheduled",
                "party": "United States",
                "occurred_at": "2021-12-20",
                "summary": "Talks",
                "meeting_at": "2022-01-10",
                "location": "Geneva",
            },
        ],
        recorded_by="tester",
    )
    return slug


def test_verify_prints_a_table_and_exits_1_on_a_broken_chain(cli, store) -> None:
    good, bad = make_track(store), make_track(store)

    assert runner.invoke(cli, ["verify", good]).exit_code == 0
    edit_stored_state(store, resolve_track_ref(bad), 2, change_text)
    broken = runner.invoke(cli, ["verify", bad])
    everything = runner.invoke(cli, ["verify", "--all"])

    assert broken.exit_code == 1 and "NO" in broken.stdout
    assert everything.exit_code == 1
    assert good in everything.stdout and bad in everything.stdout


def test_an_unknown_track_is_a_clear_error_not_a_traceback(cli, store) -> None:
    for args in (
        ["verify", "no-such-track"],
        ["replay", "no-such-track"],
        ["export", "no-such-track", "--format", "jsonl"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 2, args
        assert "no track" in result.stderr and "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_replay_prints_state_and_timeline_or_json(cli, store) -> None:
    slug = make_track(store)

    table = runner.invoke(cli, ["replay", slug, "--version", "2"])
    as_json = runner.invoke(cli, ["replay", slug, "--json"])
    past_end = runner.invoke(cli, ["replay", slug, "--version", "99"])
    before = runner.invoke(cli, ["replay", slug, "--recorded-at", "2000-01-01T00:00:00Z"])

    assert table.exit_code == 0, table.output
    assert "demand number 1" in table.stdout and "Talks" not in table.stdout
    document = json.loads(as_json.stdout)
    assert document["state"]["as_of"]["version"] == 3
    assert [s["type"] for s in document["statements"]] == ["demand", "meeting_scheduled"]
    assert past_end.exit_code == 2 and "versions 1 to 3" in past_end.stderr
    assert before.exit_code == 2 and "not yet opened" in before.stderr


def test_export_writes_jsonl_to_a_file_or_stdout(cli, store, tmp_path: Path) -> None:
    slug = make_track(store)
    target = tmp_path / "export.jsonl"

    to_file = runner.invoke(cli, ["export", slug, "--format", "jsonl", "--output", str(target)])
    to_stdout = runner.invoke(cli, ["export", slug, "--format", "jsonl"])
    other = runner.invoke(cli, ["export", slug, "--format", "csv"])

    assert to_file.exit_code == 0
    lines = target.read_text().splitlines()
    assert [json.loads(line)["type"] for line in lines] == [
        "TrackOpened",
        "DemandMade",
        "MeetingScheduled",
    ]
    assert to_stdout.stdout.splitlines() == lines
    assert other.exit_code == 2 and "only jsonl" in other.stderr


def test_rebuild_and_check_agree_and_check_exits_1_on_a_difference(cli, store) -> None:
    make_track(store)

    rebuilt = runner.invoke(cli, ["rebuild"])
    checked = runner.invoke(cli, ["rebuild", "--check"])
    with store.read_model.transaction() as tx:
        tx.execute("UPDATE rm_tracks SET status = 'suspended'")
    broken = runner.invoke(cli, ["rebuild", "--check"])

    assert rebuilt.exit_code == 0 and "rebuilt: 3 events" in rebuilt.stdout
    assert checked.exit_code == 0 and "matches" in checked.stdout
    assert broken.exit_code == 1 and '"column": "status"' in broken.stdout


def test_checkpoints_are_written_for_tracks_recorded_without_them(
    cli, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store written by a release without view checkpoints: `ntrack checkpoints` adds
    them for the versions recorded, after which as-of starts from them, and verify agrees."""
    from domain import views
    from services import audit

    old = build(
        Settings(database_url=database_url, embedded_projector=False, checkpoint_interval=0)
    )
    try:
        slugs = [make_track(old) for _ in range(2)]
        track_id = resolve_track_ref(slugs[0])
        old.app.record_statements(
            track_id,
            [
                {
                    "type": "demand",
                    "party": "Russia",
                    "occurred_at": f"2022-01-{1 + n % 28:02d}",
                    "summary": f"demand {n}",
                }
                for n in range(250)
            ],
            recorded_by="tester",
        )
    finally:
        old.close()
    monkeypatch.setenv("NTRACK_CHECKPOINT_INTERVAL", "100")
    get_settings.cache_clear()

    one = runner.invoke(cli, ["checkpoints", slugs[0]])
    again = runner.invoke(cli, ["checkpoints", "--all"])

    assert one.exit_code == 0 and "2 checkpoint(s) written for 1 track(s)" in one.stdout
    assert again.exit_code == 0 and "0 checkpoint(s) written for 2 track(s)" in again.stdout
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        app = tracker.app
        for version in (100, 150, 253):
            rebuilt = view_at(app, track_id, version)
            assert rebuilt is not None
            assert views.track_state(rebuilt, None) == views.track_state(
                replayed_view(tracker, track_id, version), None
            )
        assert audit.verify(app, track_id)["checkpoints_checked"] == 2
        assert audit.verify(app, track_id)["valid"] is True
    finally:
        tracker.close()


def test_checkpoints_says_so_when_they_are_turned_off(
    cli, store, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_track(store)
    monkeypatch.setenv("NTRACK_CHECKPOINT_INTERVAL", "0")
    get_settings.cache_clear()
    off = runner.invoke(cli, ["checkpoints", "--all"])
    assert off.exit_code == 2 and "checkpoints are off" in off.stderr


def test_checkpoints_rewrite_repairs_what_verify_reports(cli, database_url: str) -> None:
    from services import audit, checkpoints
    from tests.integration.checkpoint_history import edit_row

    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        slug = make_track(tracker)
        track_id = resolve_track_ref(slug)
        tracker.app.record_statements(
            track_id,
            [
                {
                    "type": "statement",
                    "party": "Russia",
                    "occurred_at": "2022-01-11",
                    "summary": f"point {n}",
                }
                for n in range(300)
            ],
            recorded_by="tester",
        )
        tracker.projector().catch_up()
        edit_row(tracker, checkpoints.view_stream(track_id), 200, lambda state: b"\x00 damaged")
        assert audit.verify(tracker.app, track_id)["invalid_checkpoints"] == [200]

        repaired = runner.invoke(cli, ["checkpoints", slug, "--rewrite"])

        assert repaired.exit_code == 0, repaired.output
        assert "3 checkpoint(s) written for 1 track(s)" in repaired.stdout
        report = audit.verify(tracker.app, track_id)
        assert (report["valid"], report["checkpoints_checked"]) == (True, 3)
        assert view_at(tracker.app, track_id, 250) is not None
    finally:
        tracker.close()
