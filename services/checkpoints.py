"""View checkpoints: what keeps `as-of` on a long track about as cheap as on a short one.

Folding a track's view (`domain.document.TrackView`) from its first event costs the size of
the history (benchmarks/asof_bench.py measures it). An as-of answer
only shows a handful of statements, though. So at every `interval`-th version the view is
also stored as a *view checkpoint*, in the snapshot store:

- the checkpoint itself, `TrackView.checkpoint()`: the track's header, counts, the index of
  the statements in view and their records. Its size follows the current-state document.
- every statement record, spread over `buckets` small streams by a hash of its id
  (`StatementBucket`). A checkpoint writes only the buckets its events changed; an older
  row of a bucket stands for it until the bucket changes again.

As-of at version N takes the newest checkpoint at or before N, folds the events after it
onto it, and loads from the buckets only the records those events name: at most
`interval - 1` events, whatever the track's length (`services.checkpoint_reader`).

Soundness: a bucket's row at version v is the bucket as it stood at v; a checkpoint at C
folded from the checkpoint P writes every bucket changed in (P, C], so for each bucket the
newest row at or before C (and at or after the checkpoint's `base`, where all buckets were
last written in full) is the bucket at C. Checkpoints are written after the events are
committed, all rows of one in one transaction; a missing one (a crash, a race between
processes, a track older than this code) only means a longer fold or a new full write. A
track without a usable checkpoint is folded from its first event.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import DomainEvent

from domain.document import TrackView
from domain.events import StatementRecorded
from domain.records import StatementRecord, references

MIN_BUCKETS = 16
# Statements recorded one after another that share a bucket key (see benchmarks/README.md).
EPOCH = 16
_VERSION_8 = 0x8 << 76 | 0x2 << 62
_FREE_BITS = ~(0xF << 76 | 0x3 << 62)
RECORDS_PER_BUCKET = 4  # at a full write: buckets = a power of two >= version / this
REGROW_AFTER = 16  # ... and all are written again once the version passes this × buckets


@dataclass(frozen=True)
class ViewCheckpoint(DomainEvent):
    """A track's `TrackView.checkpoint()` at `originator_version` (stored as a snapshot)."""

    state: dict[str, Any]
    buckets: int  # how the track's records are spread (see `bucket_of`)
    base: int  # the version at which every bucket was last written in full


@dataclass(frozen=True)
class StatementBucket(DomainEvent):
    """The records of one bucket of a track as they stood at `originator_version`, each as
    `StatementRecord.as_list()`: plain JSON, so decoding does not walk them for objects of
    registered types (see benchmarks/README.md)."""

    records: list[list[Any]]


def view_stream(track_id: UUID) -> UUID:
    return uuid5(track_id, "view-checkpoint")


@lru_cache(maxsize=4096)  # an as-of names dozens of buckets, each a uuid5 (SHA-1)
def bucket_stream(track_id: UUID, buckets: int, number: int) -> UUID:
    return uuid5(track_id, f"statements/{buckets}/{number}")


def bucket_of(statement_id: str, buckets: int) -> int:
    """The first 32 bits of the id, modulo `buckets` (a power of two): for the ids that
    `new_statement_id` makes, consecutive statements share a bucket; for random ones (UUID
    version 4, as recorded before) it is a uniform hash. Stable across processes."""
    try:
        key = int(statement_id[:8], 16)
    except ValueError:  # not a UUID: any stable spread will do
        key = zlib.crc32(str(statement_id).encode())
    return key & (buckets - 1)


def new_statement_id(version: int) -> str:
    """A statement id: a UUID (version 8, RFC 9562) whose first 32 bits are the track
    version it is recorded at, divided by `EPOCH`; the remaining 90 free bits are random.
    Statements recorded together then fall in a few buckets, and a checkpoint rewrites a
    few bucket rows rather than one per statement (random ids: 1.5 rows per event)."""
    value = ((version // EPOCH) & 0xFFFFFFFF) << 96 | int.from_bytes(os.urandom(12))
    value = (value & _FREE_BITS) | _VERSION_8  # the version nibble and the variant bits
    text = f"{value:032x}"  # formatted here: a UUID object cost three times as much
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def buckets_for(version: int) -> int:
    buckets = MIN_BUCKETS
    while buckets * RECORDS_PER_BUCKET < version:
        buckets *= 2
    return buckets


def named(event: Any) -> list[str]:
    """The statements an event changes: its own, and what a new one answers or withdraws."""
    statement_id = getattr(event, "statement_id", None)
    if statement_id is None:
        return []
    if not isinstance(event, StatementRecorded):
        return [statement_id]
    return [statement_id, *references(event.statement)]


# -- the rows a checkpoint writes ---------------------------------------------------------


def rows_in_full(
    track: TrackView, records: Iterable[StatementRecord], version: int
) -> list[DomainEvent]:
    """The checkpoint and every non-empty bucket, spread over as many as the version needs."""
    count = buckets_for(version)
    spread: dict[int, list[StatementRecord]] = {}
    for record in records:
        spread.setdefault(bucket_of(record.id, count), []).append(record)
    return [
        checkpoint_row(track, version, count, base=version),
        *(
            bucket_row(track.id, count, number, version, spread[number])
            for number in sorted(spread)
        ),
    ]


def checkpoint_row(track: TrackView, version: int, count: int, base: int) -> ViewCheckpoint:
    return ViewCheckpoint(
        originator_id=view_stream(track.id),
        originator_version=version,
        timestamp=ViewCheckpoint.create_timestamp(),
        state=track.checkpoint(),
        buckets=count,
        base=base,
    )


def bucket_row(
    track_id: UUID, count: int, number: int, version: int, records: Iterable[StatementRecord]
) -> StatementBucket:
    return StatementBucket(
        originator_id=bucket_stream(track_id, count, number),
        originator_version=version,
        timestamp=StatementBucket.create_timestamp(),
        records=[record.as_list() for record in records],
    )
