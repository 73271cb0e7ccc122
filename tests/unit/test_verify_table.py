"""`ntrack verify`'s table at 80 columns (a pipe, a CI log): nothing an auditor reads is cut."""

from __future__ import annotations

from rich.console import Console

from services.cli.audit import _verify_table


def rendered(rows: list[dict[str, object]]) -> str:
    console = Console(width=80, record=True, color_system=None)
    console.print(_verify_table(rows))  # type: ignore[arg-type]
    return console.export_text()


def row(slug: str, **broken: object) -> dict[str, object]:
    return {
        "slug": slug,
        "track_id": "0",
        "valid": not broken,
        "events_checked": 27,
        "first_invalid_version": broken.get("version"),
        "snapshots_checked": 4,
        "invalid_snapshots": broken.get("snapshots", []),
        "checkpoints_checked": 2,
        "invalid_checkpoints": broken.get("checkpoints", []),
    }


def test_at_80_columns_every_header_and_track_is_whole_and_a_break_is_named() -> None:
    text = rendered(
        [
            row("osce-permanent-council"),
            row("us-russia-ssd", version=12, snapshots=[8], checkpoints=[10, 20]),
        ]
    )
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for word in ("track", "valid", "events", "snapshots", "checkpoints", "first", "broken"):
        assert word in text
    assert "osce-permanent-council" in text
    assert "NO" in text and "12" in text
    broken = text[text.index("us-russia-ssd") :]  # its row, wrapped within its cells
    assert broken.count("invalid:") == 2
    assert "│ 8 " in broken and "10, 20" in broken
