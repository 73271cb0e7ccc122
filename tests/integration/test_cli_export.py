"""`ntrack export` of the shipped examples in each format, read back, on SQLite and PostgreSQL:
every statement once (by its home track), in occurred_at order, with its track's slug; the
filters; a file or stdout; and release 1's `ntrack export TRACK` still the event export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.values import instant_of, sort_key
from infra.settings import Settings, get_settings
from services.bootstrap import build
from services.cli import export as cli_export
from services.cli.main import cli
from services.exports import tabular
from services.exports.listings import STATEMENTS
from tests.e2e.scenario_checks import EXAMPLE_FILES, read_example

runner = CliRunner()


@pytest.fixture
def examples(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """Both examples loaded with `ntrack load`; NTRACK_DATABASE_URL names the store."""
    monkeypatch.setenv("NTRACK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    for path in EXAMPLE_FILES:
        result = runner.invoke(cli, ["load", str(path)])
        assert result.exit_code == 0, result.output
    yield [read_example(path) for path in EXAMPLE_FILES]
    get_settings.cache_clear()


def export(*args: str) -> str:
    result = runner.invoke(cli, ["export", *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes.decode("utf-8")  # as written: CRLF stays CRLF


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def statement_count(data: list[dict[str, Any]], track: str | None = None) -> int:
    return sum(1 for d in data for s in d["statements"] if track in (None, s["track"]))


def test_jsonl_holds_every_statement_once_in_occurred_order_with_its_track_slug(
    examples: list[dict[str, Any]], database_url: str
) -> None:
    items = jsonl(export())
    assert len(items) == statement_count(examples)
    assert len({item["id"] for item in items}) == len(items)
    keys = [sort_key(item["occurred_at"]) for item in items]
    assert keys == sorted(keys)
    tracker = build(Settings(database_url=database_url, embedded_projector=False))
    try:
        slugs = {t["id"]: t["slug"] for t in tracker.read_model.list_tracks(None, None, None)}
    finally:
        tracker.close()
    assert all(item["track_slug"] == slugs[item["track_id"]] for item in items)


def test_csv_and_plover_give_a_row_and_an_event_for_each_jsonl_item(
    examples: list[dict[str, Any]],
) -> None:
    items = jsonl(export())
    text = export("--format", "csv")
    assert text.startswith(tabular.header(STATEMENTS.columns)) and text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    events = jsonl(export("--format", "plover"))

    assert [r["id"] for r in rows] == [e["event_id"] for e in events] == [i["id"] for i in items]
    for item, row, event in zip(items, rows, events, strict=True):
        assert (row["track_slug"], row["summary"], row["type"]) == (
            item["track_slug"],
            item["summary"],
            item["type"],
        )
        assert row["speaker"] == (item.get("speaker") or {}).get("name", "")
        assert (event["actor"], event["text"], event["cameo_code"]) == (
            item["party"],
            item["summary"],
            item["cameo_code"],
        )
        assert event["event_date"] == instant_of(item["occurred_at"]).date().isoformat()
    by_type = {i["type"]: e["event_type"] for i, e in zip(items, events, strict=True)}
    assert by_type["demand"] == "DEMAND" and by_type["sanction_warning"] == "THREATEN"


def test_filters_select_the_track_type_party_and_dates(examples: list[dict[str, Any]]) -> None:
    ssd = jsonl(export("--track", "us-russia-ssd"))
    assert len(ssd) == statement_count(examples, "us-russia-ssd")
    assert {i["track_slug"] for i in ssd} == {"us-russia-ssd"}

    demands = jsonl(export("--type", "demand", "--party", "Russia"))
    assert demands and {(i["type"], i["party"]) for i in demands} == {("demand", "Russia")}

    january = jsonl(export("--since", "2022-01", "--until", "2022-01-31"))
    assert january and all(i["occurred_at"].startswith("2022-01") for i in january)
    assert len(january) < statement_count(examples)


def test_paging_reads_every_statement_of_a_long_track(
    examples: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = export()
    monkeypatch.setattr(cli_export, "PAGE", 2)
    assert export() == whole


def test_output_writes_to_a_file_what_stdout_shows(
    examples: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "statements.csv"
    assert export("--format", "csv", "--output", str(target)) == ""
    assert target.read_bytes().decode("utf-8") == export("--format", "csv")


def test_an_unknown_track_or_a_bad_date_is_a_clear_error(examples: list[dict[str, Any]]) -> None:
    unknown = runner.invoke(cli, ["export", "--track", "no-such-track"])
    assert unknown.exit_code == 2 and "no track 'no-such-track'" in unknown.stderr
    bad_date = runner.invoke(cli, ["export", "--since", "2022-13"])
    assert bad_date.exit_code == 2 and "--since" in bad_date.output
    mixed = runner.invoke(cli, ["export", "us-russia-ssd", "--type", "demand"])
    assert mixed.exit_code == 2 and "--track" in mixed.stderr


def test_export_with_a_track_argument_is_still_the_audit_export_of_its_events(
    examples: list[dict[str, Any]],
) -> None:
    events = jsonl(export("us-russia-ssd"))
    assert events[0]["type"] == "TrackOpened"
    assert all(e["hash"] and e["version"] == n for n, e in enumerate(events, start=1))
