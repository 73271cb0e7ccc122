"""The documents in the repository say what the code does: README.md's table of statement
types is the registry's, docs/api.md names every path of the OpenAPI document and no other,
docs/operations.md lists every setting, and no document points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.settings import Settings
from services.api.app import create_app
from services.cli import types as cli_types
from services.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
USER_DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
# A path in docs/api.md: in backticks, after its method, e.g. `GET /v1/tracks/{track}`.
DOCUMENTED_PATH = re.compile(r"`(?:GET|POST|PUT|PATCH|DELETE) (/[^`?\s]*)")
LINK = re.compile(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)")


def test_the_readme_table_of_statement_types_is_the_one_the_registry_generates() -> None:
    committed = README.read_text(encoding="utf-8")

    assert cli_types.with_readme_section(committed) == committed, (
        "README.md's table of statement types is stale: run "
        "`.venv/bin/ntrack types --readme README.md`"
    )


def test_ntrack_types_readme_rewrites_only_the_generated_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    stale = f"# Title\n\n{cli_types.README_START}\n| old |\n{cli_types.README_END}\n\nAfter.\n"
    readme.write_text(stale, encoding="utf-8")

    result = CliRunner().invoke(cli, ["types", "--readme", str(readme)])

    assert result.exit_code == 0, result.output
    assert readme.read_text(encoding="utf-8") == (
        f"# Title\n\n{cli_types.readme_section()}\n\nAfter.\n"
    )


def test_ntrack_types_readme_refuses_a_file_without_the_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n", encoding="utf-8")

    result = CliRunner().invoke(cli, ["types", "--readme", str(readme)])

    assert result.exit_code == 2
    assert readme.read_text(encoding="utf-8") == "# Title\n"


def test_docs_api_names_every_path_the_service_serves_and_no_other() -> None:
    schema = create_app(Settings(database_url="memory://docs-api")).openapi()
    served = set(schema["paths"])
    documented = set(DOCUMENTED_PATH.findall((ROOT / "docs" / "api.md").read_text("utf-8")))

    assert served - documented == set(), "served but not in docs/api.md"
    assert documented - served - {"/"} == set(), "in docs/api.md but not served"


def test_docs_operations_lists_every_setting_and_only_real_ones() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = set(re.findall(r"^\| `(NTRACK_[A-Z_]+)` \|", text, re.MULTILINE))
    settings = {f"NTRACK_{name.upper()}" for name in Settings.model_fields}

    assert settings - table == set(), "settings missing from docs/operations.md's table"
    assert table - settings == set(), "docs/operations.md's table lists unknown settings"


@pytest.mark.parametrize("document", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_users_document_points_only_at_files_in_the_repository(document: Path) -> None:
    text = document.read_text(encoding="utf-8")

    assert "../shared" not in text and "shared/" not in text
    assert not re.search(r"\bAPI\.md\b|\bDESIGN\.md\b|\bissue \d", text)
    for target in LINK.findall(text):
        assert (document.parent / target).exists(), f"{document.name} links to {target}"
