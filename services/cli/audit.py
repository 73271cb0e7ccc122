"""Audit commands for the `ntrack` CLI: verify, replay, rebuild, export, checkpoints.

Exit codes: 0 fine; 1 the audit found a problem (broken chain, read-model differences);
2 the command could not run (unknown track, bad option, store unreachable). Errors are
one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from domain import errors
from services import audit
from services.application import resolve_track_ref
from services.bootstrap import Tracker
from services.cli.store import fail, open_tracker
from services.projections import rebuild

TrackArg = Annotated[str, typer.Argument(help="track id or slug")]


@contextmanager
def _tracker(ref: str | None = None) -> Iterator[Tracker]:
    """The store that is already there (these commands make none), closed afterwards; known
    failures become a clear message and exit code 2. `ref` is the track as the user named it."""
    tracker = open_tracker(existing=True)
    try:
        yield tracker
    except errors.TrackNotFound as e:
        raise fail(f"no track {ref!r}" if ref else str(e)) from None
    except errors.TrackerError as e:  # NotRecordedYet, RuleViolation: the question was bad
        raise fail(str(e)) from None
    finally:
        tracker.close()


def _verify_table(rows: list[dict[str, Any]]) -> Table:
    # Six columns, the track never cut (what an auditor reads first), so that the table fits
    # 80 columns (a pipe, a CI log) with every header whole; "first broken" is the first
    # version whose hash does not verify, and invalid snapshots and checkpoints are named
    # beside their counts.
    table = Table(title="hash chain, snapshots and view checkpoints")
    table.add_column("track", no_wrap=True)
    for column in ("valid", "events", "snapshots", "checkpoints"):
        table.add_column(column)
    table.add_column("first broken", max_width=6)  # its header in two lines
    for row in rows:
        table.add_row(
            row.get("slug") or row["track_id"],
            "[green]yes[/green]" if row["valid"] else "[red]NO[/red]",
            str(row["events_checked"]),
            _checked(row["snapshots_checked"], row["invalid_snapshots"]),
            _checked(row["checkpoints_checked"], row["invalid_checkpoints"]),
            "" if row["first_invalid_version"] is None else str(row["first_invalid_version"]),
        )
    return table


def _checked(count: int, invalid: list[int]) -> str:
    """`12`, or `12, invalid: 3, 7` (the versions whose snapshot or checkpoint is wrong)."""
    if not invalid:
        return str(count)
    return f"{count}, [red]invalid: {', '.join(map(str, invalid))}[/red]"


def verify_cmd(
    track: Annotated[str | None, typer.Argument(help="track id or slug")] = None,
    all_tracks: Annotated[bool, typer.Option("--all", help="verify every track")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print JSON: `valid` and one item per track")
    ] = False,
) -> None:
    """Recompute the hash chain of a track (or of all) from the stored events; the table
    shows each track's full head hash, to keep and compare with a later run."""
    if (track is None) == (not all_tracks):
        raise fail("give a TRACK or --all (not both)")
    with _tracker(track) as tracker:
        if all_tracks:
            report = audit.verify_all(tracker.app)
            rows = report["items"]
        else:
            track_id = resolve_track_ref(track or "")
            rows = [
                {"track_id": str(track_id), "slug": track, **audit.verify(tracker.app, track_id)}
            ]
    valid = all(row["valid"] for row in rows)
    if as_json:
        report = {"valid": valid, "tracks_checked": len(rows), "items": rows}
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        console = Console()
        console.print(_verify_table(rows))
        # Below the table, one line each, whole: an auditor keeps these to compare with a
        # later run, and a table column as wide as a hash would squeeze the others away.
        console.print("head hashes (keep them: a later verify must end on the same):")
        for row in rows:
            name = row.get("slug") or row["track_id"]
            console.print(f"  {name} {row['head_hash'] or '-'}", highlight=False, soft_wrap=True)
    if not valid:
        raise typer.Exit(1)


def _timeline_table(statements: list[dict[str, Any]]) -> Table:
    table = Table(title="timeline")
    for column in ("v", "occurred", "type", "party", "summary", "status"):
        table.add_column(column)
    for s in statements:
        status = "retracted" if s["retracted"] else s.get("status", "")
        table.add_row(
            str(s["version"]), s["occurred_at"], s["type"], s["party"], s["summary"], status
        )
    return table


def _state_table(state: dict[str, Any]) -> Table:
    table = Table(
        title=f"{state['slug']} as of version {state['as_of']['version']}", show_header=False
    )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(state["counts_by_type"].items()))
    meeting = state["next_meeting"]
    for key, value in (
        ("recorded at", state["as_of"]["recorded_at"]),
        ("title", state["title"]),
        ("status", state["status"]),
        ("parties", ", ".join(state["parties"])),
        ("statements", f"{state['statement_count']} ({counts})" if counts else "0"),
        ("open demands", str(len(state["open_demands"]))),
        ("sanction warnings", str(len(state["active_sanction_warnings"]))),
        ("next meeting", f"{meeting['meeting_at']} {meeting['location']}" if meeting else "-"),
    ):
        table.add_row(key, value)
    return table


def replay_cmd(
    track: TrackArg,
    version: Annotated[int | None, typer.Option("--version", help="after this version")] = None,
    recorded_at: Annotated[
        str | None, typer.Option("--recorded-at", help="as recorded up to this instant (RFC 3339)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """The track's state and timeline as they stood at a version or an instant."""
    if version is not None and recorded_at is not None:
        raise fail("give --version or --recorded-at, not both")
    with _tracker(track) as tracker:
        result = audit.replay(
            tracker.app, resolve_track_ref(track), version=version, recorded_at=recorded_at
        )
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console()
    console.print(_state_table(result["state"]))
    console.print(_timeline_table(result["statements"]))


def rebuild_cmd(
    check_only: Annotated[
        bool,
        typer.Option(
            "--check", help="compare the live read model with a fresh rebuild; change nothing"
        ),
    ] = False,
) -> None:
    """Rebuild the read model from the event log (or check it against one)."""
    console = Console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with _tracker() as tracker, Progress(*columns, console=console) as bar:
        task = bar.add_task("checking" if check_only else "rebuilding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=max(total, done))

        if check_only:
            differences = rebuild.check(tracker, progress=progress)
        else:
            result = rebuild.rebuild(tracker, progress=progress)
    if not check_only:
        console.print(f"rebuilt: {result['events_applied']} events, position {result['position']}")
        return
    if not differences:
        console.print("[green]the read model matches the event log[/green]")
        return
    for difference in differences:
        console.print(
            json.dumps(difference, ensure_ascii=False, default=str), highlight=False, soft_wrap=True
        )
    console.print(f"[red]{len(differences)} difference(s)[/red]")
    raise typer.Exit(1)


def export_cmd(
    track: TrackArg,
    format_: Annotated[str, typer.Option("--format", help="jsonl")] = "jsonl",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="file (default: stdout)")
    ] = None,
) -> None:
    """Export a track's events, one JSON object a line."""
    if format_ != "jsonl":
        raise fail(f"unsupported format {format_!r}: only jsonl")
    with _tracker(track) as tracker:
        track_id = resolve_track_ref(track)
        audit.history(tracker.app, track_id, limit=1)  # unknown track: fail before the file
        if output is None:
            audit.export_jsonl(tracker.app, track_id, sys.stdout)
            return
        with open(output, "w", encoding="utf-8") as out:
            count = audit.export_jsonl(tracker.app, track_id, out)
    Console(stderr=True).print(f"{count} events written to {output}")


def checkpoints_cmd(
    track: Annotated[str | None, typer.Argument(help="track id or slug")] = None,
    all_tracks: Annotated[bool, typer.Option("--all", help="every track")] = False,
    rewrite: Annotated[
        bool,
        typer.Option(
            "--rewrite",
            help="delete the track's checkpoints and write them all again (when "
            "verify reports one)",
        ),
    ] = False,
) -> None:
    """Write the view checkpoints that as-of starts from for the versions of tracks recorded
    before checkpoints existed (the projector writes newer ones), or all of them again."""
    if (track is None) == (not all_tracks):
        raise fail("give a TRACK or --all (not both)")
    with _tracker(track) as tracker:
        writer = tracker.checkpoint_writer()
        if writer is None:
            raise fail("checkpoints are off (NTRACK_CHECKPOINT_INTERVAL=0)")
        track_ids = audit.track_ids(tracker.app) if all_tracks else [resolve_track_ref(track or "")]
        if not all_tracks:
            audit.history(tracker.app, track_ids[0], limit=1)  # unknown track: say so
        fill = writer.rewrite if rewrite else writer.backfill
        written = sum(fill(track_id) for track_id in track_ids)
    Console().print(f"{written} checkpoint(s) written for {len(track_ids)} track(s)")


def register(app: typer.Typer) -> None:
    """Add the audit commands to the main CLI."""
    app.command("checkpoints")(checkpoints_cmd)
    app.command("verify")(verify_cmd)
    app.command("replay")(replay_cmd)
    app.command("rebuild")(rebuild_cmd)
    # `export_cmd` is answered by `ntrack export TRACK` (services.cli.export), which also
    # exports statements (API.md v1.1).
