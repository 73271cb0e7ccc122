"""The domain imports no infrastructure: no I/O, no web framework, no outer layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {
    "infra",
    "services",
    "fastapi",
    "starlette",
    "psycopg",
    "psycopg_pool",
    "sqlite3",
    "httpx",
    "requests",
    "uvicorn",
    "socket",
    "subprocess",
    "os",
    "pathlib",
    "eventsourcing.postgres",
    "eventsourcing.sqlite",
    "eventsourcing.persistence",
    "eventsourcing.application",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_a_domain_module_imports_nothing_that_does_io(path: Path) -> None:
    bad = {
        name
        for name in _imports(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not bad, f"{path.name} imports {sorted(bad)}"
