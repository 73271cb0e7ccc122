"""Rendered track documents kept in the API process, invalidated by the projector's NOTIFY.

`GET /v1/tracks/{track}` is the hottest read. From the read model it costs a pool checkout
and a PostgreSQL round trip, whose server-side CPU competes with the API for the same cores.
Served from memory it costs a dict lookup on the event loop.

Correctness rests on three rules:

- The projector announces, in the transaction that writes them, the tracks a batch changed
  and the position it reached (`ReadModelTx.announce`); PostgreSQL delivers NOTIFY at
  commit, in commit order. A rebuild's swap announces "everything".
- A document read from the database is cached only if no announcement touching its track
  was received since the read began (a `ticket` taken before the read): otherwise an
  announcement processed between the read and the insert would be lost and the stale
  document kept.
- While the LISTEN connection is down nothing is cached or served from the cache; when it
  is back the cache starts empty. Announcements missed meanwhile cannot leave stale entries.
  And a document is read again after MAX_AGE_SECONDS in any case.

A document served from the cache reflects at least every change up to the newest
announced position (`X-Projection-Position`), as a read from the database would.
Requests with `min_position` do not use the cache: they wait on the database.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import NamedTuple

from infra.errors import is_store_unavailable
from services.ports import EVERYTHING, ChangeFeed

log = logging.getLogger(__name__)


class Cached(NamedTuple):
    body: bytes
    position: int


class _Entry(NamedTuple):
    body: bytes
    position: int
    expires: float  # time.monotonic()


# A document is read again after this long even without an announcement: a bound on how
# stale a read can get if announcements stop without the LISTEN failing (say, a projector
# of an older release during a rolling upgrade), at one database read per track and period.
MAX_AGE_SECONDS = 5.0


class TrackDocumentCache:
    """At most `max_bytes` of documents, least recently used evicted first."""

    def __init__(
        self,
        feed: ChangeFeed,
        max_bytes: int,
        read_position: Callable[[], int],
        announced: Callable[[], None] | None = None,
    ) -> None:
        self._feed = feed
        self._announced = announced  # told after each announcement is applied
        self._max_bytes = max_bytes
        self._read_position = read_position  # the projection's committed position
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        self._live = False
        self._epoch = 0  # +2 whenever the cache is emptied or goes live (odd meanwhile)
        self._announcements = 0
        self._touched: dict[str, int] = {}  # track id -> announcement number last touching it
        self.seen = 0  # the newest position announced (or read when going live)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reads (any thread, including the event loop: nothing here blocks on I/O) --------

    def get(self, track_id: str) -> Cached | None:
        # `seen` before the entry: it moves only after the invalidations up to it are done,
        # so an entry found afterwards reflects at least that position.
        epoch = self._epoch
        seen = self.seen
        entry = self._entries.get(track_id)
        if (
            entry is None
            or not self._live
            or entry.expires < time.monotonic()
            or epoch & 1
            or epoch != self._epoch
        ):  # emptied meanwhile (a seqlock):
            return None  # `seen` may belong to another model than the entry
        with contextlib.suppress(KeyError):  # evicted meanwhile: still a valid answer
            self._entries.move_to_end(track_id)
        return Cached(entry.body, max(entry.position, seen))

    def applied(self) -> int:
        """A position the read model has applied, known without a query (0 while deaf)."""
        epoch = self._epoch
        seen = self.seen
        if not self._live or epoch & 1 or epoch != self._epoch:
            return 0
        return seen

    def ticket(self) -> tuple[int, int]:
        """Take before reading a document from the database; give to `put`."""
        with self._lock:
            return self._epoch, self._announcements

    def put(self, ticket: tuple[int, int], track_id: str, body: bytes, position: int) -> None:
        if len(body) > self._max_bytes // 4:
            return  # one huge track would push out everything else
        with self._lock:
            epoch, announcements = ticket
            if (
                not self._live
                or epoch != self._epoch
                or self._touched.get(track_id, 0) > announcements
            ):
                return  # the document may predate a change announced since the read began
            old = self._entries.pop(track_id, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[track_id] = _Entry(body, position, time.monotonic() + MAX_AGE_SECONDS)
            self._bytes += len(body)
            while self._bytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def __len__(self) -> int:
        return len(self._entries)

    # -- invalidation (the listener thread) ----------------------------------------------

    def apply(self, payload: str) -> None:
        """Act on one announcement (see `infra.readmodel.postgres.announcement`)."""
        position_text, _, rest = payload.partition(" ")
        try:
            position = int(position_text)
        except ValueError:
            log.warning("malformed read-model announcement %r: emptying the cache", payload[:80])
            self._empty(live=self._live)
            return
        track_ids = rest.split()
        if EVERYTHING in track_ids:
            # A rebuild's swap may move the position either way; readers check the epoch, so
            # none pairs a document of one model with the other's position.
            self._empty(live=self._live, seen=position)
        else:
            self._invalidate(track_ids, position)
        if self._announced is not None:
            self._announced()

    def _invalidate(self, track_ids: list[str], position: int) -> None:
        with self._lock:
            self._announcements += 1
            for track_id in track_ids:
                self._touched[track_id] = self._announcements
                old = self._entries.pop(track_id, None)
                if old is not None:
                    self._bytes -= len(old.body)
        # After the invalidation: a reader seeing the new position finds no stale entry.
        self.seen = max(self.seen, position)

    def listening(self, position: int) -> None:
        """The LISTEN is in place and `position` was read after it: serve from here on,
        starting empty (what was announced before is unknown)."""
        self._empty(live=True, seen=position)

    def deaf(self) -> None:
        """Announcements may be missed: stop serving and caching, and forget everything."""
        self._empty(live=False)

    def _empty(self, *, live: bool, seen: int | None = None) -> None:
        with self._lock:
            self._epoch += 1  # odd while emptying: readers that overlap this retry the store
            self._live = live
            self._entries.clear()
            self._touched.clear()
            self._bytes = 0
            if seen is not None:
                self.seen = seen
            self._epoch += 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="document-cache", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                # Once listening, anything committed from then on is announced to us, and
                # what was committed before is what a database read returns.
                self._feed.listen(
                    lambda: self.listening(self._read_position()), self.apply, self._stop
                )
            except Exception as e:  # the feed lost, or the position read failing
                level = logging.WARNING if is_store_unavailable(e) else logging.ERROR
                log.log(level, "document cache: LISTEN lost (%s); reads go to the database", e)
            self.deaf()
            self._stop.wait(1.0)
