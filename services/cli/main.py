"""The `ntrack` command line (typer): serve, project, load, types, and the audit commands."""

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
from services.bootstrap import Tracker, build, check_connection_budget
from services.logs import clear_metrics_dir, logging_config, setup_logging

cli = typer.Typer(
    help="The negotiation tracker.", no_args_is_help=True, pretty_exceptions_enable=False
)
err = Console(stderr=True)


def open_tracker(*, processes: int = 0, projector: bool = False, api: bool = False) -> Tracker:
    """Build from the environment, or exit with a clear message (never a traceback).
    With `processes`, first check that many such processes fit PostgreSQL's connections."""
    settings = get_settings()
    try:
        if processes:
            check_connection_budget(settings, processes=processes, projector=projector, api=api)
        return build(settings)
    except (StoreConfigError, StoreUnavailable) as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the HTTP API (with the embedded projector unless NTRACK_EMBEDDED_PROJECTOR=false)."""
    import uvicorn

    settings = get_settings()
    setup_logging(settings.log_level)
    clear_metrics_dir()
    try:
        TokenBook.from_setting(settings.api_tokens)
    except TokenConfigError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    # fail fast, with a message, if the store is unusable or too small for the workers
    open_tracker(processes=workers, projector=settings.embedded_projector, api=True).close()
    uvicorn.run(
        "services.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        http="httptools",
        loop="uvloop",
        timeout_graceful_shutdown=10,
        log_config=logging_config(settings.log_level),
        access_log=False,
    )


@cli.command()
def project() -> None:
    """Run the projector alone until interrupted (SIGINT/SIGTERM)."""
    setup_logging(get_settings().log_level)
    tracker = open_tracker(processes=1, projector=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    tracker.start_projector()
    logging.getLogger(__name__).info("projector running; Ctrl-C to stop")
    stop.wait()
    tracker.close()


@cli.command()
def load(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    recorded_by: str = "loader",
) -> None:
    """Load a scenario file (tracks and statements, refs resolved to ids)."""
    from services.scenarios import ScenarioError, load_scenario, read_scenario

    tracker = open_tracker()
    try:
        data = read_scenario(file)
        with Progress(console=err) as bar:
            task = bar.add_task("statements", total=len(data["statements"]))
            ids = load_scenario(
                tracker.app, data, recorded_by=recorded_by, progress=lambda: bar.advance(task)
            )
        tracker.projector().catch_up()
    except ScenarioError as e:
        err.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    finally:
        tracker.close()
    err.print(f"loaded {len(data['tracks'])} tracks and {len(ids)} statements")


def _register_audit_commands() -> None:
    try:
        from services.cli import audit as cli_audit
    except ImportError:  # pragma: no cover - the audit commands are optional in a build
        return
    cli_audit.register(cli)


_register_audit_commands()


def _register_token_commands() -> None:
    from services.cli import tokens as cli_tokens

    cli_tokens.register(cli)


_register_token_commands()


def _register_type_commands() -> None:
    from services.cli import types as cli_types

    cli_types.register(cli)


_register_type_commands()


def _register_export_command() -> None:
    from services.cli import export as cli_export

    cli_export.register(cli)


_register_export_command()


def main() -> None:
    sys.exit(cli())
