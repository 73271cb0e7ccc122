"""What the checkpoint writer (`checkpoint_writer`) keeps track of between events: where a
checkpoint stands, the rows of one taken and not yet stored, the statements changed since,
and which statement falls in which bucket."""

from __future__ import annotations

import itertools
import weakref
from dataclasses import dataclass, field
from typing import Any

from eventsourcing.persistence import StoredEvent

from domain.document import TrackView
from services.checkpoints import bucket_of


@dataclass
class BucketIndex:
    """Which of a track's statement ids fall in which bucket; ids are only ever added, and
    a dict keeps them in recording order, so new ones are taken from the end. It belongs
    to one TrackView object (the projector's), held weakly: a view the projector dropped
    must not stay in memory for its index (see benchmarks/README.md)."""

    count: int
    track: weakref.ref[TrackView]
    indexed: int = 0
    members: dict[int, list[str]] = field(default_factory=dict)

    def catch_up(self, statements: dict[str, Any]) -> None:
        for statement_id in itertools.islice(statements, self.indexed, None):
            self.members.setdefault(bucket_of(statement_id, self.count), []).append(statement_id)
        self.indexed = len(statements)


@dataclass
class Changes:
    """The statements named by the events (since, last] that this process saved."""

    since: int
    last: int
    ids: set[str] = field(default_factory=set)


@dataclass
class Mark:
    """Where a checkpoint stands: enough to take the next one after it."""

    version: int
    buckets: int
    base: int


@dataclass
class Capture(Mark):
    rows: list[StoredEvent] = field(default_factory=list)


STORED_ALREADY = Mark(0, 0, 0)
