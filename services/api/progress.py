"""Waiting for the store to move on without holding a thread.

Two waits: a read's `min_position` (until the read model has applied it) and an idle event
stream (until the log grows past what it sent). Each is an asyncio future on the event loop;
a wait holds no worker thread, so thousands of them cost memory, not threads, and nothing
else (the health probes included) queues behind them.

One poller per process settles them: while anything waits it reads the read model's position
(every PROJECTION_POLL_SECONDS) and the log's head (every `stream_poll_seconds`), one query
each for all waiters, on a thread of its own. It looks at once when nudged: by this process's
projector after each batch, by this process's writes, and on PostgreSQL by the read model's
announcements that the document cache listens to (`Tracker.changed`). A projector in another
process is therefore seen at the latest one poll period after it committed.

Waits are capped (settings): beyond the cap a read is refused at once (503 with Retry-After),
rather than queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from services.projections.projector import PROJECTION

if TYPE_CHECKING:
    from services.api.document_cache import TrackDocumentCache
    from services.bootstrap import Tracker

log = logging.getLogger(__name__)

# How often a read waiting for the projector looks when not nudged: what a projector in
# another process may add to a wait (the per-request loop this replaces looked every 2-50 ms).
PROJECTION_POLL_SECONDS = 0.02


class Overloaded(Exception):
    """Too many waits at once: refused now, to be retried (`Retry-After`)."""


class TooManyWaits(Overloaded):
    """More reads wait for `min_position` than the process allows."""


class TooManyStreams(Overloaded):
    """More event streams are open in this process than it allows."""


class TooManyStreamsForPrincipal(Overloaded):
    """One principal holds as many event streams as one may."""


class Watch:
    """A position read from the store, and the futures waiting for it to reach theirs."""

    def __init__(self, read: Callable[[], int], every: float) -> None:
        self.read = read
        self.every = every
        self.known = 0  # the last value read
        self.due = 0.0  # loop time of the next read while anything waits
        self._waiting: dict[asyncio.Future[int], int] = {}

    def __len__(self) -> int:
        return len(self._waiting)

    def add(self, target: int) -> asyncio.Future[int]:
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiting[future] = target
        return future

    def discard(self, future: asyncio.Future[int]) -> None:
        self._waiting.pop(future, None)

    def settle(self, value: int) -> None:
        self.known = max(self.known, value)
        reached = [f for f, target in self._waiting.items() if target <= value]
        for future in reached:
            del self._waiting[future]
            if not future.done():
                future.set_result(value)


class Progress:
    """The waits of one process's event loop (create it on that loop)."""

    def __init__(
        self,
        projected: Callable[[], int],
        appended: Callable[[], int],
        *,
        max_waits: int,
        stream_poll_seconds: float,
        projected_at_least: Callable[[], int] | None = None,
    ) -> None:
        self.projection = Watch(projected, PROJECTION_POLL_SECONDS)
        self.log = Watch(appended, stream_poll_seconds)
        self.max_waits = max_waits
        # A lower bound of the projection known without a query (the document cache's
        # newest announced position), or None.
        self._projected_at_least = projected_at_least
        self._loop = asyncio.get_running_loop()
        self._nudged = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._next_head: asyncio.Task[int] | None = None  # the read of the head callers share
        self._head_lock = asyncio.Lock()
        self._failing = False  # the poller's last read failed
        # Its own limiter: the poller's reads never queue behind the routes' threads.
        self._limiter = anyio.CapacityLimiter(1)

    def nudge(self) -> None:
        """Something may have moved: look now (callable from any thread)."""
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self._loop.call_soon_threadsafe(self._nudged.set)

    async def projected(self, position: int, timeout: float) -> int | None:
        """Wait until the read model has applied `position`: the position it had then, or
        None after `timeout` seconds. Raises TooManyWaits when the cap is reached."""
        if self._projected_at_least is not None:
            floor = self._projected_at_least()
            if floor >= position:
                return floor
        if len(self.projection) >= self.max_waits:
            raise TooManyWaits(
                f"{self.max_waits} reads are already waiting for the projector in this process;"
                " retry after the Retry-After seconds, or read without min_position"
            )
        return await self._wait(self.projection, position, timeout)

    async def appended(self, after: int) -> int:
        """Wait until the log holds a position beyond `after`; its head then."""
        result = await self._wait(self.log, after + 1, None)
        assert result is not None  # no timeout
        return result

    async def head(self) -> int:
        """The log's head, from a read that started after this call. Callers that arrive
        together share one read: a flood of them costs a query or two, not one each."""
        if self._next_head is None:
            self._next_head = asyncio.create_task(self._read_head())
        return await asyncio.shield(self._next_head)

    async def _read_head(self) -> int:
        async with self._head_lock:  # after the read under way, which may predate a caller
            self._next_head = None  # callers from now on need a later read
            value = await anyio.to_thread.run_sync(self.log.read, limiter=self._limiter)
        self.log.settle(value)
        return value

    def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()

    async def _wait(self, watch: Watch, target: int, timeout: float | None) -> int | None:
        future = watch.add(target)
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="progress-poller")
        self._nudged.set()  # a new waiter looks at once, not a period later
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            watch.discard(future)

    async def _poll(self) -> None:
        watches = (self.projection, self.log)
        while any(watches):
            nudged = self._nudged.is_set()
            self._nudged.clear()  # before reading: a nudge during the reads is not lost
            now = self._loop.time()
            for watch in watches:
                if watch and (nudged or watch.due <= now):
                    watch.due = now + watch.every
                    await self._look(watch)
            waiting = [w.due for w in watches if w]
            if not waiting:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._nudged.wait(), max(0.0, min(waiting) - self._loop.time())
                )

    async def _look(self, watch: Watch) -> None:
        try:
            value = await anyio.to_thread.run_sync(watch.read, limiter=self._limiter)
        except Exception as e:  # a store outage: waits run into their timeouts meanwhile
            if not self._failing:  # once per outage, not 50 times a second
                log.warning("cannot read the store's position (%s); retrying", type(e).__name__)
            self._failing = True
            return
        self._failing = False
        watch.settle(value)


class StreamSlots:
    """The event streams open in this process, in all and per principal."""

    def __init__(self, total: int, per_principal: int) -> None:
        self.total = total
        self.per_principal = per_principal
        self._open: dict[str, int] = {}  # principal -> streams open (only on the event loop)

    def __len__(self) -> int:
        return sum(self._open.values())

    def take(self, principal: str) -> None:
        """Count one more stream for `principal`, or refuse it."""
        if self._open.get(principal, 0) >= self.per_principal:
            raise TooManyStreamsForPrincipal(
                f"{principal} already has {self.per_principal} event streams open here; close "
                "one (one stream carries every event), or retry after the Retry-After seconds"
            )
        if len(self) >= self.total:
            raise TooManyStreams(
                f"this process already serves {self.total} event streams; retry after the "
                "Retry-After seconds"
            )
        self._open[principal] = self._open.get(principal, 0) + 1

    def give_back(self, principal: str) -> None:
        left = self._open.get(principal, 0) - 1
        if left > 0:
            self._open[principal] = left
        else:
            self._open.pop(principal, None)


def waits_of(tracker: Tracker, documents: TrackDocumentCache | None) -> Progress:
    """The process's waits over `tracker`, nudged by it (call on the event loop)."""
    progress = Progress(
        lambda: tracker.read_model.position(PROJECTION),
        tracker.app.max_position,
        max_waits=tracker.settings.max_position_waits,
        stream_poll_seconds=tracker.settings.stream_poll_seconds,
        projected_at_least=documents.applied if documents is not None else None,
    )
    tracker.listeners.append(progress.nudge)
    return progress
