"""PostgreSQL coordination: one active projector per projection (advisory lock held on a
dedicated session), its wake-ups from the recorder's NOTIFY channel, and the read model's
change feed for API processes' document caches.

Both reconnect by themselves: a lost session drops the lock (another worker takes over),
and a lost LISTEN connection only means falling back to the slow poll until it is back.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import psycopg

from infra.stores import StoreUnavailable

log = logging.getLogger(__name__)


# A projector host that vanishes (power, network) sends no FIN: without keepalives its
# session, and so its lock, would outlive it by the OS default of two hours. These make the
# server drop such a session (and the client notice a dead server) within about 10 s.
_KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "options": "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3",
}


def keepalive_connection(conninfo: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(**{**_KEEPALIVES, **conninfo}, autocommit=True)


def sweep_dead_connections(pool: Any) -> None:
    """Make a psycopg pool replace all its dead connections at the first sign of one.

    A failover or restart ends every session at once. psycopg_pool's pre-ping (`check`)
    finds the dead connections one per attempt and waits 1 s, 2 s, 4 s... between attempts,
    so the first request after the outage stalls for the whole pool timeout (5 s measured
    with 4 dead connections). Here a failed ping tests every idle connection in one go
    (`pool.check()`: dead ones are discarded and reopened in the background), so the next
    attempt, which the pool makes without waiting, gets a live or a fresh connection.

    The ping itself is a round trip per checkout; it is only made when the connection has
    something to read. An idle session receives nothing unless the server ended it (its
    FATAL message or the end of the stream), so a zero-timeout poll of the socket finds
    what the ping finds — a peer gone without a word stays unseen by both.
    """
    from psycopg_pool import ConnectionPool

    def check(conn: Any) -> None:
        try:
            if conn.closed or conn.broken or _readable(conn):
                ConnectionPool.check_connection(conn)
        except Exception:
            with contextlib.suppress(Exception):  # a closing pool: let the caller's fail
                pool.check()
            raise

    pool._check = check  # psycopg_pool has no setter; the constructor argument lands here


def _readable(conn: Any) -> bool:
    return bool(select.select([conn.fileno()], [], [], 0)[0])


def _lock_key(name: str) -> int:
    return zlib.crc32(f"ntrack:projection:{name}".encode())


class AdvisoryLockElection:
    def __init__(self, conninfo: dict[str, Any], projection: str) -> None:
        self._conninfo = conninfo
        self._key = _lock_key(projection)
        self._conn: psycopg.Connection[Any] | None = None
        self._held = False
        self._pinged = 0.0

    def hold(self) -> bool:
        """True while this process holds the projection's lock (trying to take it if not)."""
        try:
            if self._conn is None or self._conn.closed:
                self._held = False
                self._conn = keepalive_connection(self._conninfo)
            if self._held:
                # The lock lives as long as this session; a ping a second is enough to notice
                # its loss (meanwhile the tracking compare-and-set still refuses a batch
                # another projector applied), and a ping per batch was a round trip each.
                if time.monotonic() - self._pinged >= 1.0:
                    self._conn.execute("SELECT 1")
                    self._pinged = time.monotonic()
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
        self._thread = threading.Thread(target=self._run, args=(wake,), name="listen", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, wake: Callable[[], None]) -> None:
        while not self._stop.is_set():
            try:
                with keepalive_connection(self._conninfo) as conn:
                    conn.execute(f'LISTEN "{self._channel}"')
                    wake()  # catch up on anything committed while not listening
                    while not self._stop.is_set():
                        # A short timeout only bounds how long stop() waits.
                        for _ in conn.notifies(timeout=0.25):
                            wake()
            except psycopg.Error as e:
                log.warning("LISTEN connection lost (%s); reconnecting", e)
                self._stop.wait(1.0)


class ChangeFeed:
    """The read model's change announcements (`infra.readmodel.postgres.announcement`), for
    an API process's document cache."""

    def __init__(self, conninfo: dict[str, Any], channel: str) -> None:
        self._conninfo = conninfo
        self._channel = channel

    def listen(
        self,
        listening: Callable[[], None],
        announced: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        try:
            with keepalive_connection(self._conninfo) as conn:
                conn.execute(f'LISTEN "{self._channel}"')
                listening()
                while not stop.is_set():
                    # A short timeout only bounds how long a stop waits.
                    for notify in conn.notifies(timeout=0.05):
                        announced(notify.payload)
        except psycopg.Error as e:
            raise StoreUnavailable(str(e)) from e
