"""The `ntrack` command line (typer): serve, project, load, types, and the audit commands."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from importlib.metadata import version
from typing import Annotated

import typer

from infra.settings import get_settings, use_database_url
from services.api.auth import TokenBook, TokenConfigError
from services.cli.listen import cannot_listen
from services.cli.store import fail, open_tracker
from services.logs import clear_metrics_dir, logging_config, setup_logging

DISTRIBUTION = "negotiation-tracker"  # pyproject.toml's [project] name

cli = typer.Typer(
    help="The negotiation tracker. A command that opens a store names it on stderr; one that "
    "only reads or audits refuses a store that is not there (docs/cli.md).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"ntrack {version(DISTRIBUTION)}")
        raise typer.Exit()


@cli.callback()
def options(
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            show_default=False,
            help="the store: sqlite:///PATH, postgresql://USER:PASSWORD@HOST:PORT/DB or "
            "memory:// (default: NTRACK_DATABASE_URL, else sqlite:///./ntrack.sqlite3)",
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Options for every command."""
    if database_url is not None:
        use_database_url(database_url)


@cli.command()
def serve(
    host: Annotated[
        str | None, typer.Option(show_default=False, help="default: NTRACK_HOST, else 127.0.0.1")
    ] = None,
    port: Annotated[
        int | None, typer.Option(show_default=False, help="default: NTRACK_PORT, else 8000")
    ] = None,
    workers: int = 1,
) -> None:
    """Run the HTTP API (with the embedded projector unless NTRACK_EMBEDDED_PROJECTOR=false)."""
    import uvicorn

    settings = get_settings()
    host = settings.host if host is None else host
    port = settings.port if port is None else port
    setup_logging(settings.log_level)
    clear_metrics_dir()
    try:
        TokenBook.from_setting(settings.api_tokens)
    except TokenConfigError as e:
        raise fail(str(e), logged=True) from None
    problem = cannot_listen(host, port)
    if problem is not None:
        raise fail(problem, logged=True)
    # fail fast, with a message, if the store is unusable or too small for the workers
    open_tracker(
        existing=False,
        processes=workers,
        projector=settings.embedded_projector,
        api=True,
        logged=True,
    ).close()
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
    tracker = open_tracker(existing=False, processes=1, projector=True, logged=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    tracker.start_projector()
    logging.getLogger(__name__).info("projector running; Ctrl-C to stop")
    stop.wait()
    tracker.close()


def _register_audit_commands() -> None:
    try:
        from services.cli import audit as cli_audit
    except ImportError:  # pragma: no cover - the audit commands are optional in a build
        return
    cli_audit.register(cli)


_register_audit_commands()


def _register_load_command() -> None:
    from services.cli import load as cli_load

    cli_load.register(cli)


_register_load_command()


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
