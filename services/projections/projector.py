"""The projector: follows the application's notification log into the read-model tables.

The library's subscriptions do not exist for SQLite, so one loop serves every store: read
the notifications after the tracked position, apply them, and move the position in the
same transaction (a compare-and-set, so two projectors can never both apply an event).
On PostgreSQL it wakes on the recorder's NOTIFY and one projector per projection is
elected with an advisory lock; a slow poll is the fallback everywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from domain import views
from domain.document import TrackView
from domain.events import (
    PartyAdded,
    StatementCorrected,
    StatementRecorded,
    StatementRetracted,
    TrackOpened,
)
from services.application import TrackerApp
from services.checkpoint_reader import load_view
from services.ports import Election, ReadModel, ReadModelWrites, WakeUps
from services.projections.checkpoint_writer import CheckpointWriter

log = logging.getLogger(__name__)

PROJECTION = "track_views"
BATCH_SIZE = 500
# The read model's statistics are refreshed once this many events are applied, then each
# time the position doubles (a geometric schedule: their cost stays a fraction of the writes).
STATISTICS_FIRST = 5000
_STATEMENT_EVENTS = (StatementRecorded, StatementCorrected, StatementRetracted)
_PARTY_EVENTS = (TrackOpened, PartyAdded)


class LostRace(RuntimeError):
    """Another projector moved the tracking position first; this batch was rolled back."""


class Projector:
    """Applies events to the read model; keeps the views of recently used tracks in memory."""

    def __init__(
        self,
        app: TrackerApp,
        store: ReadModel,
        *,
        cache_size: int = 64,
        checkpoints: CheckpointWriter | None = None,
        statistics_first: int = STATISTICS_FIRST,
    ) -> None:
        self.app = app
        self.store = store
        self.checkpoints = checkpoints  # view checkpoints for as-of, taken as events pass
        self._tracks: OrderedDict[UUID, TrackView] = OrderedDict()
        self._cache_size = cache_size
        # The position this projector last committed. Trusting it saves a query per batch;
        # the compare-and-set in `advance` still refuses it if someone else moved on.
        self._position: int | None = None
        self._statistics_first = statistics_first
        self._statistics_at = 0  # the position at the last refresh of statistics
        self._statistics: threading.Thread | None = None

    def catch_up_once(self, limit: int = BATCH_SIZE) -> int:
        """Apply the next batch of events; returns how many were applied."""
        start = self._position if self._position is not None else self.store.position(PROJECTION)
        notifications = self.app.recorder.select_notifications(
            start=start, limit=limit, inclusive_of_start=False
        )
        if not notifications:
            self._position = None  # idle: re-read next time, another projector may lead
            return 0
        batch: dict[UUID, TrackView] = {}
        dirty_tracks: dict[UUID, int] = {}
        dirty_statements: dict[UUID, set[str]] = {}
        corrected: set[str] = set()  # their topics, joint authors, other tracks may change
        recorded_at: dict[str, int] = {}  # the commit positions of the batch's new statements
        new_parties: set[UUID] = set()
        try:
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                track = self._advance(event)
                if self.checkpoints is not None:
                    self.checkpoints.observe(track, event)
                batch[track.id] = track
                dirty_tracks[track.id] = notification.id
                if isinstance(event, _STATEMENT_EVENTS):
                    ids = views.affected_statements(track, event.statement_id)
                    dirty_statements.setdefault(track.id, set()).update(ids)
                    if isinstance(event, StatementCorrected):
                        corrected.add(event.statement_id)
                    elif isinstance(event, StatementRecorded):
                        recorded_at[event.statement_id] = notification.id
                elif isinstance(event, _PARTY_EVENTS):
                    new_parties.add(track.id)
            with self.store.transaction() as tx:
                self._write(
                    tx, batch, dirty_tracks, dirty_statements, new_parties, corrected, recorded_at
                )
                if not tx.advance(PROJECTION, start, notifications[-1].id):
                    raise LostRace(f"position moved past {start} by another projector")
                tx.announce(notifications[-1].id, [str(track_id) for track_id in batch])
        except BaseException:
            self._tracks.clear()  # in-memory tracks may be ahead of what was committed
            self._position = None
            if self.checkpoints is not None:
                self.checkpoints.discard()
            raise
        self._position = notifications[-1].id
        if self.checkpoints is not None:
            self.checkpoints.flush()
        if self._position >= max(self._statistics_first, 2 * self._statistics_at):
            self._statistics_at = self._position
            self._refresh_statistics()
        return len(notifications)

    def _refresh_statistics(self) -> None:
        """Refresh the read model's statistics on a thread of its own: run in this loop, an
        ANALYZE of 100k statements held every write's projection up for about half a
        second (L1's lag p99 went from ~90 to ~200-300 ms). One at a time; a failure costs
        only the planner's knowledge, so it is logged, not raised."""
        if self._statistics is not None and self._statistics.is_alive():
            return
        self._statistics = threading.Thread(
            target=self._statistics_refresh, name="ntrack-statistics", daemon=True
        )
        self._statistics.start()

    def _statistics_refresh(self) -> None:
        try:
            self.store.refresh_statistics()
        except Exception:
            log.warning("refreshing the read model's statistics failed", exc_info=True)

    def wait_for_statistics(self, timeout: float | None = None) -> None:
        """Wait for a statistics refresh under way, if any (tests, and a clean stop)."""
        if self._statistics is not None:
            self._statistics.join(timeout)

    def catch_up(self) -> int:
        """Apply every event not yet applied; returns how many this projector applied.
        Another projector may apply some meanwhile (`ntrack load` while `ntrack serve` runs
        its own): a batch it won is its, and catching up goes on from where it got to."""
        total = 0
        while True:
            try:
                applied = self.catch_up_once()
            except LostRace:
                continue  # catch_up_once re-reads the position after a lost race
            if not applied:
                return total
            total += applied

    def _advance(self, event: Any) -> TrackView:
        track_id: UUID = event.originator_id
        version: int = event.originator_version
        if version == 1:
            track = TrackView.opened(event)
        else:
            cached = self._tracks.get(track_id)
            track = (
                cached
                if cached is not None and cached.version == version - 1
                else load_view(self.app, track_id, version - 1)
            )
            track.apply(event)
        self._tracks[track_id] = track
        self._tracks.move_to_end(track_id)
        while len(self._tracks) > self._cache_size:
            self._tracks.popitem(last=False)
        return track

    @staticmethod
    def _write(
        tx: ReadModelWrites,
        tracks: dict[UUID, TrackView],
        positions: dict[UUID, int],
        statements: dict[UUID, set[str]],
        new_parties: set[UUID],
        corrected: set[str],
        recorded_at: dict[str, int],
    ) -> None:
        """The batch's rows, table by table: a few round trips per batch, however many
        tracks it touched (per track, they were most of a live projector's CPU)."""
        tx.upsert_tracks(
            [
                (views.track_state(tracks[track_id], position), position)
                for track_id, position in positions.items()
            ]
        )
        for track_id in new_parties:
            tx.replace_parties(str(track_id), tracks[track_id].parties)
        rows = []
        for track_id, ids in statements.items():
            track = tracks[track_id]
            for statement_id in sorted(ids):
                # The record's "at" is sort_key(occurred_at), kept current by the view. A
                # statement recorded before this batch has its row, and in it its position.
                rows.append(
                    (
                        views.statement_view(track, statement_id),
                        track.statements[statement_id].at,
                        recorded_at.get(statement_id, 0),
                    )
                )
        tx.upsert_statements(rows, corrected=corrected)


class ProjectorRunner:
    """Runs a projector in a background thread until stopped; survives store outages."""

    def __init__(
        self,
        projector: Projector,
        *,
        poll_seconds: float = 1.0,
        election: Election | None = None,
        listener: WakeUps | None = None,
        min_batch_seconds: float = 0.0,
        on_progress: Callable[[], None] | None = None,
    ) -> None:
        self.projector = projector
        self.on_progress = on_progress  # after each batch applied (reads wait for them)
        self.poll_seconds = poll_seconds
        # Batches start at most this often: each costs a transaction and a few round trips,
        # so under a stream of single writes gathering a few per batch frees CPU for the
        # writers (benchmarks/README.md). Lag grows by at most this; an idle projector
        # starts at once.
        self.min_batch_seconds = min_batch_seconds
        self.election = election
        self.listener = listener
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_active = election is None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self.listener is not None:
            self.listener.start(self.wake)
        self._thread = threading.Thread(target=self._run, name="projector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self.listener is not None:
            self.listener.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.projector.wait_for_statistics(timeout=10)  # no ANALYZE left over a closed store
        if self.election is not None:
            self.election.release()

    def _run(self) -> None:
        backoff = 0.1
        last_batch = 0.0
        while not self._stop.is_set():
            try:
                self.is_active = self.election is None or self.election.hold()
                if self.is_active:
                    since = time.monotonic() - last_batch
                    if since < self.min_batch_seconds:
                        self._stop.wait(self.min_batch_seconds - since)
                    last_batch = time.monotonic()
                if self.is_active and self.projector.catch_up_once():
                    if self.on_progress is not None:
                        self.on_progress()
                    backoff = 0.1
                    continue  # more may be waiting
                backoff = 0.1
            except LostRace:
                continue
            except Exception:
                log.exception("projector failed; retrying in %.1fs", backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
