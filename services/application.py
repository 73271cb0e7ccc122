"""The use cases: an eventsourcing `Application` doing get -> call -> save.

Writes to one track race only on the track's next version. Without `If-Match` a lost race
is retried on a freshly loaded track (bounded), so concurrent writers are all recorded;
with `If-Match` it is the client's conflict (412).

Within a process, writes to one track take turns (a lock per track) on the cached aggregate
itself: copying a long track for every command cost more than the command (about 0.9 s
for 10,000 statements). A failed command or save evicts the cached track, so a half-applied
command never survives; the answer is computed inside the turn, from a consistent track.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, ClassVar
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
from domain.records import StatementRecord
from domain.track import Track
from domain.values import is_valid_slug, slugify, track_id_for
from infra.eventlog import event_store_extras
from infra.transcoder import OrjsonTranscoder
from services.checkpoints import new_statement_id
from services.ports import EventStoreExtras
from services.track_cache import TrackCache

MAX_WRITE_ATTEMPTS = 50
SNAPSHOT_GROWTH = 4  # past the fixed interval, snapshot every version // SNAPSHOT_GROWTH events


class TooMuchContention(errors.TrackerError):
    """A write lost the race for the track's next version too many times."""


@dataclass(frozen=True)
class WriteResult:
    track: Track  # the live cached aggregate: read it only single-threaded, or use `answer`
    targets: list[str]  # statement ids the write recorded (or touched)
    position: int
    replayed: bool = False
    version: int = 0  # the track's version right after this write
    answer: Any = None  # what `present` made of the track, inside the write's turn


# A command gets the freshly loaded track and returns the statement ids it records.
Command = Callable[[Track], list[str]]
# Shapes the answer from the track right after the write (track, statement ids).
Present = Callable[[Track, list[str]], Any]


class TrackerApp(Application[UUID]):
    name = "ntrack"  # pinned: the library names tables after it
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Track: 100}

    def __init__(
        self, env: dict[str, str], *, snapshot_interval: int = 100, cache_statements: int = 0
    ) -> None:
        self._explicit_env = dict(env)
        super().__init__(env)
        # Per instance (the library reads it through `self`): each tracker its own interval.
        self.snapshotting_intervals = {Track: snapshot_interval}  # type: ignore[misc]
        if self.repository.cache is not None:  # AGGREGATE_CACHE_MAXSIZE set
            maxsize = int(self.env.get("AGGREGATE_CACHE_MAXSIZE") or 0)
            self.repository.cache = TrackCache(
                maxsize if maxsize > 0 else sys.maxsize, cache_statements
            )
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

    def _take_snapshots(self, processing_event: Any) -> None:
        """At most one snapshot per track per save, taken from the track in memory.

        The library snapshots at every event whose version is a multiple of the interval,
        each time rebuilding the track from the store (a batch of 500 took five rebuilds of
        a multi-megabyte state: 60% of batch ingest). The saved track is the state right
        after its last event, so that is what we snapshot, whenever a save crosses one of
        `snapshot_points`."""
        if self.snapshots is None:
            return
        versions: dict[Any, list[int]] = {}
        for event in processing_event.events:
            versions.setdefault(event.originator_id, []).append(event.originator_version)
        for track_id, saved in versions.items():
            track = processing_event.aggregates.get(track_id)
            interval = self.snapshotting_intervals.get(type(track))
            if track is None or not interval:
                continue
            if crosses_snapshot_point(min(saved) - 1, max(saved), interval):
                self.snapshots.put([Snapshot.take(track)])

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
    ) -> WriteResult:
        candidates = [slug] if slug else _slug_candidates(title)
        for candidate in candidates:
            if not is_valid_slug(candidate):
                raise errors.RuleViolation(
                    "slug must be lower-case letters, digits and single hyphens", "slug"
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
            return self._result(track, [], recordings[-1].notification.id, None)
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
    ) -> WriteResult:
        with self._turn(track_id):
            for attempt in range(MAX_WRITE_ATTEMPTS):
                track = self._current(track_id)
                if if_match is not None and track.version != if_match:
                    raise errors.VersionMismatch(if_match, track.version)
                if key is not None:
                    replay = track.replay_for(key, digest or "")
                    if replay is not None:
                        return self._replayed(track, key, replay, present)
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
                result = self._result(track, targets, recordings[-1].notification.id, present)
                if isinstance(self.repository.cache, TrackCache):
                    self.repository.cache.trim()  # the track grew in place
                return result
        raise TooMuchContention("too many concurrent writes to this track; try again")

    def _replayed(
        self, track: Track, key: str, targets: list[str], present: Present | None
    ) -> WriteResult:
        """The first answer again: its statements, version and commit position."""
        version = track.version_for(key)
        position = self.extras.position_of(track.id, version) or self.max_position()
        answer = present(track, targets) if present is not None else None
        return WriteResult(track, targets, position, True, version, answer)

    @staticmethod
    def _result(
        track: Track,
        targets: list[str],
        position: int,
        present: Present | None,
        replayed: bool = False,
    ) -> WriteResult:
        answer = present(track, targets) if present is not None else None
        return WriteResult(track, targets, position, replayed, track.version, answer)

    def record_statements(
        self, track_id: UUID, statements: list[dict[str, Any]], *, recorded_by: str, **options: Any
    ) -> WriteResult:
        """Record one or more statements atomically (a batch is one save, one transaction)."""

        def command(track: Track) -> list[str]:
            ids = []
            for statement in statements:
                statement_id = new_statement_id(track.version + 1)
                track.record_statement(
                    statement_id,
                    statement,
                    recorded_by=recorded_by,
                    key=options.get("key"),
                    digest=options.get("digest"),
                )
                ids.append(statement_id)
            return ids

        return self.write(track_id, command, **options)

    def add_party(
        self, track_id: UUID, name: str, *, recorded_by: str, **options: Any
    ) -> WriteResult:
        def command(t: Track) -> list[str]:
            t.add_party(
                name, recorded_by=recorded_by, key=options.get("key"), digest=options.get("digest")
            )
            return []

        return self.write(track_id, command, **options)

    def change_status(
        self,
        track_id: UUID,
        status: str,
        *,
        reason: str | None,
        occurred_at: str | None,
        recorded_by: str,
        **options: Any,
    ) -> WriteResult:
        def command(t: Track) -> list[str]:
            t.change_status(
                status,
                reason=reason,
                occurred_at=occurred_at,
                recorded_by=recorded_by,
                key=options.get("key"),
                digest=options.get("digest"),
            )
            return []

        return self.write(track_id, command, **options)

    def correct_statement(
        self,
        track_id: UUID,
        statement_id: str,
        changes: dict[str, Any],
        reason: str,
        *,
        recorded_by: str,
        **options: Any,
    ) -> WriteResult:
        def command(track: Track) -> list[str]:
            track.correct_statement(
                statement_id,
                changes,
                reason,
                recorded_by=recorded_by,
                key=options.get("key"),
                digest=options.get("digest"),
            )
            return [statement_id]

        return self.write(track_id, command, **options)

    def retract_statement(
        self, track_id: UUID, statement_id: str, reason: str, *, recorded_by: str, **options: Any
    ) -> WriteResult:
        def command(track: Track) -> list[str]:
            track.retract_statement(
                statement_id,
                reason,
                recorded_by=recorded_by,
                key=options.get("key"),
                digest=options.get("digest"),
            )
            return [statement_id]

        return self.write(track_id, command, **options)


def snapshot_points(interval: int) -> Iterator[int]:
    """The versions a track is snapshotted at: every `interval` events at first, then every
    quarter of the version (100, 200, 300, 400, 500, 625, 781, 976, …, 9082, 11352, …).

    A snapshot costs the size of the track (a 5,000-statement track: 2.3 MB, 24 ms to
    encode and ~90 ms for PostgreSQL to compress and store). At a fixed interval, writing
    and storing them grows with the square of the track's length; spaced in proportion to
    it, the cost per event stays flat and a long track's snapshots take a few times its own
    size. Loading replays at most a fifth of the track's events after its snapshot."""
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
    Protocol, which Python 3.11 answers slowly: 40 of 215 ms of an as-of on a long track."""
    for event in events:
        track = event.mutate(track)
    return track


def resolve_track_ref(ref: str) -> UUID:
    """`{track}` in a path is an id or a slug."""
    try:
        return UUID(ref)
    except ValueError:
        return track_id_for(ref)


def _slug_candidates(title: str) -> list[str]:
    base = slugify(title)
    return [base] + [f"{base}-{n}" for n in range(2, 50)]
