"""Derived state against the events it was derived from, for `verify`.

As-of and cold loads start from snapshots and view checkpoints, not from the first event, so
a row of either edited in the store would change what an auditor is shown while the hash
chain stays valid. Each is compared with the track replayed from its events up to the row's
version, as this version of the application writes them (an old snapshot is upcast first).
A row that cannot be decoded, or stands past the last event, differs. The events are read
again here rather than folded during the chain pass: `verify_all` checks every track in one
pass and must not hold them all in memory.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot

from domain.records import StatementRecord
from domain.track import Track
from infra.latest_rows import latest_rows, row_versions
from services import checkpoints
from services.application import TrackerApp

PAGE_SIZE = 1000  # events read per query while replaying


def with_derived_checks(app: TrackerApp, chain: dict[str, Any],
                        track_id: UUID) -> dict[str, Any]:
    """The chain's report, with the snapshot and checkpoint checks; valid only if all are."""
    snapshots_checked, invalid_snapshots = check_snapshots(app, track_id)
    checkpoints_checked, invalid_checkpoints = check_checkpoints(app, track_id)
    return {**chain, "valid": chain["valid"] and not invalid_snapshots and not invalid_checkpoints,
            "snapshots_checked": snapshots_checked, "invalid_snapshots": invalid_snapshots,
            "checkpoints_checked": checkpoints_checked,
            "invalid_checkpoints": invalid_checkpoints}


def _replayed_to(app: TrackerApp, track_id: UUID, track: Track | None,
                 version: int) -> Track | None:
    """`track` (None: nothing yet) brought forward by the stored events up to `version`."""
    done = track.version if track is not None else 0
    while done < version and (rows := app.recorder.select_events(
            track_id, gt=done, lte=version, limit=PAGE_SIZE)):
        for row in rows:
            track = app.mapper.to_domain_event(row).mutate(track)
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
        restored = app.snapshots.mapper.to_domain_event(stored).mutate(None)
        return bool(restored.version == track.version and
                    _encoded_state(app, restored) == _encoded_state(app, track))
    except Exception:  # undecodable or unloadable: not the state the events give
        return False


def _encoded_state(app: TrackerApp, track: Track) -> bytes:
    """The snapshot state as stored, its attributes and `in_view` in name order: the order
    they were made in depends on the path taken (live events or an upcast), not the state."""
    state = Snapshot.take(track).state
    state["in_view"] = dict(sorted(state["in_view"].items()))
    return app.mapper.transcoder.encode(dict(sorted(state.items())))


# -- view checkpoints ------------------------------------------------------------------------


def check_checkpoints(app: TrackerApp, track_id: UUID) -> tuple[int, list[int]]:
    """Each view checkpoint of the track and every statement bucket row it wrote; and no
    bucket row where no checkpoint wrote one (as-of would read it). Returns (how many
    checkpoints were checked, the versions of the rows that differ)."""
    if app.snapshots is None:
        return 0, []
    rows = app.snapshots.recorder.select_events(checkpoints.view_stream(track_id))
    invalid: set[int] = set()
    written: set[tuple[int, int]] = set()  # (buckets, version) of each readable checkpoint
    track: Track | None = None
    for stored in rows:
        version = int(stored.originator_version)
        track = _replayed_to(app, track_id, track, version)
        try:
            checkpoint: checkpoints.ViewCheckpoint = app.snapshots.mapper.to_domain_event(stored)
            written.add((checkpoint.buckets, version))
            sound = track is not None and track.version == version and \
                _same_checkpoint(checkpoint, track) and _same_buckets(app, checkpoint, track)
        except Exception:  # undecodable: not what the events give
            sound = False
        if not sound:
            invalid.add(version)
    for count in {count for count, _ in written}:
        streams = [checkpoints.bucket_stream(track_id, count, n) for n in range(count)]
        invalid.update(version for _, version in row_versions(app.snapshots.recorder, streams)
                       if (count, version) not in written)
    return len(rows), sorted(invalid)


def _canonical(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "in_view": sorted(state["in_view"].items()),
            "records": sorted(r.as_list() for r in state["records"])}


def _same_checkpoint(checkpoint: checkpoints.ViewCheckpoint, track: Track) -> bool:
    count, base = checkpoint.buckets, checkpoint.base
    return bool(count > 0 and count & (count - 1) == 0 and 0 < base <= track.version
                and _canonical(checkpoint.state) == _canonical(track.checkpoint()))


def _same_buckets(app: TrackerApp, checkpoint: checkpoints.ViewCheckpoint,
                  track: Track) -> bool:
    """Every bucket row written at the checkpoint's version holds exactly the replayed
    track's records of that bucket."""
    assert app.snapshots is not None
    count, version = checkpoint.buckets, checkpoint.originator_version
    numbers = {checkpoints.bucket_stream(track.id, count, n): n for n in range(count)}
    for stored in latest_rows(app.snapshots.recorder, list(numbers), gte=version, lte=version):
        bucket = app.snapshots.mapper.to_domain_event(stored)
        got = sorted(StatementRecord.from_list(values).as_list() for values in bucket.records)
        number = numbers[stored.originator_id]
        expected = sorted(r.as_list() for r in track.statements.values()
                          if checkpoints.bucket_of(r.id, count) == number)
        if got != expected:
            return False
    return True
