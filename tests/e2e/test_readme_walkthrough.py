"""README.md's walk-through, run as written: every `sh` block between its two markers, in
order, with bash, against `ntrack serve` started as `make serve` starts it (the default
SQLite store, `./ntrack.sqlite3`, in a fresh folder). So the README cannot drift from the
code: a command that fails, answers an HTTP error, prints nothing, or prints other than the
answer the README shows after it (`…` standing for anything) fails this test.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
SETTINGS_MARK = "<!-- walkthrough: settings"
START_MARK = "<!-- walkthrough: start -->"
END_MARK = "<!-- walkthrough: end -->"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
ASSIGNED = re.compile(r"^([A-Z_][A-Z0-9_]*)=", re.MULTILINE)

# Run before each block. curl answers an HTTP error with exit 22 (--fail-with-body, the body
# still shown); every failure is noted, since a pipe into python3 would hide its exit code.
# 23 (the reader, `head`, stopped reading) and 28 (--max-time ran out) end the live stream.
PRELUDE = """\
set -e
curl() {
    local rc=0
    command curl --fail-with-body "$@" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 23 ] && [ "$rc" -ne 28 ]; then
        echo "curl $* exited $rc" >> curl-failures
    fi
    return "$rc"
}
if [ -f .walkthrough-vars ]; then source .walkthrough-vars; fi
"""


@dataclass(frozen=True)
class Step:
    script: str
    shown: str | None  # the answer the README shows right after the block, if any


def walkthrough(text: str) -> tuple[str, list[Step]]:
    """The settings block, and each `sh` block of the walk-through with the `text` block
    that follows it directly (nothing but blank lines between them)."""
    settings = FENCE.search(text, text.index(SETTINGS_MARK))
    assert settings is not None and settings.group(1) == "sh"
    start, end = text.index(START_MARK), text.index(END_MARK)
    fences = list(FENCE.finditer(text, start, end))
    steps = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "sh":
            continue
        after = fences[i + 1] if i + 1 < len(fences) else None
        shown = None
        answer = after is not None and after.group(1) == "text"
        if after is not None and answer and not text[fence.end() : after.start()].strip():
            shown = after.group(2)
        steps.append(Step(fence.group(2), shown))
    return settings.group(2), steps


def shown_pattern(shown: str) -> re.Pattern[str]:
    """The README's answer as a pattern: literal, but `…` matches anything."""
    return re.compile(".*?".join(re.escape(part) for part in shown.strip().split("…")), re.DOTALL)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder laid out as a clone is: `.venv` (this interpreter's) and `examples/`; the
    walk-through's files (the store, its state) land here, never in the repository."""
    venv = Path(sys.prefix)
    assert (venv / "bin" / "ntrack").exists(), f"run the tests from the project's venv, not {venv}"
    (tmp_path / ".venv").symlink_to(venv)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    return tmp_path


@pytest.fixture
def environment() -> dict[str, str]:
    """The user's shell: none of the service's settings, so everything takes its default."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NTRACK_")}


@pytest.fixture
def base_url(folder: Path, environment: dict[str, str]) -> Iterator[str]:
    """`make serve` runs `.venv/bin/ntrack serve` with no settings; here on a free port."""
    port = _free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [".venv/bin/ntrack", "serve", "--port", str(port)],
            cwd=folder,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "ntrack serve did not come up:\n" + log.read_text()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_readme_sets_only_the_base_url_that_this_test_sets_itself() -> None:
    text = README.read_text(encoding="utf-8")
    settings, steps = walkthrough(text)

    assert ASSIGNED.findall(settings) == ["BASE"]
    assert "http://127.0.0.1:8000" in settings  # where `make serve` listens
    assert len(steps) >= 10 and sum(step.shown is not None for step in steps) >= 8
    # The service the walk-through runs against is the one `make serve` starts, as the
    # fixture starts it: `.venv/bin/ntrack serve` with no settings.
    assert "```sh\nmake serve\n```" in text[: text.index(SETTINGS_MARK)]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^serve:.*\n\t\$\(BIN\)/ntrack serve \$\(SERVE_ARGS\)$", makefile, re.M)


@pytest.mark.slow
def test_every_block_of_the_readme_walkthrough_runs_as_written_and_answers_as_shown(
    folder: Path, environment: dict[str, str], base_url: str
) -> None:
    _, steps = walkthrough(README.read_text(encoding="utf-8"))
    names = sorted({name for step in steps for name in ASSIGNED.findall(step.script)})
    # Each block runs in a bash of its own; the variables it set are handed to the next.
    keep = f"\ndeclare -p {' '.join(names)} > .walkthrough-vars 2>/dev/null || true\n"

    for number, step in enumerate(steps, start=1):
        run = subprocess.run(
            ["bash", "-c", PRELUDE + step.script + keep],
            cwd=folder,
            env={**environment, "BASE": base_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        where = (
            f"walk-through block {number}:\n{step.script}\n"
            f"stdout:\n{run.stdout}\nstderr:\n{run.stderr}"
        )
        assert run.returncode == 0, where
        failures = folder / "curl-failures"
        assert not failures.exists(), failures.read_text() + where
        assert (run.stdout + run.stderr).strip(), "printed nothing: " + where
        if step.shown is not None:
            assert shown_pattern(step.shown).fullmatch(run.stdout.strip()), (
                f"the README shows:\n{step.shown}\n{where}"
            )
