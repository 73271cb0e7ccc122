"""Derived state against the events it was derived from, for `verify`.

Writes start from snapshots and as-of from view checkpoints, not from the first event, so a
row of either edited in the store would change what is checked or shown while the hash
chain stays valid. A snapshot is compared with the `Track` replayed from its events up to
the row's version (an old snapshot is upcast first), a checkpoint with the `TrackView`
folded up to it, as this version of the application writes them.
A row that cannot be decoded, or stands past the last event, differs. The events are read
again here rather than folded during the chain pass: `verify_all` checks every track in one
pass and must not hold them all in memory.
"""

from __future__ import annotations

import bisect
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import Snapshot

from domain.document import TrackView
from domain.events import StatementRecorded
from domain.records import StatementRecord
from domain.track import Track
from services import checkpoints
from services.application import TrackerApp

PAGE_SIZE = 1000  # events read per query while replaying


def with_derived_checks(app: TrackerApp, chain: dict[str, Any], track_id: UUID) -> dict[str, Any]:
    """The chain's report, with the snapshot and checkpoint checks; valid only if all are."""
    snapshots_checked, invalid_snapshots = check_snapshots(app, track_id)
    checkpoints_checked, invalid_checkpoints = check_checkpoints(app, track_id)
    return {
        **chain,
        "valid": chain["valid"] and not invalid_snapshots and not invalid_checkpoints,
        "snapshots_checked": snapshots_checked,
        "invalid_snapshots": invalid_snapshots,
        "checkpoints_checked": checkpoints_checked,
        "invalid_checkpoints": invalid_checkpoints,
    }


def _replayed_to(
    app: TrackerApp, track_id: UUID, track: Track | None, version: int
) -> Track | None:
    """`track` (None: nothing yet) brought forward by the stored events up to `version`."""
    done = track.version if track is not None else 0
    while done < version and (
        rows := app.recorder.select_events(track_id, gt=done, lte=version, limit=PAGE_SIZE)
    ):
        for row in rows:
            event: Any = app.mapper.to_domain_event(row)
            track = event.mutate(track)
        done = int(rows[-1].originator_version)
    return track


# -- snapshots -------------------------------------------------------------------------------


def check_snapshots(app: TrackerApp, track_id: UUID) -> tuple[int, list[int]]:
    """Each stored snapshot of the track: (how many were checked, the versions that differ).
    One snapshot in memory at a time."""
    if app.snapshots is None:
        return 0, []
    checked, invalid = 0, []
    track: Track | None = None
    after = 0
    while stored := app.snapshots.recorder.select_events(track_id, gt=after, limit=1):
        version = int(stored[0].originator_version)
        track = _replayed_to(app, track_id, track, version)
        checked += 1
        if track is None or track.version != version or not _same_state(app, stored[0], track):
            invalid.append(version)
        after = version
    return checked, invalid


def _same_state(app: TrackerApp, stored: Any, track: Track) -> bool:
    assert app.snapshots is not None
    try:
        snapshot: Any = app.snapshots.mapper.to_domain_event(stored)
        restored = snapshot.mutate(None)
        return bool(
            restored.version == track.version
            and _encoded_state(app, restored) == _encoded_state(app, track)
        )
    except Exception:  # undecodable or unloadable: not the state the events give
        return False


def _encoded_state(app: TrackerApp, track: Track) -> bytes:
    """The snapshot state as stored, its attributes and index in name order: the order they
    were made in depends on the path taken (live events or an upcast), not the state."""
    state = Snapshot.take(track).state
    state["index"] = dict(sorted(state["index"].items()))
    return app.mapper.transcoder.encode(dict(sorted(state.items())))


# -- view checkpoints ------------------------------------------------------------------------


def check_checkpoints(app: TrackerApp, track_id: UUID) -> tuple[int, list[int]]:
    """Each view checkpoint of the track against the track replayed to its version, and
    what as-of would read with it: every bucket row it wrote must hold the replayed records
    of its bucket, every bucket's newest row at or before it (since its base) must be no
    older than the bucket's last change, and no bucket row may stand where no checkpoint
    wrote one. Returns (how many checkpoints were checked, the versions that fail)."""
    if app.snapshots is None:
        return 0, []
    rows = app.snapshots.recorder.select_events(checkpoints.view_stream(track_id))
    decoded: list[tuple[int, checkpoints.ViewCheckpoint | None]] = []
    for stored in rows:
        try:
            checkpoint: Any = app.snapshots.mapper.to_domain_event(stored)
            decoded.append((int(stored.originator_version), checkpoint))
        except Exception:  # undecodable: not what the events give
            decoded.append((int(stored.originator_version), None))
    counts = {checkpoint.buckets for _, checkpoint in decoded if checkpoint is not None}
    written = {
        (checkpoint.buckets, version) for version, checkpoint in decoded if checkpoint is not None
    }
    stored_rows = _bucket_rows(app, track_id, counts)
    invalid = {
        version
        for count, rows_of_count in stored_rows.items()
        for versions in rows_of_count.values()
        for version in versions
        if (count, version) not in written
    }
    replay = _Replay(app, track_id, counts)
    for version, checkpoint in decoded:
        track = replay.to(version)
        try:
            sound = (
                checkpoint is not None
                and track is not None
                and track.version == version
                and _same_checkpoint(checkpoint, track)
                and _same_buckets(
                    app,
                    checkpoint,
                    track,
                    replay.members[checkpoint.buckets],
                    stored_rows[checkpoint.buckets],
                )
                and _buckets_readable(
                    checkpoint, replay.changed[checkpoint.buckets], stored_rows[checkpoint.buckets]
                )
            )
        except Exception:
            sound = False
        if not sound:
            invalid.add(version)
    return len(rows), sorted(invalid)


def _bucket_rows(
    app: TrackerApp, track_id: UUID, counts: set[int]
) -> dict[int, dict[int, list[int]]]:
    """For each bucket count, the stored versions of each bucket, in order."""
    assert app.snapshots is not None
    found: dict[int, dict[int, list[int]]] = {}
    for count in counts:
        numbers = {checkpoints.bucket_stream(track_id, count, n): n for n in range(count)}
        versions = found[count] = {}
        for stream, version in app.extras.row_versions(list(numbers)):
            versions.setdefault(numbers[stream], []).append(version)
        for listed in versions.values():
            listed.sort()
    return found


class _Replay:
    """The track replayed forward, noting for each bucket count which statements each
    bucket holds and when it last changed (the versions of the events naming one of its
    statements)."""

    def __init__(self, app: TrackerApp, track_id: UUID, counts: set[int]) -> None:
        self.app = app
        self.track_id = track_id
        self.track: TrackView | None = None
        self.changed: dict[int, dict[int, int]] = {count: {} for count in counts}
        self.members: dict[int, dict[int, list[str]]] = {count: {} for count in counts}

    def to(self, version: int) -> TrackView | None:
        done = self.track.version if self.track is not None else 0
        while done < version and (
            rows := self.app.recorder.select_events(
                self.track_id, gt=done, lte=version, limit=PAGE_SIZE
            )
        ):
            for row in rows:
                event: Any = self.app.mapper.to_domain_event(row)
                if self.track is None:
                    self.track = TrackView.opened(event)
                else:
                    self.track.apply(event)
                recorded = event.statement_id if isinstance(event, StatementRecorded) else None
                for statement_id in checkpoints.named(event):
                    for count, changed in self.changed.items():
                        number = checkpoints.bucket_of(statement_id, count)
                        changed[number] = event.originator_version
                        if statement_id == recorded:
                            self.members[count].setdefault(number, []).append(statement_id)
            done = int(rows[-1].originator_version)
        return self.track


def _buckets_readable(
    checkpoint: checkpoints.ViewCheckpoint, changed: dict[int, int], stored: dict[int, list[int]]
) -> bool:
    """As-of reads each bucket's newest row in [base, version]: it must exist for every
    bucket that holds statements, and be written no earlier than the bucket's last change."""
    low, high = checkpoint.base, checkpoint.originator_version
    for number, last_change in changed.items():
        versions = stored.get(number, [])
        at = bisect.bisect_right(versions, high)
        if at == 0 or versions[at - 1] < max(low, last_change):
            return False
    return True


def _canonical(state: dict[str, Any]) -> dict[str, Any]:
    return {
        **state,
        "in_view": sorted((p, sorted(ids)) for p, ids in state["in_view"].items() if ids),
        "records": sorted(r.as_list() for r in state["records"]),
    }


def _same_checkpoint(checkpoint: checkpoints.ViewCheckpoint, track: TrackView) -> bool:
    count, base = checkpoint.buckets, checkpoint.base
    return bool(
        count > 0
        and count & (count - 1) == 0
        and 0 < base <= track.version
        and _canonical(checkpoint.state) == _canonical(track.checkpoint())
    )


def _same_buckets(
    app: TrackerApp,
    checkpoint: checkpoints.ViewCheckpoint,
    track: TrackView,
    members: dict[int, list[str]],
    stored: dict[int, list[int]],
) -> bool:
    """Every bucket row written at the checkpoint's version holds exactly the replayed
    track's records of that bucket."""
    assert app.snapshots is not None
    count, version = checkpoint.buckets, checkpoint.originator_version
    numbers: dict[Any, int] = {
        checkpoints.bucket_stream(track.id, count, n): n
        for n, versions in stored.items()
        if version in versions
    }
    for row in app.extras.latest_rows(list(numbers), gte=version, lte=version):
        bucket: Any = app.snapshots.mapper.to_domain_event(row)
        got = sorted(StatementRecord.from_list(values).as_list() for values in bucket.records)
        expected = sorted(
            track.statements[i].as_list()
            for i in members.get(numbers[cast(UUID, row.originator_id)], ())
        )
        if got != expected:
            return False
    return True
