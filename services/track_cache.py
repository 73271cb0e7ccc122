"""The repository's cache of tracks, bounded by the statements it holds as well as by count.

The library's LRU cache counts aggregates; a track's size is its statements (about 1.7 KB
each in memory), and a few long tracks would hold a process's memory hostage to the data.
This cache evicts the least recently used tracks once the statements of all the tracks it
holds pass a budget. Cached tracks grow in place as they are written (the application
mutates the cached aggregate), so the budget is checked on every put and after each write
(`trim`). An evicted track is rebuilt from its latest snapshot on its next use.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Cache


def _weight(track: Any) -> int:
    return len(getattr(track, "statements", ())) + 1


class TrackCache(Cache[UUID, Any]):
    def __init__(self, max_tracks: int, max_statements: int) -> None:
        super().__init__()
        self.max_tracks = max_tracks
        self.max_statements = max_statements  # 0: no budget
        self._lru: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: UUID, *, evict: bool = False) -> Any:
        with self._lock:
            if evict:
                return self._lru.pop(key)
            value = self._lru[key]  # KeyError: a miss, as the library expects
            self._lru.move_to_end(key)
            return value

    def put(self, key: UUID, value: Any) -> None:
        if value is None:
            return
        with self._lock:
            self._lru[key] = value
            self._lru.move_to_end(key)
            self._trim()

    def trim(self) -> None:
        with self._lock:
            self._trim()

    def statements(self) -> int:
        with self._lock:
            return sum(_weight(track) for track in self._lru.values())

    def __contains__(self, key: UUID) -> bool:
        return key in self._lru

    def _trim(self) -> None:
        # The most recently used track always stays: evicting it would only reload it.
        while len(self._lru) > max(self.max_tracks, 1):
            self._lru.popitem(last=False)
        if self.max_statements:
            held = sum(_weight(track) for track in self._lru.values())
            while held > self.max_statements and len(self._lru) > 1:
                _, evicted = self._lru.popitem(last=False)
                held -= _weight(evicted)
