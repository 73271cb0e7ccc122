"""What is derived from the statement-type registry says what the registry says: the
enumerations the API validates, no enumeration spelled out twice, `ntrack types`, and
docs/statement-types.md."""

from __future__ import annotations

import ast
import typing
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from domain.statement_types import POSITIONS, STATEMENT_TYPE_SPECS, WARNING_CATEGORIES
from domain.values import DEMAND_STATUSES, STATEMENT_TYPES, TrackKind, TrackStatus
from infra.settings import Settings
from services.api.app import create_app
from services.api.schemas import STATEMENT_MODELS
from services.cli import types as cli_types
from services.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
SPECS = list(STATEMENT_TYPE_SPECS.values())

ENUMERATIONS = {
    "track kinds": set(typing.get_args(TrackKind)),
    "track statuses": set(typing.get_args(TrackStatus)),
    "positions": set(POSITIONS),
    "warning categories": set(WARNING_CATEGORIES),
    "statement types": set(STATEMENT_TYPES),
    "demand statuses": set(DEMAND_STATUSES),
}


def _enums(schema: Any) -> list[list[str]]:
    if isinstance(schema, dict):
        found = [schema["enum"]] if "enum" in schema else []
        return found + [e for value in schema.values() for e in _enums(value)]
    if isinstance(schema, list):
        return [e for value in schema for e in _enums(value)]
    return []


def test_the_enumerations_the_api_documents_and_validates_are_the_registrys() -> None:
    document = create_app(Settings(database_url="memory://types")).openapi()
    components = document["components"]["schemas"]

    def param(path: str, name: str) -> list[str]:
        params = document["paths"][path]["get"]["parameters"]
        (enum,) = _enums(next(p["schema"] for p in params if p["name"] == name))
        return enum

    def prop(model: str, name: str) -> list[str]:
        (enum,) = _enums(components[model]["properties"][name])
        return enum

    assert (
        prop("TrackCreate", "kind")
        == param("/v1/tracks", "kind")
        == list(typing.get_args(TrackKind))
    )
    assert (
        prop("StatusChange", "status")
        == param("/v1/tracks", "status")
        == list(typing.get_args(TrackStatus))
    )
    assert param("/v1/tracks/{track}/statements", "type") == list(STATEMENT_TYPES)
    assert param("/v1/tracks/{track}/demands", "status") == list(DEMAND_STATUSES)
    for spec in SPECS:
        for field in spec.fields:
            if field.kind == "enum":
                assert prop(STATEMENT_MODELS[spec.name].__name__, field.name) == list(field.values)


def _literal_enumerations(path: Path) -> list[str]:
    """Literals and tuples of strings in `path` that spell out a whole enumeration again."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        items = node.slice if isinstance(node, ast.Subscript) else node
        if isinstance(items, ast.Tuple) and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in items.elts
        ):
            spelled = {e.value for e in items.elts}
            found += [
                f"{path.name}:{node.lineno} {n}" for n, e in ENUMERATIONS.items() if spelled == e
            ]
    return found


def test_no_module_outside_the_definitions_spells_out_an_enumeration_again() -> None:
    definitions = {ROOT / "domain" / "statement_types.py", ROOT / "domain" / "values.py"}
    modules = [p for d in ("domain", "services", "infra") for p in (ROOT / d).rglob("*.py")]
    assert [f for p in modules if p not in definitions for f in _literal_enumerations(p)] == []


def test_ntrack_types_lists_every_type_with_its_event_and_default_cameo() -> None:
    result = CliRunner().invoke(cli, ["types"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for spec in SPECS:
        assert spec.name in result.output and spec.event in result.output
        codes = [spec.cameo] if isinstance(spec.cameo, str) else spec.cameo.codes.values()
        assert all(f"{code}" in result.output for code in codes)


def test_the_committed_docs_table_is_the_one_the_registry_generates() -> None:
    committed = (ROOT / "docs" / "statement-types.md").read_text(encoding="utf-8")
    assert committed == cli_types.markdown(), (
        "docs/statement-types.md is stale: run "
        "`.venv/bin/ntrack types --markdown > docs/statement-types.md`"
    )
