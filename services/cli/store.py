"""The store a command uses: named on stderr, and opened or refused with a clear message.

Every command that opens a store says which on stderr (`ntrack: using …`), so output never
comes from a store the user did not mean. Commands that read or audit (`existing=True`)
refuse a store that is not there rather than make an empty one and answer from it.
"""

from __future__ import annotations

import logging

import typer
from rich.console import Console
from rich.markup import escape

from infra.settings import get_settings
from infra.stores import StoreConfigError, StoreUnavailable, shown_url
from services.bootstrap import StoreMissing, Tracker, build, build_existing, check_connection_budget

err = Console(stderr=True)
log = logging.getLogger("ntrack")

WHERE = (
    "point ntrack at your store with --database-url URL or NTRACK_DATABASE_URL=URL "
    "(a relative sqlite:///PATH is taken from the current folder)"
)


def fail(message: str, code: int = 2, *, logged: bool = False) -> typer.Exit:
    """One plain line on stderr, never a traceback; `logged` also writes it to the JSON log
    (the long-running commands, whose log an operator may read instead of the terminal)."""
    if logged:
        log.error(message)
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def open_tracker(
    *,
    existing: bool,
    processes: int = 0,
    projector: bool = False,
    api: bool = False,
    logged: bool = False,
) -> Tracker:
    """The configured store, named on stderr, or exit 2 with what to change. `existing`:
    refuse a store that has not been made (and make none). With `processes`, first check
    that many such processes fit PostgreSQL's connections."""
    settings = get_settings()
    using = f"ntrack: using {shown_url(settings.database_url)}"
    if logged:
        log.info(using)  # stderr is the JSON log there: every line of it stays JSON
    else:
        err.print(using, markup=False, highlight=False, soft_wrap=True)
    try:
        if processes:
            check_connection_budget(settings, processes=processes, projector=projector, api=api)
        return build_existing(settings) if existing else build(settings)
    except StoreMissing as e:
        hint = "; `ntrack serve` or `ntrack load FILE` make a new one"
        raise fail(f"{e}: this command reads a store and makes none; {WHERE}{hint}") from None
    except (StoreConfigError, StoreUnavailable) as e:
        raise fail(str(e), logged=logged) from None
