"""The `ntrack` command line (typer): serve, project, load, and the audit commands."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from infra.settings import get_settings
from infra.stores import StoreConfigError, StoreUnavailable
from services.api.auth import TokenBook, TokenConfigError
from services.bootstrap import Tracker, build

cli = typer.Typer(help="The negotiation tracker.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
err = Console(stderr=True)


def open_tracker() -> Tracker:
    """Build from the environment, or exit with a clear message (never a traceback)."""
    settings = get_settings()
    try:
        return build(settings)
    except (StoreConfigError, StoreUnavailable) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the HTTP API (with the embedded projector unless NTRACK_EMBEDDED_PROJECTOR=false)."""
    import uvicorn

    settings = get_settings()
    try:
        TokenBook.from_setting(settings.api_tokens)
    except TokenConfigError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    open_tracker().close()  # fail fast, with a message, if the store is unusable
    uvicorn.run("services.api.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level=settings.log_level.lower(), http="httptools",
                loop="uvloop", timeout_graceful_shutdown=10)


@cli.command()
def project() -> None:
    """Run the projector alone until interrupted (SIGINT/SIGTERM)."""
    logging.basicConfig(level=get_settings().log_level,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    tracker = open_tracker()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    tracker.start_projector()
    err.print("projector running; Ctrl-C to stop")
    stop.wait()
    tracker.close()


@cli.command()
def load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
         recorded_by: str = "loader") -> None:
    """Load a scenario file (tracks and statements, refs resolved to ids)."""
    from services.loader import ScenarioError, load_scenario, read_scenario
    from services.projector import Projector

    tracker = open_tracker()
    try:
        data = read_scenario(file)
        with Progress(console=err) as bar:
            task = bar.add_task("statements", total=len(data["statements"]))
            ids = load_scenario(tracker.app, data, recorded_by=recorded_by,
                                progress=lambda: bar.advance(task))
        Projector(tracker.app, tracker.read_model).catch_up()
    except ScenarioError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        tracker.close()
    err.print(f"loaded {len(data['tracks'])} tracks and {len(ids)} statements")


def _register_audit_commands() -> None:
    try:
        from services import cli_audit
    except ImportError:  # pragma: no cover - the audit commands are optional in a build
        return
    cli_audit.register(cli)


_register_audit_commands()


def main() -> None:
    sys.exit(cli())
