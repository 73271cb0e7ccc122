"""`ntrack types`: the statement types as the registry defines them, as a table or as the
Markdown of docs/statement-types.md (`ntrack types --markdown > docs/statement-types.md`).

Both are made here from `domain.statement_types`, so neither can say something the code does
not do; a unit test compares the committed Markdown with `markdown()`.
"""

from __future__ import annotations

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
        "| type | records | extra fields | default `cameo_code` | behaviour | event |",
        "|---|---|---|---|---|---|",
    ]
    for spec in STATEMENT_TYPE_SPECS.values():
        fields = "<br>".join(field_text(f) for f in spec.fields) or "–"
        behaviour = "<br>".join(behaviour_text(spec)) or "–"
        cells = [f"`{spec.name}`", spec.description, fields, cameo_text(spec), behaviour]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + f" | `{spec.event}` |")
    lines += [
        "",
        "To add a type, see [adding-a-statement-type.md](adding-a-statement-type.md).",
        "",
    ]
    return "\n".join(lines)


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
    ) -> None:
        """List the statement types: extra fields, default CAMEO code, behaviour, event."""
        if as_markdown:
            typer.echo(markdown(), nl=False)
            return
        console = Console()
        console.print(table())
        console.print(_plain(f"Every statement also has {common_fields_text()}."))
