"""PostgreSQL coordination for projectors: one active worker per projection (advisory
lock held on a dedicated session) and wake-ups from the recorder's NOTIFY channel.

Both reconnect by themselves: a lost session drops the lock (another worker takes over),
and a lost LISTEN connection only means falling back to the slow poll until it is back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import zlib
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger(__name__)


def _lock_key(name: str) -> int:
    return zlib.crc32(f"ntrack:projection:{name}".encode())


class AdvisoryLockElection:
    def __init__(self, conninfo: dict[str, Any], projection: str) -> None:
        self._conninfo = conninfo
        self._key = _lock_key(projection)
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False

    def hold(self) -> bool:
        """True while this process holds the projection's lock (trying to take it if not)."""
        try:
            if self._conn is None or self._conn.closed:
                self._held = False
                self._conn = psycopg.connect(**self._conninfo, autocommit=True)
            if self._held:
                self._conn.execute("SELECT 1")  # the lock lives as long as this session
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            self._held = bool(row and row[0])
            if self._held:
                log.info("this process is now the active projector")
            return self._held
        except psycopg.Error:
            self._drop()
            raise

    def release(self) -> None:
        self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None


class NotifyListener:
    """Calls `wake()` whenever the event table's channel is notified."""

    def __init__(self, conninfo: dict[str, Any], channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, wake: Callable[[], None]) -> None:
        self._thread = threading.Thread(target=self._run, args=(wake,), name="listen",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, wake: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(**self._conninfo, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    wake()  # catch up on anything committed while not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            wake()
            except psycopg.Error as e:
                log.warning("LISTEN connection lost (%s); reconnecting", e)
                self._stop.wait(1.0)
