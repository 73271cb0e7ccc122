"""`ntrack token create | list | revoke`: API tokens kept (hashed) in the service's database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from services.api.auth import ROLES
from services.cli.store import open_tracker
from services.ports import TokenStore

tokens = typer.Typer(
    help="API tokens stored (as hashes) in the service's database.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


@contextmanager
def _store(*, existing: bool = True) -> Iterator[TokenStore]:
    """The token store; only `create` may make the service's store (before its first start)."""
    tracker = open_tracker(existing=existing)
    try:
        if not tracker.stores.keeps_data:
            err.print(
                "[red]error:[/red] tokens need a lasting store: set NTRACK_DATABASE_URL "
                "to sqlite:///PATH or postgresql://..."
            )
            raise typer.Exit(2)
        yield tracker.token_store()
    finally:
        tracker.close()


@tokens.command("create")
def create(
    principal: Annotated[str, typer.Option(help="who the token belongs to (recorded_by)")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")],
) -> None:
    """Create a token and print its secret, once: only its hash is kept."""
    if role not in ROLES:
        err.print(f"[red]error:[/red] unknown role {role!r}; use one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    if not principal.strip() or ":" in principal or "," in principal:
        err.print("[red]error:[/red] the principal must be a non-empty name without ':' or ','")
        raise typer.Exit(2)
    with _store(existing=False) as store:
        token, secret = store.create(principal, role)
    err.print(
        f"created token [bold]{token.id}[/bold] for {token.principal} ({token.role}); "
        "the secret below is shown only now:"
    )
    # The secret alone on stdout, so `SECRET=$(ntrack token create ...)` works.
    print(secret)


@tokens.command("list")
def list_() -> None:
    """The stored tokens (never their secrets)."""
    with _store() as store:
        rows = store.all()
    table = Table(title="API tokens")
    for column in ("id", "principal", "role", "created_at", "revoked_at"):
        table.add_column(column)
    for token in rows:
        table.add_row(
            token.id, token.principal, token.role, token.created_at, token.revoked_at or ""
        )
    out.print(table)


@tokens.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="the id shown by list")],
) -> None:
    """Revoke a token: refused by the API within a few seconds (its cache), kept in the list."""
    with _store() as store:
        token = store.revoke(token_id)
    if token is None:
        err.print(f"[red]error:[/red] no token {token_id!r}")
        raise typer.Exit(1)
    err.print(f"token {token.id} of {token.principal} revoked at {token.revoked_at}")


def register(app: typer.Typer) -> None:
    app.add_typer(tokens, name="token")
