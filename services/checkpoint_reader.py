"""Reading view checkpoints (`services.checkpoints`): a track's view at any version.

`view_at` starts from the newest checkpoint at or before the version, folds the events
after it, and loads from the statement buckets only the records those events name (the
rest of the track stays in the store). `load_view` falls back to folding the track from its
first event when there is no usable checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from domain import errors
from domain.document import TrackView
from domain.events import StatementRecorded
from domain.records import StatementRecord, references
from services.checkpoints import (
    StatementBucket,
    ViewCheckpoint,
    bucket_of,
    bucket_stream,
    named,
    view_stream,
)

log = logging.getLogger("ntrack.checkpoints")

PREFETCH_ROUNDS = 3  # the events' statements, what they answer, the other answers to those


class Buckets:
    """The bucket rows of one checkpoint, fetched on demand and at most once each."""

    def __init__(self, app: Any, track_id: UUID, checkpoint: ViewCheckpoint) -> None:
        self.app = app
        self.track_id = track_id
        self.count = checkpoint.buckets
        self.base = checkpoint.base
        self.version = checkpoint.originator_version
        self.fetched: set[int] = set()  # bucket numbers asked for already

    def fetch(self, numbers: Iterable[int]) -> list[StatementRecord]:
        wanted = {
            bucket_stream(self.track_id, self.count, n): n for n in numbers if n not in self.fetched
        }
        if not wanted:
            return []
        self.fetched.update(wanted.values())
        records: list[StatementRecord] = []
        for row in self.app.extras.latest_rows(list(wanted), gte=self.base, lte=self.version):
            bucket: StatementBucket = self.app.snapshots.mapper.to_domain_event(row)
            records += [StatementRecord.from_list(values) for values in bucket.records]
        return records


class LazyStatements(dict[str, StatementRecord]):
    """A track's statements as a checkpoint gives them: the records in view, and any other
    loaded from its bucket when first asked for. A record already here is never replaced by
    a loaded one: events applied since the checkpoint may have changed it."""

    def __init__(self, buckets: Buckets) -> None:
        super().__init__()
        self.buckets = buckets

    def load(self, ids: Iterable[str]) -> None:
        self.load_buckets(
            bucket_of(i, self.buckets.count) for i in ids if not dict.__contains__(self, i)
        )

    def load_buckets(self, numbers: Iterable[int]) -> None:
        for record in self.buckets.fetch(numbers):
            self.setdefault(record.id, record)

    def __missing__(self, statement_id: str) -> StatementRecord:
        self.load([statement_id])
        if dict.__contains__(self, statement_id):
            return dict.__getitem__(self, statement_id)
        raise KeyError(statement_id)

    def __contains__(self, statement_id: object) -> bool:
        if not dict.__contains__(self, statement_id) and isinstance(statement_id, str):
            self.load([statement_id])
        return dict.__contains__(self, statement_id)

    # Asked for all of them (the view re-placing its meetings after the newest held one was
    # retracted), every bucket is loaded: the answer must be complete.
    def _all(self) -> dict[str, StatementRecord]:
        self.load_buckets(range(self.buckets.count))
        return dict(dict.items(self))

    def values(self) -> Any:
        return self._all().values()

    def items(self) -> Any:
        return self._all().items()

    def keys(self) -> Any:
        return self._all().keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def get(self, statement_id: str, default: Any = None) -> Any:
        if statement_id in self:  # loads it if it is in a bucket
            return dict.__getitem__(self, statement_id)
        return default


def _related(record: StatementRecord) -> list[str]:
    return [*references(record.fields), *record.answers, *record.withdrawals]


def prefetch(statements: LazyStatements, events: Sequence[Any]) -> None:
    """Load in a few batched queries what applying `events` will ask for, instead of one
    query per record (anything missed is still loaded when asked for). Statements the
    events record are not looked for: they are not in the buckets yet."""
    seen = {e.statement_id for e in events if isinstance(e, StatementRecorded)}
    frontier = {i for event in events for i in named(event)} - seen
    for _ in range(PREFETCH_ROUNDS):
        statements.load(frontier)
        seen |= frontier
        frontier = {
            ref
            for i in frontier
            if (record := dict.get(statements, i)) is not None
            for ref in _related(record)
        } - seen
        if not frontier:
            return


def view_at(app: Any, track_id: UUID, version: int) -> TrackView | None:
    """The view at `version` from its newest checkpoint at or before it, or None if it has
    none this code can use."""
    if app.snapshots is None:
        return None
    rows = app.snapshots.recorder.select_events(
        view_stream(track_id), lte=version, desc=True, limit=1
    )
    if not rows:
        return None
    checkpoint: ViewCheckpoint = app.snapshots.mapper.to_domain_event(rows[0])
    view = TrackView.from_checkpoint(
        track_id,
        checkpoint.originator_version,
        checkpoint.state,
        LazyStatements(Buckets(app, track_id, checkpoint)),
    )
    if view is None:
        return None
    events = list(app.events.get(track_id, gt=view.version, lte=version))
    prefetch(view.statements, events)  # type: ignore[arg-type]
    for event in events:
        view.apply(event)
    return view


def load_view(app: Any, track_id: UUID, version: int) -> TrackView:
    """The view at `version`: from its checkpoints if it can (a damaged one is logged, and
    `verify` reports it: an answer must not fail for it), else folded from the first event."""
    try:
        view = view_at(app, track_id, version)
    except Exception:
        log.exception("the view checkpoints of track %s failed; folding its events", track_id)
        view = None
    if view is None:
        view = TrackView.fold(app.events.get(track_id, lte=version))
    if view is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    return view
