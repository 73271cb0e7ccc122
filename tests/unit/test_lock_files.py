"""The lock files (requirements/*.txt, `make lock`) cannot drift from pyproject.toml unnoticed:
every dependency it names is pinned, within its range, with hashes, in both the same way."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)")


def pins(lock: str) -> dict[str, str]:
    """name -> version of every pin in a lock file (comments and hash lines skipped)."""
    found = {}
    for line in (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match["name"])] = match["version"]
    return found


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    named = list(project["dependencies"])
    for extra in extras:
        named += project["optional-dependencies"][extra]
    return [Requirement(text) for text in named]


def unmet(requirements: list[Requirement], pinned: dict[str, str]) -> list[str]:
    missing = []
    for requirement in requirements:
        version = pinned.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            missing.append(f"{requirement} (locked: {version})")
    return missing


def test_the_run_lock_pins_every_dependency_within_pyprojects_range() -> None:
    assert unmet(declared(), pins("run.txt")) == [], "run `make lock`"


def test_the_test_lock_pins_every_dependency_and_test_tool_within_range() -> None:
    assert unmet(declared("test"), pins("test.txt")) == [], "run `make lock`"


def test_the_run_lock_pins_the_versions_the_tests_run_against() -> None:
    run, test = pins("run.txt"), pins("test.txt")

    assert {name: test.get(name) for name in run} == run


def test_every_pin_carries_its_hashes() -> None:
    for lock in ("run.txt", "test.txt"):
        text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text)
        for block in blocks:
            if PIN.match(block):
                assert "--hash=sha256:" in block, f"{lock}: {block.splitlines()[0]}"
