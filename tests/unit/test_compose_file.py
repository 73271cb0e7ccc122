"""docker-compose.yml: its shape, its settings names, and (where the tool exists) its validity.

There is no Docker engine on our machines, so these tests read the file instead of running it.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
NTRACK_NAME = re.compile(r"\bNTRACK_[A-Z0-9_]+")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    return compose["services"][name]


def command_words(spec: dict[str, Any]) -> list[str]:
    command = spec["command"]
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def environment(spec: dict[str, Any]) -> dict[str, str | None]:
    """`environment:` as a mapping, whether written as a mapping or as a list."""
    env = spec.get("environment") or {}
    if isinstance(env, dict):
        return {str(k): None if v is None else str(v) for k, v in env.items()}
    pairs = (item.split("=", 1) for item in env)
    return {p[0]: p[1] if len(p) > 1 else None for p in pairs}


def depends_on_healthy(spec: dict[str, Any], name: str) -> bool:
    depends = spec.get("depends_on") or {}
    return (
        isinstance(depends, dict)
        and (depends.get(name) or {}).get("condition") == "service_healthy"
    )


def test_compose_file_defines_postgres_api_and_projector(compose):
    assert {"postgres", "api", "projector"} <= set(compose["services"])


def test_api_runs_ntrack_serve_on_all_interfaces_with_two_workers(compose):
    words = command_words(service(compose, "api"))
    assert words[:2] == ["ntrack", "serve"]
    assert words[words.index("--host") + 1] == "0.0.0.0"
    assert words[words.index("--port") + 1] == "8000"
    assert words[words.index("--workers") + 1] == "2"


def test_api_publishes_port_8000(compose):
    ports = [str(p) for p in service(compose, "api").get("ports", [])]
    assert any(p.endswith("8000:8000") for p in ports)


def test_projector_runs_ntrack_project(compose):
    assert command_words(service(compose, "projector"))[:2] == ["ntrack", "project"]


def test_api_leaves_projection_to_the_projector_service(compose):
    env = environment(service(compose, "api"))
    assert env["NTRACK_EMBEDDED_PROJECTOR"].lower() == "false"


def test_api_and_projector_share_the_postgres_store(compose):
    api_url = environment(service(compose, "api"))["NTRACK_DATABASE_URL"]
    projector_url = environment(service(compose, "projector"))["NTRACK_DATABASE_URL"]
    assert api_url == projector_url
    assert api_url.startswith("postgresql://")
    assert "@postgres:5432/" in api_url


def test_api_takes_tokens_from_the_host_environment_with_a_default(compose):
    tokens = environment(service(compose, "api"))["NTRACK_API_TOKENS"]
    assert re.fullmatch(r"\$\{NTRACK_API_TOKENS:-[^}]+\}", tokens)


def test_every_ntrack_name_in_the_compose_file_is_a_settings_field():
    known = {f"NTRACK_{name.upper()}" for name in Settings.model_fields}
    used = set(NTRACK_NAME.findall(COMPOSE_FILE.read_text(encoding="utf-8")))
    assert used, "the compose file sets no NTRACK_* variable at all"
    assert used <= known, f"not settings fields: {sorted(used - known)}"


def test_postgres_has_a_pg_isready_healthcheck(compose):
    check = service(compose, "postgres")["healthcheck"]["test"]
    words = shlex.split(check) if isinstance(check, str) else check
    assert any("pg_isready" in word for word in words)


def test_postgres_keeps_its_data_in_a_named_volume(compose):
    named = set(compose.get("volumes") or {})
    mounts = service(compose, "postgres")["volumes"]
    sources = {m.split(":", 1)[0] if isinstance(m, str) else m.get("source") for m in mounts}
    assert sources & named, f"no named volume among {sorted(map(str, sources))}"


@pytest.mark.parametrize("name", ["api", "projector"])
def test_service_waits_for_postgres_to_be_healthy(compose, name):
    assert depends_on_healthy(service(compose, name), "postgres")


def test_api_has_a_healthcheck_on_healthz(compose):
    check = service(compose, "api")["healthcheck"]["test"]
    assert "/healthz" in (check if isinstance(check, str) else " ".join(check))


def test_docker_compose_accepts_the_file():
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip(
            "docker-compose (v1) is not installed; `apt-get install docker-compose` "
            "to validate docker-compose.yml (.ci/run does)"
        )
    result = subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
