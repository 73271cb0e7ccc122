"""A row edited in the database behind the application's back shows up in `verify` with its
version, whatever was done to it; `verify` itself never fails on a damaged row."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable

import psycopg
import pytest

from domain.hashchain import chain_hash, event_content
from services import audit
from services.bootstrap import Tracker
from tests.conftest import snapshot_versions

PARTIES = ["Russia", "United States"]


def open_track_with_statements(tracker: Tracker, n: int = 4) -> uuid.UUID:
    track_id = tracker.app.open_track(
        slug=f"tamper-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title="Geneva",
        venue=None,
        parties=PARTIES,
        opened_at="2021-12-01",
        recorded_by="tester",
    ).track.id
    tracker.app.record_statements(
        track_id,
        [
            {
                "type": "demand",
                "party": "Russia",
                "occurred_at": "2021-12-17",
                "summary": f"demand number {i}",
            }
            for i in range(n)
        ],
        recorded_by="tester",
    )
    return track_id


def _sqlite_id(conn: sqlite3.Connection, track_id: uuid.UUID) -> str:
    # The SQLite recorder stores the UUID as TEXT; find which spelling it used.
    (stored,) = conn.execute(
        "SELECT DISTINCT originator_id FROM stored_events WHERE originator_id IN (?, ?)",
        (track_id.hex, str(track_id)),
    ).fetchone()
    return stored


def edit_stored_state(
    tracker: Tracker,
    track_id: uuid.UUID,
    version: int,
    edit: Callable[[bytes], bytes],
    rows: str = "events",
) -> None:
    """Rewrite one stored event's (or, rows="snapshots", snapshot's) state directly in the
    event store."""
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            stored_id = _sqlite_id(conn, track_id)
            (state,) = conn.execute(
                f"SELECT state FROM stored_{rows} WHERE originator_id=? AND originator_version=?",
                (stored_id, version),
            ).fetchone()
            conn.execute(
                f"UPDATE stored_{rows} SET state=? WHERE originator_id=? AND originator_version=?",
                (edit(bytes(state)), stored_id, version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    table = f'"{tracker.stores.config.pg_schema}".ntrack_{rows}'  # originator_id is a uuid there
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        (state,) = conn.execute(
            f"SELECT state FROM {table} WHERE originator_id=%s AND originator_version=%s",
            (track_id, version),
        ).fetchone()
        conn.execute(
            f"UPDATE {table} SET state=%s WHERE originator_id=%s AND originator_version=%s",
            (edit(bytes(state)), track_id, version),
        )


def change_text(state: bytes) -> bytes:
    assert b"demand number 1" in state
    return state.replace(b"demand number 1", b"demand number 7")


def flip_a_byte(state: bytes) -> bytes:
    middle = len(state) // 2
    return state[:middle] + bytes([state[middle] ^ 0x01]) + state[middle + 1 :]


def garbage(state: bytes) -> bytes:
    return b"\x00\xff this is not an event \xfe"


@pytest.mark.parametrize("edit", [change_text, flip_a_byte, garbage])
def test_verify_reports_an_edited_row_at_its_version(tracker: Tracker, edit) -> None:
    tampered = open_track_with_statements(tracker)
    untouched = open_track_with_statements(tracker)
    assert audit.verify(tracker.app, tampered)["valid"] is True
    good_head = audit.verify(tracker.app, tampered)["head_hash"]

    edit_stored_state(tracker, tampered, 3, edit)  # version 3 = "demand number 1"
    report = audit.verify(tracker.app, tampered)

    assert report["valid"] is False
    assert report["first_invalid_version"] == 3
    assert report["events_checked"] == 5
    assert report["head_hash"] != good_head  # the last trustworthy hash is that of version 2
    assert report["head_hash"] == audit.history(tracker.app, tampered)["items"][1]["hash"]
    assert audit.verify(tracker.app, untouched) == {
        "valid": True,
        "events_checked": 5,
        "first_invalid_version": None,
        "head_hash": audit.history(tracker.app, untouched)["items"][-1]["hash"],
        "snapshots_checked": 0,
        "invalid_snapshots": [],
        "checkpoints_checked": 0,
        "invalid_checkpoints": [],
    }


@pytest.mark.parametrize("edit", [change_text, garbage])
def test_verify_all_names_the_broken_track_only(tracker: Tracker, edit) -> None:
    tampered = open_track_with_statements(tracker)
    untouched = open_track_with_statements(tracker)
    edit_stored_state(tracker, tampered, 3, edit)

    report = audit.verify_all(tracker.app)

    by_track = {item["track_id"]: item for item in report["items"]}
    assert report["valid"] is False and report["tracks_checked"] == 2
    assert report["events_checked"] == 10
    assert by_track[str(tampered)]["first_invalid_version"] == 3
    assert by_track[str(untouched)]["valid"] is True
    assert by_track[str(untouched)]["slug"].startswith("tamper-")


def test_rewriting_a_row_with_a_fresh_hash_breaks_the_link_to_the_next(tracker: Tracker) -> None:
    track_id = open_track_with_statements(tracker)
    event = tracker.app.mapper.to_domain_event(
        tracker.app.recorder.select_events(track_id, gt=2, lte=3)[0]
    )

    def forge(state: bytes) -> bytes:
        # A careful forger also recomputes this row's hash; the next row still points at
        # the old one.
        fields = tracker.app.mapper.transcoder.decode(change_text(state))
        content = event_content(type(event).__name__, track_id, 3, event.timestamp, fields)
        fields["hash"] = chain_hash(fields["prev_hash"], content)
        return tracker.app.mapper.transcoder.encode(fields)

    edit_stored_state(tracker, track_id, 3, forge)
    report = audit.verify(tracker.app, track_id)

    assert report["valid"] is False and report["first_invalid_version"] == 4


def test_history_shows_an_undecodable_row_instead_of_failing(tracker: Tracker) -> None:
    track_id = open_track_with_statements(tracker)
    edit_stored_state(tracker, track_id, 2, garbage)

    items = audit.history(tracker.app, track_id)["items"]

    assert items[1]["version"] == 2 and items[1]["type"] == "DemandMade"
    assert items[1]["data"] is None and "undecodable" in items[1]["error"]
    assert items[2]["data"]["statement"]["summary"] == "demand number 1"


def delete_stored_row(tracker: Tracker, track_id: uuid.UUID, version: int) -> None:
    if tracker.stores.config.kind == "sqlite":
        assert tracker.stores.config.sqlite_path is not None
        with sqlite3.connect(tracker.stores.config.sqlite_path) as conn:
            conn.execute(
                "DELETE FROM stored_events WHERE originator_id=? AND originator_version=?",
                (_sqlite_id(conn, track_id), version),
            )
        return
    assert tracker.stores.config.pg_conninfo is not None
    with psycopg.connect(**tracker.stores.config.pg_conninfo, autocommit=True) as conn:
        conn.execute(
            f'DELETE FROM "{tracker.stores.config.pg_schema}".ntrack_events'
            " WHERE originator_id=%s AND originator_version=%s",
            (track_id, version),
        )


def test_a_deleted_row_shows_up_as_a_gap_at_its_version(tracker: Tracker) -> None:
    track_id = open_track_with_statements(tracker)
    delete_stored_row(tracker, track_id, 3)

    report = audit.verify(tracker.app, track_id)

    assert report["valid"] is False
    assert report["first_invalid_version"] == 3
    assert report["events_checked"] == 4


def test_verify_reads_in_pages_and_still_finds_the_edited_row(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "PAGE_SIZE", 2)
    track_id = open_track_with_statements(tracker, n=6)
    edit_stored_state(tracker, track_id, 6, lambda s: s.replace(b"number 4", b"number 9"))

    single = audit.verify(tracker.app, track_id)
    everything = audit.verify_all(tracker.app)

    assert single["events_checked"] == 7 and single["first_invalid_version"] == 6
    assert everything["items"][0]["first_invalid_version"] == 6
    assert everything["events_checked"] == 7


# -- snapshots ----------------------------------------------------------------------------------


@pytest.fixture
def snapshot_interval() -> int:  # for `snappy` (tests/conftest.py)
    return 3


def _one_by_one(tracker: Tracker, n: int) -> uuid.UUID:
    track_id = tracker.app.open_track(
        slug=f"snap-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title="Geneva",
        venue=None,
        parties=PARTIES,
        opened_at="2021-12-01",
        recorded_by="tester",
    ).track.id
    for i in range(n):
        tracker.app.record_statements(
            track_id,
            [
                {
                    "type": "demand",
                    "party": "Russia",
                    "occurred_at": "2021-12-17",
                    "summary": f"demand number {i}",
                }
            ],
            recorded_by="tester",
        )
    return track_id


def test_verify_checks_every_snapshot_against_the_events(snappy: Tracker) -> None:
    track_id = _one_by_one(snappy, 8)  # versions 2..9; snapshots at 3, 6, 9
    assert snapshot_versions(snappy, track_id) == [3, 6, 9]

    report = audit.verify(snappy.app, track_id)

    assert report["valid"] is True
    assert report["snapshots_checked"] == 3
    assert report["invalid_snapshots"] == []


def retract_a_snapshotted_statement(state: bytes) -> bytes:
    """Snapshots hold the track's index of statements, not their texts: mark one retracted."""
    assert b'["demand","Russia",false' in state
    return state.replace(b'["demand","Russia",false', b'["demand","Russia",true', 1)


@pytest.mark.parametrize("edit", [retract_a_snapshotted_statement, flip_a_byte, garbage])
def test_an_edited_snapshot_is_reported_while_the_chain_stays_valid(snappy: Tracker, edit) -> None:
    track_id = _one_by_one(snappy, 8)

    edit_stored_state(snappy, track_id, 6, edit, rows="snapshots")
    report = audit.verify(snappy.app, track_id)
    everything = audit.verify_all(snappy.app)

    assert report["first_invalid_version"] is None  # the events are untouched
    assert report["invalid_snapshots"] == [6]
    assert report["valid"] is False
    assert everything["valid"] is False
    assert [item["invalid_snapshots"] for item in everything["items"]] == [[6]]
