"""Worker threads for the blocking store calls of the hot routes (services.api.direct).

Not anyio's threadpool nor a concurrent.futures pool, whose hand-offs cost more worker CPU
than a read of a track (benchmarks/README.md, "Why the code does X"): a call here is one
`SimpleQueue.put` and comes back through `call_soon_threadsafe`. And few threads, since
every thread woken contends for the GIL with the event loop: two for reads (one short query
each), and for writes as many as the event store's pool has connections (a write holds one
through its commit; more threads would only wait for one). A read that rebuilds from the
record (`on`) can hold its thread for seconds, so it takes anyio's threadpool instead, as
the plain `def` routes do. Waiting for the projector (`min_position`) holds no thread at
all (services.api.progress).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[
    asyncio.AbstractEventLoop,
    asyncio.Future[Any],
    contextvars.Context,
    Callable[..., Any],
    tuple[Any, ...],
]


class Workers:
    """`await workers.call(fn, *args)`: `fn(*args)` in one of `count` threads, in a copy of
    the caller's context (so log records written there carry the request id)."""

    def __init__(self, count: int, name: str) -> None:
        self._jobs: SimpleQueue[_Job | None] = SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, contextvars.copy_context(), fn, args))
        return await future

    def close(self) -> None:
        """Let the calls already queued finish, then stop the threads."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, context, fn, args = job
            try:
                result, error = context.run(fn, *args), None
            except BaseException as e:  # the caller gets it, whatever it is
                result, error = None, e
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    elif isinstance(error, StopIteration):  # a Future cannot carry it, as in a coroutine
        future.set_exception(RuntimeError(f"StopIteration raised: {error!r}"))
    else:
        future.set_exception(error)


class StoreWorkers:
    """The app's two sets of workers (see the module docstring for their sizes)."""

    READERS = 2

    def __init__(self, store_connections: int) -> None:
        self.reads = Workers(self.READERS, "ntrack-read")
        self.writes = Workers(store_connections, "ntrack-write")

    def close(self) -> None:
        self.reads.close()
        self.writes.close()
