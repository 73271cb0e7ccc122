"""`ntrack load FILE [--check]`: record a scenario file, and say what was new.

With `--check`, the loaded state is then compared with the file's `expected` block
(services.scenario_expectations, the comparison the end-to-end tests make over HTTP).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from domain import errors
from services.cli.store import err, fail, open_tracker
from services.scenario_expectations import ReadModelState, differences
from services.scenarios import ScenarioError, load_scenario, read_scenario


def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    recorded_by: str = "loader",
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="then compare what the tracks show with the file's `expected` block "
            "(which holds for a store where only this file was loaded); exit 1 on a difference",
        ),
    ] = False,
) -> None:
    """Load a scenario file (its tracks, then its statements); a second load adds nothing."""
    try:
        data = read_scenario(file)
    except ScenarioError as e:
        raise fail(str(e)) from None
    if check and not isinstance(data.get("expected"), dict):
        raise fail(f"{file} has no `expected` block to check")
    tracker = open_tracker(existing=False)
    try:
        with Progress(console=err, transient=True, disable=not err.is_terminal) as bar:
            task = bar.add_task("statements", total=len(data["statements"]))
            loaded = load_scenario(
                tracker.app, data, recorded_by=recorded_by, progress=lambda: bar.advance(task)
            )
        tracker.projector().catch_up()
        err.print(loaded.summary(), highlight=False, soft_wrap=True)
        found = differences(ReadModelState(tracker.read_model), data, loaded.ids) if check else []
    except (ScenarioError, errors.TrackerError) as e:
        raise fail(str(e)) from None
    finally:
        tracker.close()
    if not check:
        return
    if not found:
        message = f"[green]the tracks show what {escape(str(file))} expects[/green]"
        err.print(message, soft_wrap=True)
        return
    for line in found:
        typer.echo(line)  # on stdout: the check's findings are the command's output
    raise fail(f"{len(found)} difference(s) from the file's `expected` block", code=1)


def register(cli: typer.Typer) -> None:
    cli.command("load")(load)
