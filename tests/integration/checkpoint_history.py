"""What the view checkpoint tests share: tracks written the ways the API writes, the
projector that checkpoints them, the full replay they must equal, and edits of stored rows
behind the application's back (the fixtures are in conftest.py)."""

from __future__ import annotations

import random
import sqlite3
import uuid
from typing import Any
from uuid import UUID

import psycopg

from domain import errors, views
from domain.document import TrackView
from services import checkpoints
from services.bootstrap import Tracker
from tests.conftest import replayed_view

PARTIES = ["Russia", "United States", "NATO"]
INTERVAL = 4


def project(tracker: Tracker) -> None:
    """Let the tracker's projector (one per tracker, kept across calls) catch up."""
    projector = tracker.__dict__.setdefault("_projector", tracker.projector())
    projector.catch_up()


def latest_checkpoint(app: Any, track_id: UUID, version: int) -> checkpoints.ViewCheckpoint | None:
    rows = app.snapshots.recorder.select_events(
        checkpoints.view_stream(track_id), lte=version, desc=True, limit=1
    )
    return app.snapshots.mapper.to_domain_event(rows[0]) if rows else None


def open_track(tracker: Tracker, slug: str) -> UUID:
    """A fresh track of `PARTIES` for a checkpoint test."""
    return tracker.app.open_track(
        slug=slug,
        kind="other",
        title="t",
        venue=None,
        parties=PARTIES,
        opened_at="2022-01-01",
        recorded_by="t",
    ).track.id


def replayed(tracker: Tracker, track_id: UUID, version: int | None = None) -> TrackView:
    return replayed_view(tracker, track_id, version)


def fields(rng: random.Random, n: int, kind: str, party: str) -> dict[str, Any]:
    day = f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}"
    fields: dict[str, Any] = {
        "type": kind,
        "party": party,
        "occurred_at": day,
        "summary": f"{kind} {n}",
    }
    if kind == "sanction_warning":
        fields["target"] = "Russia"
    if kind == "warning":
        fields["category"] = "military"
    if kind in ("meeting_scheduled", "meeting_held"):
        fields["location"] = "Geneva"
    if kind == "meeting_scheduled":
        fields["meeting_at"] = f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}"
    return fields


def statement(rng: random.Random, n: int, track: TrackView) -> dict[str, Any]:
    party = rng.choice(PARTIES)
    live = [r for r in track.statements.values() if not r.retracted]
    choice = rng.random()
    if choice < 0.25 and live:
        target = rng.choice(live)
        return {
            **fields(rng, n, "response", party),
            "responds_to": target.id,
            "position": rng.choice(["accept", "reject", "partial", "counter", "noncommittal"]),
        }
    withdrawable = [r for r in live if r.type in ("demand", "proposal", "sanction_warning")]
    if choice < 0.33 and withdrawable:
        target = rng.choice(withdrawable)
        return {**fields(rng, n, "withdrawal", target.party), "withdraws": target.id}
    kind = rng.choice(
        [
            "demand",
            "demand",
            "proposal",
            "sanction_warning",
            "statement",
            "meeting_scheduled",
            "meeting_held",
            "meeting_held",
            "concession",
        ]
    )
    return fields(rng, n, kind, party)


def random_history(tracker: Tracker, seed: int, steps: int) -> UUID:
    """A track written the ways the API writes: batches of one to nine statements (a
    batch may cross several checkpoints), corrections and retractions of any earlier
    statement (meetings and answers too)."""
    rng = random.Random(seed)
    app = tracker.app
    track_id = open_track(tracker, f"cp-{seed}-{uuid.uuid4().hex[:6]}")
    for n in range(steps):
        track = replayed(tracker, track_id)
        live = [r for r in track.statements.values() if not r.retracted]
        try:
            roll = rng.random()
            if roll < 0.12 and live:
                target = rng.choice(live)
                app.correct_statement(
                    track_id,
                    target.id,
                    {
                        "occurred_at": f"2022-0{1 + rng.randrange(3)}-{1 + rng.randrange(28):02d}",
                        "summary": f"corrected {n}",
                    },
                    "wrong date",
                    recorded_by="t",
                )
            elif roll < 0.22 and live:
                app.retract_statement(track_id, rng.choice(live).id, "in error", recorded_by="t")
            else:
                batch = [statement(rng, n * 10 + i, track) for i in range(rng.randint(1, 9))]
                app.record_statements(track_id, batch, recorded_by="t")
        except errors.TrackerError:
            pass  # e.g. a second withdrawal of the same statement: refused, nothing recorded
    project(tracker)
    return track_id


def state_of(track: TrackView) -> dict[str, Any]:
    return views.track_state(track, None)


def delete_rows(tracker: Tracker, originator_id: UUID, version: int) -> None:
    """Remove stored snapshot-store rows behind the application's back (a lost write)."""
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            conn.execute(
                "DELETE FROM stored_snapshots WHERE originator_id IN (?, ?)"
                " AND originator_version = ?",
                (originator_id.hex, str(originator_id), version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        conn.execute(
            f'DELETE FROM "{tracker.stores.config.pg_schema}".ntrack_snapshots'
            " WHERE originator_id = %s AND originator_version = %s",
            (originator_id, version),
        )


def edit_row(tracker: Tracker, originator_id: UUID, version: int, edit: Any) -> None:
    """Rewrite a snapshot-store row's state behind the application's back."""
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            where = "WHERE originator_id IN (?, ?) AND originator_version = ?"
            key = (originator_id.hex, str(originator_id), version)
            (state,) = conn.execute(f"SELECT state FROM stored_snapshots {where}", key).fetchone()
            conn.execute(
                f"UPDATE stored_snapshots SET state = ? {where}", (edit(bytes(state)), *key)
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    table = f'"{tracker.stores.config.pg_schema}".ntrack_snapshots'
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        where = "WHERE originator_id = %s AND originator_version = %s"
        (state,) = conn.execute(
            f"SELECT state FROM {table} {where}", (originator_id, version)
        ).fetchone()
        conn.execute(
            f"UPDATE {table} SET state = %s {where}", (edit(bytes(state)), originator_id, version)
        )


def replacing(old: bytes, new: bytes) -> Any:
    def edit(state: bytes) -> bytes:
        assert old in state
        return state.replace(old, new)

    return edit


def copy_row(tracker: Tracker, originator_id: UUID, version: int, to_version: int) -> None:
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            conn.execute(
                "INSERT INTO stored_snapshots SELECT originator_id, ?, topic, state"
                " FROM stored_snapshots WHERE originator_id IN (?, ?)"
                " AND originator_version = ?",
                (to_version, originator_id.hex, str(originator_id), version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    table = f'"{tracker.stores.config.pg_schema}".ntrack_snapshots'
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        conn.execute(
            f"INSERT INTO {table} SELECT originator_id, %s, topic, state FROM {table}"
            " WHERE originator_id = %s AND originator_version = %s",
            (to_version, originator_id, version),
        )


def a_checkpointed_track(tracker: Tracker) -> tuple[UUID, str, int]:
    """A track with checkpoints at 4, 8 and 12; the statement recorded at version 10."""
    app = tracker.app
    track_id = open_track(tracker, f"verify-{uuid.uuid4().hex[:6]}")
    # one demand (in view, so in the checkpoint itself), the rest plain statements
    ids = app.record_statements(
        track_id,
        [
            {
                **fields(random.Random(n), n, "demand" if n == 9 else "statement", "Russia"),
                "summary": f"statement number {n}",
            }
            for n in range(11)
        ],
        recorded_by="t",
    ).targets
    project(tracker)
    return track_id, ids[8], 12


def bucket_holding(tracker: Tracker, track_id: UUID, statement_id: str, version: int) -> UUID:
    """The bucket stream that the checkpoint at `version` puts the statement in."""
    newest = latest_checkpoint(tracker.app, track_id, version)
    assert newest is not None and newest.originator_version == version
    return checkpoints.bucket_stream(
        track_id, newest.buckets, checkpoints.bucket_of(statement_id, newest.buckets)
    )
