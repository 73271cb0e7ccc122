"""CSV (RFC 4180) of listed items: one row per item, one column per scalar field.

The columns come from the answer models of what is listed, not from the items at hand, so
every page of one listing has the same header and pages concatenate (drop the later pages'
header rows). A field becomes a column by its type in the model:

- a scalar (text, number, bool, id, date, enumeration): as JSON gives it, `true`/`false` for
  a bool, empty for null;
- a person (`speaker`, `reported_by`): their name;
- a source list (`sources`): each source's URL, else its publisher, else its title;
- a list of statements (`responses`): their ids;
- any other list (`topics`, `measures`, `with_parties`, ...): its items;
- anything else is left out: `source` (the first of `sources`, repeated for v1 clients),
  `corrections` (the audit trail: read it as JSON) and other nested objects.

Lists are joined with `; `. Rows end with CRLF (RFC 4180); the text is UTF-8 with no BOM.
"""

from __future__ import annotations

import csv
import io
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

SEPARATOR = "; "
# Read first, whatever order the models declare their fields in.
LEADING = (
    "id",
    "track_id",
    "track_slug",
    "type",
    "occurred_at",
    "occurred_precision",
    "party",
    "summary",
)

Render = Callable[[Any], str]


@dataclass(frozen=True)
class Column:
    name: str
    render: Render

    def cell(self, item: dict[str, Any]) -> str:
        value = item.get(self.name)
        return "" if value is None else self.render(value)


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _joined(value: Any) -> str:
    return SEPARATOR.join(scalar(v) for v in value)


def _person(value: Any) -> str:
    return str(value.get("name") or "")


def _sources(value: Any) -> str:
    return SEPARATOR.join(
        str(s.get("url") or s.get("publisher") or s.get("title") or "") for s in value
    )


def _ids(value: Any) -> str:
    return SEPARATOR.join(str(v["id"]) for v in value)


def _members(annotation: Any) -> list[Any]:
    """The types `annotation` may hold, without None, `Annotated` and unions."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [] if annotation is type(None) else [annotation]


def _models(annotation: Any) -> list[type[BaseModel]]:
    found = [m for m in _members(annotation) if isinstance(m, type)]
    return [m for m in found if issubclass(m, BaseModel)]


def renderer(annotation: Any) -> Render | None:
    """How a field of this type is written in a cell; None: it is not a column."""
    members = _members(annotation)
    if not members:
        return None
    kind = members[0]
    if get_origin(kind) is list:
        (item,) = get_args(kind) or (Any,)
        models = _models(item)
        if models and all("url" in m.model_fields for m in models):
            return _sources
        if models and all("id" in m.model_fields for m in models):
            return _ids
        return None if models or _is_dict(item) else _joined
    models = _models(kind)
    if models:
        return _person if all("name" in m.model_fields for m in models) else None
    return None if _is_dict(kind) else scalar


def _is_dict(annotation: Any) -> bool:
    return any(m is dict or get_origin(m) is dict for m in _members(annotation))


def columns_of(models: Iterable[type[BaseModel]], extra: Sequence[str] = ()) -> tuple[Column, ...]:
    """The columns of items that are each one of `models`: every field that has a cell,
    named once, `LEADING` ones first, then in the models' order; `extra` (scalar fields
    the models do not declare) last."""
    found: dict[str, Column] = {}
    for model in models:
        for name, field in model.model_fields.items():
            render = renderer(field.annotation)
            if render is not None and name not in found:
                found[name] = Column(name, render)
    for name in extra:
        found.setdefault(name, Column(name, scalar))
    first = [found.pop(name) for name in LEADING if name in found]
    return (*first, *found.values())


def header(columns: Sequence[Column]) -> str:
    return _line([c.name for c in columns])


def rows(items: Iterable[dict[str, Any]], columns: Sequence[Column]) -> Iterator[str]:
    """One CSV line (CRLF-terminated) per item."""
    for item in items:
        yield _line([c.cell(item) for c in columns])


def render(items: Iterable[dict[str, Any]], columns: Sequence[Column]) -> str:
    return header(columns) + "".join(rows(items, columns))


def _line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue()
