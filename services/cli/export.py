"""`ntrack export`: statements as JSON lines, CSV or PLOVER (API.md v1.1, "Exports").

`ntrack export TRACK` (a track as an argument, not `--track`) is still release 1's audit
export of the track's events with their hashes (services.cli.audit), so scripts that use it
keep working; one command answers both because both releases named it `export`.

The statements are those of one track (`--track`) or of every track, each once, by its home
track (as `/v1/statements?track=` selects them), in `occurred_at` order, each with its
track's `track_slug`. They are read page by page and written as they come, so an export of
any size holds one page in memory. `statements()` is the one place that knows how
they are read: the read across tracks that `/v1/statements` answers from.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import orjson
import typer
from pydantic import TypeAdapter, ValidationError

from domain import errors
from domain.values import STATEMENT_TYPES, sort_key
from services.api.dates import Moment
from services.api.paging import end_of_period
from services.application import resolve_track_ref
from services.bootstrap import Tracker
from services.cli import audit
from services.cli.store import fail
from services.exports import plover, tabular
from services.exports.listings import STATEMENTS
from services.queries import PageAfter, StatementQuery

ExportFormat = Literal["jsonl", "csv", "plover"]
StatementType = Literal[STATEMENT_TYPES]  # type: ignore[valid-type]
PAGE = 500
_moment = TypeAdapter(Moment)


def statements(tracker: Tracker, base: StatementQuery) -> Iterator[dict[str, Any]]:
    """Every statement `base` selects, page by page through the read across tracks
    (the one `/v1/statements` answers from), each with its `track_slug`."""
    query = replace(base, limit=PAGE)
    while True:
        items, more = tracker.read_model.statements(query)
        yield from items
        if not more or not items:
            return
        last = items[-1]
        query = replace(query, after=PageAfter(sort_key(last["occurred_at"]), last["id"]))


def _jsonl(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    for item in items:
        yield orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)


def _csv(items: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    yield tabular.header(STATEMENTS.columns).encode()
    for row in tabular.rows(items, STATEMENTS.columns):
        yield row.encode()


WRITERS: dict[str, Callable[[Iterable[dict[str, Any]]], Iterator[bytes]]] = {
    "jsonl": _jsonl,
    "csv": _csv,
    "plover": plover.lines,
}


def _key(option: str, value: str | None, *, end: bool = False) -> str | None:
    if value is None:
        return None
    try:
        moment = _moment.validate_python(value)
    except ValidationError:
        raise typer.BadParameter(
            "a year, a month, a date or a date-time with an offset", param_hint=option
        ) from None
    key = sort_key(moment)
    return end_of_period(moment, key) if end else key


def export(
    events_of: Annotated[
        str | None,
        typer.Argument(
            metavar="TRACK",
            help="release 1's audit export: this track's events with their hashes (jsonl)",
        ),
    ] = None,
    format: Annotated[ExportFormat, typer.Option(help="output format")] = "jsonl",
    track: Annotated[str | None, typer.Option(help="one track (id or slug); default: all")] = None,
    type: Annotated[StatementType | None, typer.Option(help="one type")] = None,
    party: Annotated[str | None, typer.Option(help="the author or a joint author")] = None,
    since: Annotated[str | None, typer.Option(help="from this date (inclusive)")] = None,
    until: Annotated[str | None, typer.Option(help="up to this date (inclusive)")] = None,
    include_retracted: Annotated[bool, typer.Option(help="also retracted statements")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", dir_okay=False, help="default: stdout")
    ] = None,
) -> None:
    """Export statements: `jsonl` (the JSON items, with `track_slug`), `csv` (a header row,
    then one row per statement) or `plover` (PLOVER events, one JSON object a line)."""
    if events_of is not None:
        if track or type or party or since or until or include_retracted:
            raise fail("TRACK exports events; to filter statements, use --track")
        audit.export_cmd(events_of, format, str(output) if output else None)
        return
    base = StatementQuery(
        types=(type,) if type else (),
        parties=(party,) if party else (),
        since_key=_key("--since", since),
        until_key=_key("--until", until, end=True),
        include_retracted=include_retracted,
    )
    with audit._tracker(track) as tracker:
        if track is not None:
            base = replace(base, tracks=(_track_id(tracker, track),))
        items = statements(tracker, base)
        if output is None:
            _write(sys.stdout.buffer, WRITERS[format](items))
            return
        with open(output, "wb") as out:
            _write(out, WRITERS[format](items))


def _track_id(tracker: Tracker, ref: str) -> str:
    track_id = str(resolve_track_ref(ref))
    if not tracker.read_model.has_track(track_id):
        raise errors.TrackNotFound(f"no track {ref!r}")
    return track_id


def _write(out: IO[bytes], chunks: Iterable[bytes]) -> None:
    for chunk in chunks:
        out.write(chunk)
    out.flush()


def register(cli: typer.Typer) -> None:
    cli.command("export")(export)
