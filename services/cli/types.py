"""`ntrack types`: the statement types as the registry defines them, as a table, as the
Markdown of docs/statement-types.md (`ntrack types --markdown > docs/statement-types.md`), or
as README.md's shorter table (`ntrack types --readme README.md` rewrites it in place).

All are made here from `domain.statement_types`, so none can say something the code does
not do; unit tests compare the committed Markdown with `markdown()` and `readme_section()`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from domain.statement_types import STATEMENT_TYPE_SPECS, FieldSpec, StatementTypeSpec

_KIND_NAMES = {
    "bool": "bool",
    "ref": "id of a statement on the track",
    "moment": "year, month, date or date-time",
    "instant": "date-time with an offset",
}


def field_text(spec: FieldSpec) -> str:
    """One extra field: name, type, limits, required or its default, e.g.
    "`measures`: [text, 1-300 chars], at most 50 (default [])"."""
    if spec.kind == "text":
        kind = f"text, 1-{spec.max_length} chars"
    elif spec.kind == "enum":
        kind = " | ".join(f"`{v}`" for v in spec.values)
    elif spec.kind == "text_list":
        kind = f"[text, 1-{spec.item_max_length} chars], at most {spec.max_length}"
    else:
        kind = _KIND_NAMES[spec.kind]
    if spec.required:
        presence = "required"
    elif spec.default is None:
        presence = "optional"
    else:
        presence = f"default {str(spec.default).lower()}"
    note = f"; {spec.note}" if spec.note else ""
    return f"`{spec.name}`: {kind} ({presence}{note})"


def cameo_text(spec: StatementTypeSpec) -> str:
    """The default CAMEO code, or the code for each value of the field that decides it."""
    if isinstance(spec.cameo, str):
        return f"`{spec.cameo}`"
    values = spec.field_spec(spec.cameo.field).values
    codes = [f"`{v}`→`{spec.cameo.codes[v]}`" for v in values if v in spec.cameo.codes]
    if any(v not in spec.cameo.codes for v in values):
        codes.append(f"others→`{spec.cameo.otherwise}`")
    return f"by `{spec.cameo.field}`: {', '.join(codes)}"


def _reference_text(ref: FieldSpec) -> str:
    if ref.name == "withdraws":
        kinds = ", ".join(n for n, s in STATEMENT_TYPE_SPECS.items() if s.withdrawable)
        return f"withdraws what `withdraws` names: its author's {kinds}"
    return f"answers what `{ref.name}` names"


def behaviour_text(spec: StatementTypeSpec) -> list[str]:
    lines = []
    if spec.withdrawable:
        lines.append("its author may withdraw it")
    if spec.has_status:
        lines.append("has a status, from the responses to it")
    if spec.board is not None:
        lines.append(f"feeds the track state's `{spec.board}`")
    lines.extend(_reference_text(ref) for ref in spec.references)
    return lines


def common_fields_text() -> str:
    """The fields every statement has (the request models' shared base)."""
    from services.api.schemas import StatementBase

    fields = StatementBase.model_fields
    required = [f"`{n}`" for n, info in fields.items() if info.is_required()]
    optional = [f"`{n}`" for n, info in fields.items() if not info.is_required()]
    return f"{', '.join(required)} (required); {', '.join(optional)} (optional)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _markdown_table(columns: dict[str, Callable[[StatementTypeSpec], str]]) -> list[str]:
    """One row per registered type, one column per entry of `columns` (header: cell)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for spec in STATEMENT_TYPE_SPECS.values():
        lines.append("| " + " | ".join(_cell(cell(spec)) for cell in columns.values()) + " |")
    return lines


def _fields_cell(spec: StatementTypeSpec) -> str:
    return "<br>".join(field_text(f) for f in spec.fields) or "–"


def markdown() -> str:
    """The whole of docs/statement-types.md."""
    lines = [
        "# Statement types",
        "",
        "<!-- Generated from domain/statement_types.py by "
        "`ntrack types --markdown > docs/statement-types.md`; do not edit by hand. -->",
        "",
        f"Every statement has {common_fields_text()}, and `type`, one of the types below",
        "with its extra fields. Without a `cameo_code` a statement gets its type's default.",
        "The event is the class that records it in the track's stream (`domain.events`).",
        "",
        *_markdown_table(
            {
                "type": lambda spec: f"`{spec.name}`",
                "records": lambda spec: spec.description,
                "extra fields": _fields_cell,
                "default `cameo_code`": cameo_text,
                "behaviour": lambda spec: "<br>".join(behaviour_text(spec)) or "–",
                "event": lambda spec: f"`{spec.event}`",
            }
        ),
        "",
        "To add a type, see [adding-a-statement-type.md](adding-a-statement-type.md).",
        "",
    ]
    return "\n".join(lines)


# README.md holds a shorter table between these two lines; `--readme` rewrites what lies
# between them, and a unit test fails when it differs from what the registry generates.
README_START = (
    "<!-- statement-types: generated from domain/statement_types.py by "
    "`ntrack types --readme README.md`; do not edit by hand -->"
)
README_END = "<!-- statement-types: end -->"


def readme_section() -> str:
    """README.md's table of the statement types and their fields, with its two markers."""
    lines = [
        README_START,
        "",
        f"Every statement has {common_fields_text()}; `type` is one of:",
        "",
        *_markdown_table(
            {
                "`type`": lambda spec: f"`{spec.name}`",
                "records": lambda spec: spec.description,
                "extra fields": _fields_cell,
            }
        ),
        "",
        README_END,
    ]
    return "\n".join(lines)


def with_readme_section(text: str) -> str:
    """`text` (README.md) with what lies between the markers replaced by `readme_section()`."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"the file has no section between {README_START!r} and {README_END!r}")
    return text[:start] + readme_section() + text[end + len(README_END) :]


def _plain(text: str) -> Text:
    return Text(text.replace("`", ""))


def table() -> Table:
    view = Table(title="Statement types", show_lines=True)
    for column in ("type", "extra fields", "default CAMEO", "behaviour", "event"):
        view.add_column(column)
    for spec in STATEMENT_TYPE_SPECS.values():
        view.add_row(
            _plain(f"{spec.name}\n{spec.description}"),
            _plain("\n".join(field_text(f) for f in spec.fields) or "–"),
            _plain(cameo_text(spec)),
            _plain("\n".join(behaviour_text(spec)) or "–"),
            _plain(spec.event),
        )
    return view


def register(cli: typer.Typer) -> None:
    @cli.command("types")
    def types_command(
        as_markdown: Annotated[
            bool, typer.Option("--markdown", help="print docs/statement-types.md")
        ] = False,
        readme: Annotated[
            Path | None,
            typer.Option(
                "--readme",
                dir_okay=False,
                exists=True,
                help="rewrite the statement-type table of this README.md in place",
            ),
        ] = None,
    ) -> None:
        """List the statement types: extra fields, default CAMEO code, behaviour, event."""
        if readme is not None:
            try:
                updated = with_readme_section(readme.read_text(encoding="utf-8"))
            except ValueError as e:
                Console(stderr=True).print(f"[red]error:[/red] {readme}: {e}")
                raise typer.Exit(2) from None
            readme.write_text(updated, encoding="utf-8")
            return
        if as_markdown:
            typer.echo(markdown(), nl=False)
            return
        console = Console()
        console.print(table())
        console.print(_plain(f"Every statement also has {common_fields_text()}."))
