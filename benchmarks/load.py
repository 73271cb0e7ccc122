"""Drive HTTP: `wrk` with the Lua scripts beside this file (preferred), or, only when wrk
cannot be had, a Python asyncio HTTP/1.1 keep-alive generator, labelled as the fallback.

Also the process plumbing the harness needs: free ports, starting and stopping servers in
their own process group, waiting for them, finding uvicorn's worker processes and their RSS.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PARTIES = ["United States", "Russia"]
# Statement types that need no reference to another statement (same list as statements.lua).
KINDS: list[dict[str, Any]] = [
    {"type": "demand", "red_line": False},
    {"type": "proposal"},
    {"type": "statement"},
    {"type": "warning", "category": "military"},
    {"type": "sanction_warning", "target": "Russia", "measures": ["export controls"]},
    {"type": "meeting_scheduled", "meeting_at": "2022-02-15", "location": "Geneva"},
    {"type": "meeting_held", "location": "Geneva"},
    {"type": "concession"},
    {"type": "agreement"},
]


def statement(k: int, conn: int = 0) -> dict[str, Any]:
    """The k-th statement body of a connection: the same shape statements.lua sends."""
    s = k % 86400
    return {
        **KINDS[k % len(KINDS)],
        "party": PARTIES[(k // len(KINDS)) % 2],
        "occurred_at": f"2022-01-{k % 28 + 1:02d}T{s // 3600:02d}:{s // 60 % 60:02d}:"
        f"{s % 60:02d}+00:00",
        "summary": f"Statement {k} of connection {conn}",
        "quote": "We expect a written answer.",
        "source": {"url": f"https://example.org/s/{k}", "publisher": "bench"},
        "topics": ["security", "nato"],
    }


# -- results -------------------------------------------------------------------------------


@dataclass
class LoadResult:
    tool: str
    connections: int
    duration_s: float
    requests: int  # every answer received
    ok: int  # 2xx answers
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def rps(self) -> float:
        """Successful requests per second."""
        return self.ok / self.duration_s if self.duration_s else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rps": round(self.rps, 1)}


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


# -- wrk -----------------------------------------------------------------------------------


def wrk_version() -> str | None:
    """`wrk 4.1.0 …` if wrk is on PATH, else None."""
    path = shutil.which("wrk")
    if path is None:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" [")[0].split(" Copyright")[0] if first else "wrk"


def run_wrk(
    url: str,
    script: str,
    *,
    connections: int,
    duration: float,
    env: dict[str, str] | None = None,
    timeout_s: float = 10.0,
) -> LoadResult:
    """wrk with one connection per thread (-t N -c N), keep-alive, for `duration` seconds."""
    text = (HERE / "common.lua").read_text() + "\n" + (HERE / script).read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="bench-", delete=False) as f:
        f.write(text)
        lua = f.name
    try:
        cmd = [
            "wrk",
            "-t",
            str(connections),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(duration))}s",
            "--timeout",
            f"{round(timeout_s)}s",
            "-s",
            lua,
            url,
        ]
        run_env = {**os.environ, **(env or {}), "BENCH_THREADS": str(connections)}
        out = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=run_env,
            timeout=duration + timeout_s + 60,
            check=False,
        )
    finally:
        os.unlink(lua)
    line = next((x for x in out.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(
            f"wrk gave no result (exit {out.returncode}):\n"
            f"{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        )
    data = json.loads(line[len("WRK_JSON ") :])
    return LoadResult(
        tool="wrk",
        connections=connections,
        duration_s=data["duration_us"] / 1e6,
        requests=data["requests"],
        ok=data["status_2xx"],
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non_2xx=data["status_4xx"] + data["status_5xx"] + data["status_other"],
        errors={k: v for k, v in data["errors"].items() if v and k != "status"},
        first_error=data["first_error"],
    )


# -- the Python fallback (and the open-loop client the lag measure needs) -------------------

Make = Callable[[int, int], tuple[str, str, bytes | None]]  # (conn, n) -> method, path, body
OnResponse = Callable[[int, float, int, bytes, str], None]  # (conn, t_done, status, body, path)


class HttpConnection:
    """A minimal HTTP/1.1 keep-alive client connection on asyncio streams."""

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(
            self.host, self.port, limit=1 << 22
        )

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            await self._open()
        assert self.reader is not None and self.writer is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write((head + "\r\n").encode() + (body or b""))
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.split(b"\r\n")
        status = int(lines[0].split()[1])
        length, chunked, close = 0, False, False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            data = b"".join(parts)
        else:
            data = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _python_load(
    host: str,
    port: int,
    make: Make,
    *,
    connections: int,
    duration: float,
    headers: dict[str, str],
    rate: float | None,
    on_response: OnResponse | None,
    max_requests: int | None,
) -> tuple[list[float], dict[str, int], str, float]:
    latencies: list[float] = []
    counts = {"ok": 0, "non_2xx": 0, "errors": 0}
    first_error = ""
    issued = 0
    start = time.perf_counter()
    deadline = start + duration
    tickets: asyncio.Queue[float] = asyncio.Queue()

    async def produce() -> None:  # open loop: tickets at a fixed rate, queued if all busy
        assert rate is not None
        k = 0
        while True:
            due = start + k / rate
            if due >= deadline:
                return
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            tickets.put_nowait(due)
            k += 1

    async def worker(i: int) -> None:
        nonlocal first_error, issued
        conn = HttpConnection(host, port, headers)
        n = 0
        try:
            while True:
                if time.perf_counter() >= deadline:
                    return
                if max_requests is not None:
                    if issued >= max_requests:
                        return
                    issued += 1
                if rate is not None:
                    try:
                        due = await asyncio.wait_for(
                            tickets.get(), max(0.01, deadline - time.perf_counter())
                        )
                    except TimeoutError:
                        return
                else:
                    due = time.perf_counter()
                method, path, body = make(i, n)
                n += 1
                try:
                    status, data = await conn.request(method, path, body)
                except (OSError, asyncio.IncompleteReadError, ValueError) as e:
                    counts["errors"] += 1
                    first_error = first_error or repr(e)
                    conn.close()
                    continue
                done = time.perf_counter()
                latencies.append(done - due)
                if 200 <= status < 300:
                    counts["ok"] += 1
                else:
                    counts["non_2xx"] += 1
                    first_error = first_error or f"{status} {data[:300]!r}"
                if on_response is not None:
                    on_response(i, done, status, data, path)
        finally:
            conn.close()

    tasks = [asyncio.create_task(worker(i)) for i in range(connections)]
    if rate is not None:
        tasks.append(asyncio.create_task(produce()))
    await asyncio.gather(*tasks)
    return latencies, counts, first_error, time.perf_counter() - start


def run_python(
    base_url: str,
    make: Make,
    *,
    connections: int,
    duration: float = 3600,
    headers: dict[str, str] | None = None,
    rate: float | None = None,
    on_response: OnResponse | None = None,
    max_requests: int | None = None,
    label: str = "python-asyncio (fallback: wrk unavailable)",
) -> LoadResult:
    """Closed loop (as fast as answers come) or, with `rate`, open loop at `rate` req/s;
    stops after `duration` seconds or `max_requests` requests."""
    host, _, port = base_url.removeprefix("http://").partition(":")
    coro = _python_load(
        host,
        int(port.rstrip("/")),
        make,
        connections=connections,
        duration=duration,
        headers=headers or {},
        rate=rate,
        on_response=on_response,
        max_requests=max_requests,
    )
    try:
        import uvloop

        latencies, counts, first_error, elapsed = uvloop.run(coro)
    except ImportError:
        latencies, counts, first_error, elapsed = asyncio.run(coro)
    ms = [x * 1000 for x in latencies]
    return LoadResult(
        tool=label,
        connections=connections,
        duration_s=elapsed,
        requests=counts["ok"] + counts["non_2xx"],
        ok=counts["ok"],
        p50_ms=percentile(ms, 50),
        p90_ms=percentile(ms, 90),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms, default=float("nan")),
        non_2xx=counts["non_2xx"],
        errors={"client": counts["errors"]} if counts["errors"] else {},
        first_error=first_error,
    )


# -- the scenarios, for either tool ---------------------------------------------------------


def own_tracks(tracks: list[str], connections: int, i: int) -> list[str]:
    """The tracks connection i owns (as statements.lua splits them)."""
    mine = [t for j, t in enumerate(tracks) if j % connections == i]
    return mine or [tracks[i % len(tracks)]]


def post_statements(
    base_url: str,
    tracks: list[str],
    token: str,
    *,
    connections: int,
    duration: float,
    batch: int = 0,
    use_wrk: bool = True,
    timeout_s: float = 10.0,
) -> LoadResult:
    """POST single statements (batch=0) or batches; each connection owns its tracks."""
    if use_wrk:
        return run_wrk(
            base_url,
            "statements.lua",
            connections=connections,
            duration=duration,
            timeout_s=timeout_s,
            env={"BENCH_TRACKS": ",".join(tracks), "BENCH_TOKEN": token, "BENCH_BATCH": str(batch)},
        )
    import orjson

    def make(i: int, n: int) -> tuple[str, str, bytes | None]:
        mine = own_tracks(tracks, connections, i)
        track = mine[(n + 1) % len(mine)]
        if batch:
            body = {"statements": [statement((n + 1) * batch + j, i) for j in range(batch)]}
            return "POST", f"/v1/tracks/{track}/statements:batch", orjson.dumps(body)
        return "POST", f"/v1/tracks/{track}/statements", orjson.dumps(statement(n + 1, i))

    return run_python(
        base_url,
        make,
        connections=connections,
        duration=duration,
        headers={"Authorization": f"Bearer {token}"},
    )


def get_path(
    base_url: str, path: str, *, connections: int, duration: float, use_wrk: bool = True
) -> LoadResult:
    if use_wrk:
        return run_wrk(
            base_url + path,
            "get.lua",
            connections=connections,
            duration=duration,
            env={"BENCH_PATH": path},
        )
    return run_python(
        base_url, lambda i, n: ("GET", path, None), connections=connections, duration=duration
    )


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server in its own process group (so it and its workers stop together)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGTERM to the server's own process group, SIGKILL if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    # Workers of a killed supervisor could outlive it: sweep the group once more.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode} before answering")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"no answer from {url} within {timeout:.0f} s")


def children(pid: int) -> list[int]:
    kids: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            kids += [int(x) for x in text.split()]
    return kids


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's worker processes (multiprocessing spawn children; not its resource tracker)."""
    return [
        p
        for p in children(supervisor)
        if "resource_tracker" not in cmdline(p) and "semaphore_tracker" not in cmdline(p)
    ]


def wait_workers(supervisor: int, count: int, timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = worker_pids(supervisor)
        if len(pids) >= count:
            return pids
        time.sleep(0.2)
    return worker_pids(supervisor)


def connections_by_pid(port: int) -> dict[int, int]:
    """Established TCP connections to `port`, by the pid holding the server side (`ss`)."""
    try:
        out = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    counts: dict[int, int] = {}
    for line in out.splitlines():
        if "pid=" in line:
            pid = int(line.split("pid=", 1)[1].split(",", 1)[0])
            counts[pid] = counts.get(pid, 0) + 1
    return counts


@contextlib.contextmanager
def sample_connections(port: int, after: float = 2.0) -> Iterator[dict[int, int]]:
    """How the load's connections are spread over the workers, sampled `after` s in."""
    found: dict[int, int] = {}
    timer = threading.Timer(after, lambda: found.update(connections_by_pid(port)))
    timer.start()
    try:
        yield found
    finally:
        timer.cancel()


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes (all their threads) have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def status_kb(pid: int, key: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


@contextlib.contextmanager
def profiling(
    pids: list[int], phase: str, duration: float, out_dir: Path, mode: str | None
) -> Iterator[list[Path]]:
    """py-spy record of each pid: raw collapsed stacks at 100 Hz, `active` (threads not idle:
    running or waiting on the database) or `gil` (only the thread holding the GIL: CPU)."""
    if not mode:
        yield []
        return
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out_dir.mkdir(parents=True, exist_ok=True)
    procs, files = [], []
    for pid in pids:
        target = out_dir / f"profile-{phase}-{mode}-{pid}.txt"
        files.append(target)
        procs.append(
            subprocess.Popen(
                [
                    spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "100",
                    "--format",
                    "raw",
                    "--duration",
                    str(max(1, round(duration))),
                    "--nonblocking",
                    "-o",
                    str(target),
                    *(["--gil"] if mode == "gil" else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(0.5)  # let py-spy attach before the load starts
    try:
        yield files
    finally:
        for p in procs:
            try:
                p.wait(duration + 30)
            except subprocess.TimeoutExpired:
                p.terminate()
                p.wait(5)


def summarize_profile(files: list[Path], top: int = 15) -> dict[str, Any]:
    """Self and inclusive time per function from py-spy raw (collapsed) stacks."""
    total = 0
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, count_text = line.rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            count = int(count_text)
            total += count
            frames = [_frame(f) for f in stack.split(";")]
            frames = [f for f in frames if f]
            if not frames:
                continue
            own[frames[-1]] = own.get(frames[-1], 0) + count
            for f in set(frames):
                inclusive[f] = inclusive.get(f, 0) + count

    def ranked(table: dict[str, int]) -> list[dict[str, Any]]:
        best = sorted(table.items(), key=lambda kv: -kv[1])[:top]
        return [{"frame": k, "samples": v, "pct": round(100 * v / total, 1)} for k, v in best]

    return {"samples": total, "self": ranked(own), "inclusive": ranked(inclusive)}


def _frame(text: str) -> str:
    """`func (path/to/file.py:123)` -> `func (file-ish path)`, without the line number."""
    text = text.strip()
    if text.startswith(("process ", "thread ")):
        return ""
    name, _, where = text.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"
