"""The service under test: `ntrack serve --workers N` on a PostgreSQL schema, with its
projector either in a process of its own (`separate`: the compose topology, the default
here) or embedded in the API workers (`embedded`: `make serve`'s single-machine default).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks import load

TOPOLOGIES = ("separate", "embedded")


def ntrack_command(source: Path | None = None) -> list[str]:
    """The `ntrack` command; with `source`, on that checkout's code (first on sys.path, which
    uvicorn's spawned workers inherit), for a before/after on the same machine state."""
    ntrack = Path(sys.executable).parent / "ntrack"
    if source is None and ntrack.exists():
        return [str(ntrack)]
    first = str(source.resolve()) if source is not None else ""
    return [
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {first!r}); from services.cli.main import main; main()",
    ]


class Service:
    """`ntrack serve` in its own process group (and `ntrack project` in another), with a
    recorder token."""

    def __init__(self, url: str, workers: int, log: Path, topology: str = "separate") -> None:
        if topology not in TOPOLOGIES:
            raise ValueError(f"topology must be one of {TOPOLOGIES}, not {topology!r}")
        self.url, self.workers, self.log, self.topology = url, workers, log, topology
        self.token = secrets.token_urlsafe(16)
        self.port = load.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.projector: subprocess.Popen[bytes] | None = None
        self.pids: list[int] = []  # the API workers

    def env(self) -> dict[str, str]:
        # NTRACK_CHECKPOINT_INTERVAL passes, so a run can be compared without checkpoints.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("NTRACK_") or k == "NTRACK_CHECKPOINT_INTERVAL"
        }
        env.update(
            NTRACK_DATABASE_URL=self.url,
            NTRACK_API_TOKENS=f"bench:recorder:{self.token}",
            NTRACK_LOG_LEVEL="WARNING",
            NTRACK_EMBEDDED_PROJECTOR=str(self.topology == "embedded").lower(),
        )
        return env

    def start(self) -> None:
        cmd = [
            *ntrack_command(),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        self.proc = load.start(cmd, self.env(), self.log)
        load.wait_http(self.base + "/healthz", self.proc, timeout=90)
        if self.topology == "separate":  # after serve: serve creates the tables
            self.projector = load.start(
                [*ntrack_command(), "project"], self.env(), self.log.with_name("projector.log")
            )
        self.pids = load.wait_workers(self.proc.pid, self.workers)
        time.sleep(1.5)  # every worker past its lifespan startup
        for _ in range(20):  # and answering (each worker takes some of these)
            httpx.get(self.base + "/healthz", timeout=5).raise_for_status()

    @property
    def projector_pids(self) -> list[int]:
        return [self.projector.pid] if self.projector is not None else []

    def stop(self) -> None:
        for proc in (self.projector, self.proc):
            if proc is not None:
                load.stop(proc)
        self.proc = self.projector = None

    def client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.base, timeout=120, headers={"Authorization": f"Bearer {self.token}"}
        )

    def open_tracks(self, prefix: str, count: int) -> list[str]:
        ids = []
        with self.client() as c:
            for i in range(count):
                r = c.post(
                    "/v1/tracks",
                    json={
                        "kind": "bilateral",
                        "title": f"Bench {prefix} {i}",
                        "slug": f"{prefix}-{i}",
                        "parties": load.PARTIES,
                    },
                )
                r.raise_for_status()
                ids.append(r.json()["id"])
        return ids

    def rss(self) -> dict[str, Any]:
        per = {}
        for pid in self.pids:
            with contextlib.suppress(OSError, KeyError):
                per[pid] = {
                    "VmRSS_MB": round(load.status_kb(pid, "VmRSS") / 1024, 1),
                    "VmHWM_MB": round(load.status_kb(pid, "VmHWM") / 1024, 1),
                }
        supervisor = projector = None
        if self.proc is not None:
            with contextlib.suppress(OSError, KeyError):
                supervisor = round(load.status_kb(self.proc.pid, "VmRSS") / 1024, 1)
        if self.projector is not None:
            with contextlib.suppress(OSError, KeyError):
                projector = round(load.status_kb(self.projector.pid, "VmRSS") / 1024, 1)
        rss = [v["VmRSS_MB"] for v in per.values()]
        return {
            "workers": per,
            "max_worker_rss_mb": max(rss, default=None),
            "sum_worker_rss_mb": round(sum(rss), 1),
            "supervisor_rss_mb": supervisor,
            "projector_rss_mb": projector,
            "topology": self.topology,
        }
