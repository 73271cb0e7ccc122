"""The use cases: an eventsourcing `Application` doing get -> call -> save.

Writes to one track race only on the track's next version. Without `If-Match` a lost race
is retried on a freshly loaded track (bounded), so concurrent writers are all recorded;
with `If-Match` it is the client's conflict (412).

Within a process, writes to one track take turns (a lock per track) on the cached aggregate
itself, not a copy (see benchmarks/README.md). A failed command or save evicts the cached
track, so a half-applied command never survives. The answer is computed inside the turn, from
a `TrackView`: for new statements, folded from the write's own events (only statements of
the same write can answer them), so the hot path never loads a track's history; for the
rarer writes, the view at the new version, loaded as as-of loads it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    Transcoder,
    Transcoding,
)
from eventsourcing.utils import Environment

from domain import errors
from domain.document import TrackView
from domain.records import StatementRecord
from domain.track import Track
from domain.values import is_valid_slug, slugify
from infra.eventlog import event_store_extras
from infra.transcoder import OrjsonTranscoder
from services.checkpoint_reader import load_view
from services.ports import EventStoreExtras
from services.writes import Command, Present, TrackCommands
from services.writes import WriteResult as WriteResult  # the API imports it from here
from services.writes import resolve_track_ref as resolve_track_ref  # so do routes

log = logging.getLogger(__name__)

MAX_WRITE_ATTEMPTS = 50
SNAPSHOT_GROWTH = 4  # past the fixed interval, snapshot every version // SNAPSHOT_GROWTH events


class TooMuchContention(errors.TrackerError):
    """A write lost the race for the track's next version too many times."""


class TrackerApp(TrackCommands, Application[UUID]):
    name = "ntrack"  # pinned: the library names tables after it

    def __init__(self, env: dict[str, str], *, snapshot_interval: int = 100) -> None:
        self._explicit_env = dict(env)
        super().__init__(env)
        # Snapshots are taken by `write`, at `snapshot_points` (the library's own, at every
        # multiple of an interval, stays off: it rebuilt the track from the store for each).
        self.snapshot_interval = snapshot_interval
        self._turns: dict[UUID, threading.Lock] = {}
        self._turns_lock = threading.Lock()
        # Queries the library's recorders do not offer, for the store they were made for.
        snapshots = self.snapshots.recorder if self.snapshots is not None else None
        self.extras: EventStoreExtras = event_store_extras(self.recorder, snapshots)

    def construct_transcoder(self) -> Transcoder:
        if self.env.get(InfrastructureFactory.TRANSCODER_TOPIC):  # the library as shipped
            return super().construct_transcoder()
        transcoder = OrjsonTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(StatementRecordAsList())

    @property
    def library_env(self) -> dict[str, str]:
        """The library settings this application was built with (a copy)."""
        return dict(self._explicit_env)

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Only what infra.settings mapped: the library would otherwise read os.environ too.
        return Environment(name, {"IS_SNAPSHOTTING_ENABLED": "y", **self._explicit_env})

    # -- reads from the event store ------------------------------------------------------

    def get_track(self, track_id: UUID, version: int | None = None) -> Track:
        """A private copy of the track (now, or as it stood after `version`)."""
        try:
            if version is not None:
                return self.repository.get(track_id, version=version, projector_func=_replay)
            with self._turn(track_id):  # copy the cached track between writes, not during one
                return self.repository.get(track_id, projector_func=_replay)
        except AggregateNotFoundError:
            raise errors.TrackNotFound(f"no track {track_id}") from None

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # -- writes --------------------------------------------------------------------------

    def open_track(
        self,
        *,
        slug: str | None,
        kind: str,
        title: str,
        venue: str | None,
        parties: list[str],
        opened_at: str,
        recorded_by: str,
        present: Present | None = None,
    ) -> WriteResult:
        candidates = [slug] if slug else _slug_candidates(title)
        for candidate in candidates:
            if not is_valid_slug(candidate):
                raise errors.RuleViolation(
                    "slug must be lower-case letters, digits and single hyphens, not a UUID", "slug"
                )
            track = Track.open(
                slug=candidate,
                kind=kind,
                title=title,
                venue=venue,
                parties=parties,
                opened_at=opened_at,
                recorded_by=recorded_by,
            )
            try:
                recordings = self.save(track)
            except IntegrityError:
                continue  # that slug's stream already exists
            view = TrackView.opened(recordings[0].domain_event)  # type: ignore[arg-type]
            answer = present(view, []) if present is not None else None
            return WriteResult(track, [], recordings[-1].notification.id, False, 1, answer)
        raise errors.SlugTaken(f"the slug {candidates[0]!r} is taken")

    @contextmanager
    def _turn(self, track_id: UUID) -> Iterator[None]:
        with self._turns_lock:
            lock = self._turns.setdefault(track_id, threading.Lock())
        with lock:
            yield

    def _current(self, track_id: UUID) -> Track:
        """The cached track, brought up to date; the caller holds the track's turn."""
        try:
            return self.repository.get(track_id, deepcopy_from_cache=False, projector_func=_replay)
        except AggregateNotFoundError:
            raise errors.TrackNotFound(f"no track {track_id}") from None

    def _forget(self, track_id: UUID) -> None:
        cache = self.repository.cache
        if cache is not None:
            with suppress(KeyError):
                cache.get(track_id, evict=True)

    def write(
        self,
        track_id: UUID,
        command: Command,
        *,
        if_match: int | None = None,
        key: str | None = None,
        digest: str | None = None,
        present: Present | None = None,
        answer_from_events: bool = False,
    ) -> WriteResult:
        """Run `command` on the current track and save what it recorded. `present` shapes
        the answer from the view after the write: with `answer_from_events`, a view of the
        write's own events only (enough for statements it records), else the whole."""
        with self._turn(track_id):
            for attempt in range(MAX_WRITE_ATTEMPTS):
                track = self._current(track_id)
                if if_match is not None and track.version != if_match:
                    raise errors.VersionMismatch(if_match, track.version)
                if key is not None:
                    replay = track.replay_for(key, digest or "")
                    if replay is not None:
                        return self._replayed(track, key, replay, present)
                before = track.version
                try:
                    targets = command(track)
                    recordings = self.save(track)
                except IntegrityError:
                    self._forget(track_id)
                    if if_match is not None:
                        raise errors.VersionMismatch(if_match, if_match + 1) from None
                    # Another process took the version: back off a little, reload, retry.
                    time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 10)))
                    continue
                except BaseException:
                    self._forget(track_id)  # the command may have applied events half-way
                    raise
                self._snapshot(track, before)
                answer = None
                if present is not None:
                    if answer_from_events:
                        view = TrackView.without_statements(track, before)
                        for recording in recordings:
                            view.apply(recording.domain_event)
                    else:
                        view = load_view(self, track_id, track.version)
                    answer = present(view, targets)
                position = recordings[-1].notification.id
                return WriteResult(track, targets, position, False, track.version, answer)
        raise TooMuchContention("too many concurrent writes to this track; try again")

    def _replayed(
        self, track: Track, key: str, targets: list[str], present: Present | None
    ) -> WriteResult:
        """The first answer again: its statements, version and commit position."""
        version = track.version_for(key)
        position = self.extras.position_of(track.id, version) or self.max_position()
        # As the first answer would look now: the view at the track's current version.
        answer = None
        if present is not None:
            answer = present(load_view(self, track.id, track.version), targets)
        return WriteResult(track, targets, position, True, version, answer)

    def _snapshot(self, track: Track, before: int) -> None:
        """A snapshot of the saved track, if the save crossed one of `snapshot_points`: taken
        from the track in memory, at most one per save. The events are committed already,
        so a snapshot that cannot be stored is logged, not raised (loading folds further)."""
        if self.snapshots is None or not crosses_snapshot_point(
            before, track.version, self.snapshot_interval
        ):
            return
        try:
            self.snapshots.put([Snapshot.take(track)])
        except Exception:
            log.exception("could not store the snapshot of track %s", track.id)


def snapshot_points(interval: int) -> Iterator[int]:
    """The versions a track is snapshotted at: every `interval` events at first, then every
    quarter of the version (100, 200, 300, 400, 500, 625, 781, 976, …, 9082, 11352, …).

    A snapshot costs the size of the track: at a fixed interval, writing them grows with the
    square of the track's length; spaced in proportion to it, the cost per event stays flat
    (benchmarks/README.md). Loading replays at most a fifth of the track's events after its
    snapshot."""
    point = interval
    while True:
        yield point
        point += max(interval, point // SNAPSHOT_GROWTH)


def crosses_snapshot_point(before: int, after: int, interval: int) -> bool:
    """Whether a save that took a track from version `before` to `after` passed one."""
    for point in snapshot_points(interval):
        if point > after:
            return False
        if point > before:
            return True
    return False  # unreachable: the points grow without bound


class StatementRecordAsList(Transcoding):
    """A track's statement records in snapshots: a JSON list each, keys implied."""

    type = StatementRecord
    name = "statement_record"

    def encode(self, obj: StatementRecord) -> list[Any]:
        return obj.as_list()

    def decode(self, data: list[Any]) -> StatementRecord:
        return StatementRecord.from_list(data)


def _replay(track: Track | None, events: Iterable[Any]) -> Track | None:
    """The library's `project_aggregate` without its per-event `isinstance` against a runtime
    Protocol, which Python 3.11 answers slowly (benchmarks/README.md)."""
    for event in events:
        track = event.mutate(track)
    return track


def _slug_candidates(title: str) -> list[str]:
    base = slugify(title)
    return [base] + [f"{base}-{n}" for n in range(2, 50)]
