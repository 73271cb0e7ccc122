"""Writing view checkpoints (`services.checkpoints`): the projector's side job.

A checkpoint at version C holds the track's view state at C and every statement bucket
changed since the checkpoint before it. The projector applies every event of every track,
one at a time, to a track it keeps in memory, so it passes each version exactly: after an
event that brings a track to a multiple of the interval, `observe` encodes the checkpoint's
rows there and then (later events may change those records in memory). Which ids fall in
which bucket comes from an index of the track's statements kept per track; which statements
changed since the previous checkpoint, from a log of the events observed, or from the store
for what the log does not reach (a track just loaded). `flush` stores a batch's rows in one
transaction once the projector's batch is committed; `discard` drops them when it is not.

Keeping this out of the API's write path keeps its cost (CPU, and transient memory of a few
megabytes per checkpoint on tracks with large views) off the writers; one projector runs at
a time, so one writer. If none runs, as-of folds from the first event; `ntrack checkpoints`
(`backfill`) writes what is missing below a track's first checkpoint.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import StoredEvent

from domain.document import CHECKPOINT_VERSION, TrackView
from services import checkpoints
from services.checkpoints import (
    bucket_of,
    bucket_row,
    checkpoint_row,
    named,
    rows_in_full,
    view_stream,
)
from services.projections.checkpoint_marks import (
    STORED_ALREADY,
    BucketIndex,
    Capture,
    Changes,
    Mark,
)

log = logging.getLogger("ntrack.checkpoints")

INDEXED_TRACKS = 256  # tracks whose bucket index a process keeps (least recently used go)
SPARSEST = 4  # checkpoints at least every version // SPARSEST events (as snapshots are)


class CheckpointWriter:
    def __init__(self, app: Any, interval: int) -> None:
        self.app = app
        self.interval = interval
        self._indexes: OrderedDict[UUID, BucketIndex] = OrderedDict()
        self._changes: dict[UUID, Changes] = {}
        self._captured: dict[UUID, list[Capture]] = {}  # taken, not yet stored
        self._stored: dict[UUID, Mark] = {}  # the newest this process knows of

    # -- as the projector applies events ----------------------------------------------------

    def observe(self, track: TrackView, event: Any) -> None:
        """`event` was just applied to `track` (the projector's copy, kept in memory)."""
        self._note(track.id, event.originator_version - 1, [event])
        if track.version % self.interval:
            return
        try:
            previous = self._previous(track)
            if previous is STORED_ALREADY:
                return
            capture = self._take(track, previous, lambda since: self._changed_since(track, since))
        except Exception:  # never fail the projector for a checkpoint: as-of folds further
            log.exception(
                "could not take the view checkpoint of track %s at version %d",
                track.id,
                track.version,
            )
            return
        if capture is not None:
            self._captured.setdefault(track.id, []).append(capture)
            self._changes[track.id] = Changes(since=track.version, last=track.version)

    def flush(self) -> None:
        """Store the checkpoints taken since the last flush, in one transaction. A failure
        is logged, not raised: as-of then folds from an earlier checkpoint."""
        captured, self._captured = self._captured, {}
        rows = [
            row for captures in captured.values() for capture in captures for row in capture.rows
        ]
        if not rows:
            return
        try:
            self.app.snapshots.recorder.insert_events(rows)
        except Exception:
            for track_id in captured:
                self._changes.pop(track_id, None)
                self._stored.pop(track_id, None)
            log.exception(
                "could not store the view checkpoints of tracks %s", sorted(map(str, captured))
            )
            return
        for track_id, captures in captured.items():
            newest = captures[-1]
            self._stored[track_id] = Mark(newest.version, newest.buckets, newest.base)

    def discard(self) -> None:
        """The projector's batch failed: it drops its tracks and applies these events again
        (what was stored stays known)."""
        self._captured = {}
        self._changes.clear()

    def _previous(self, track: TrackView) -> Mark | None:
        """The checkpoint to take the next from: one taken since the last flush, else the
        store's newest. Its row is looked up every time (a row lost since must not be built
        on; a projector taking over may find its predecessor's); it is decoded only if it
        is not the one this process last stored or read. `STORED_ALREADY` if there is one
        at the track's version: a projector applying events again after a failure, or a
        fresh read model built from the log."""
        earlier = self._captured.get(track.id)
        if earlier:
            return earlier[-1]
        recorder = self.app.snapshots.recorder
        # Versions only: a checkpoint row holds every record in view (megabytes on a track
        # with thousands of open demands), and it is only decoded when not known here.
        existing = [v for _, v in self.app.extras.row_versions([view_stream(track.id)])]
        if track.version in existing:
            return STORED_ALREADY
        versions = [v for v in existing if v < track.version]
        if not versions:
            return None
        known = self._stored.get(track.id)
        if known is not None and known.version == max(versions):
            return known
        rows = recorder.select_events(
            view_stream(track.id), gt=max(versions) - 1, lte=max(versions)
        )
        newest = self._where(rows[0]) if rows else None
        if newest is not None:
            self._stored[track.id] = newest
        return newest

    def _where(self, stored: StoredEvent) -> Mark | None:
        """A stored checkpoint's version, buckets and base, without reviving its records (a
        large view's cost a lot decoded in full: benchmarks/README.md). None if another
        shape (`class_version`) took it."""
        mapper = self.app.snapshots.mapper
        state = stored.state
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        fields = orjson.loads(state)
        if fields["state"].get("class_version") != CHECKPOINT_VERSION:
            return None
        return Mark(stored.originator_version, fields["buckets"], fields["base"])

    def _take(
        self,
        track: TrackView,
        previous: Mark | None,
        changed_since: Callable[[int], set[str]],
    ) -> Capture | None:
        """The rows of a checkpoint of `track` as it stands, after `previous` (None: in
        full); None if it is too soon after `previous` for the size of the view."""
        version = track.version
        if previous is None:
            return self._encoded(
                version, version, rows_in_full(track, track.statements.values(), version)
            )
        in_view = sum(map(len, track.in_view.values()))
        if version - previous.version < min(in_view, version // SPARSEST):
            # A checkpoint costs the size of what is in view: taken no more often than
            # that many events, it costs about one record per event, and as-of's fold
            # after it is no longer than the answer it builds. But never sparser than
            # a quarter of the version, so as-of never folds more than a quarter of the track.
            return None
        since, count, base = previous.version, previous.buckets, previous.base
        if version > checkpoints.REGROW_AFTER * count:  # spread the buckets again
            return self._encoded(
                version, version, rows_in_full(track, track.statements.values(), version)
            )
        changed = changed_since(since)
        index = self._index(track, count)
        statements = track.statements
        rows: list[DomainEvent] = [checkpoint_row(track, version, count, base)]
        rows += [
            bucket_row(
                track.id, count, number, version, (statements[i] for i in index.members[number])
            )
            for number in sorted({bucket_of(i, count) for i in changed})
        ]
        return Capture(version, count, base, self._encode(rows))

    def _encoded(self, version: int, base: int, rows: list[DomainEvent]) -> Capture:
        count = rows[0].buckets  # type: ignore[attr-defined]
        return Capture(version, count, base, self._encode(rows))

    def _encode(self, rows: Iterable[DomainEvent]) -> list[StoredEvent]:
        # Encoded now: the rest of a batch may still change these records in memory.
        return [self.app.snapshots.mapper.to_stored_event(row) for row in rows]

    def _changed_since(self, track: TrackView, since: int) -> set[str]:
        """Ids named by the events (since, track.version]: from the log of the events
        observed, and what it does not reach back to, from the store."""
        changes = self._changes.get(track.id)
        reach, changed = track.version, set()  # the log covers (reach, track.version]
        if changes is not None and changes.last == track.version:
            changed = set(changes.ids)  # a superset when it reaches further back: harmless
            reach = changes.since
        if since < reach:
            changed |= {
                i
                for event in self.app.events.get(track.id, gt=since, lte=reach)
                for i in named(event)
            }
        return changed

    def _index(self, track: TrackView, count: int) -> BucketIndex:
        index = self._indexes.get(track.id)
        if index is None or index.count != count or index.track() is not track:
            index = self._indexes[track.id] = BucketIndex(count, weakref.ref(track))
            while len(self._indexes) > INDEXED_TRACKS:
                self._indexes.popitem(last=False)
        self._indexes.move_to_end(track.id)
        index.catch_up(track.statements)  # type: ignore[arg-type]
        return index

    # -- for tracks recorded before checkpoints, and repairs ---------------------------------

    def rewrite(self, track_id: UUID) -> int:
        """Delete every checkpoint and bucket row of the track and write them all again from
        its events (what to do when `verify` reports one). Returns how many were written."""
        newest = self.app.recorder.select_events(track_id, desc=True, limit=1)
        head = newest[0].originator_version if newest else 0
        counts, count = [], checkpoints.MIN_BUCKETS
        while count <= checkpoints.buckets_for(head):  # every spread a full write could use
            counts.append(count)
            count *= 2
        self.app.extras.delete_rows(
            [
                view_stream(track_id),
                *(checkpoints.bucket_stream(track_id, c, n) for c in counts for n in range(c)),
            ],
        )
        self._stored.pop(track_id, None)
        self._changes.pop(track_id, None)
        return self.backfill(track_id)

    def backfill(self, track_id: UUID) -> int:
        """Checkpoints for the versions before the track's first one (a track recorded by a
        release without them), folded from its first event; returns how many were written.
        Later checkpoints start from a full one of their own, so they stay as they are."""
        recorder = self.app.snapshots.recorder
        existing = [v for _, v in self.app.extras.row_versions([view_stream(track_id)])]
        stop = min(existing) - 1 if existing else None
        track: TrackView | None = None
        previous: Capture | None = None
        changed: set[str] = set()
        written = 0
        for event in self.app.events.get(track_id, lte=stop):
            if track is None:
                track = TrackView.opened(event)
            else:
                track.apply(event)
            changed.update(named(event))
            if track.version % self.interval:
                continue
            capture = self._take(track, previous, _always(changed))
            if capture is not None:
                recorder.insert_events(capture.rows)
                previous, changed, written = capture, set(), written + 1
        return written

    def _note(self, track_id: UUID, before: int, events: Iterable[Any]) -> None:
        changes = self._changes.get(track_id)
        if changes is None or changes.last != before:  # a gap: the track was just loaded
            changes = self._changes[track_id] = Changes(since=before, last=before)
        for event in events:
            changes.ids.update(named(event))
            changes.last = event.originator_version


def _always(names: set[str]) -> Callable[[int], set[str]]:
    """`changed_since` for a fold that knows what changed since the previous checkpoint."""
    return lambda _: names
