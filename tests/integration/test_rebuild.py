"""Rebuilding the read model from the log gives what incremental projection gave, and
`check` finds a live row that disagrees with the log."""

from __future__ import annotations

import threading
import uuid

from infra.readmodel import TABLES
from services import rebuild
from services.bootstrap import Tracker
from services.projector import PROJECTION, Projector

PARTIES = ["Russia", "United States"]


def record_some_history(tracker: Tracker) -> uuid.UUID:
    app = tracker.app
    track_id = app.open_track(
        slug=f"rebuild-{uuid.uuid4().hex[:8]}", kind="nato", title="NATO-Russia Council",
        venue="Brussels", parties=PARTIES, opened_at="2022-01-12",
        recorded_by="tester").track.id
    ids = app.record_statements(track_id, [
        {"type": "demand", "party": "Russia", "occurred_at": "2021-12-17",
         "summary": "No enlargement", "topics": ["enlargement"], "red_line": True},
        {"type": "sanction_warning", "party": "United States", "occurred_at": "2022-01-10",
         "summary": "Severe costs", "target": "Russia"},
        {"type": "meeting_scheduled", "party": "United States", "occurred_at": "2022-01-05",
         "summary": "Geneva talks", "meeting_at": "2022-01-10", "location": "Geneva"},
    ], recorded_by="tester").targets
    app.record_statements(track_id, [
        {"type": "response", "party": "United States", "occurred_at": "2022-01-26",
         "summary": "Open door stays", "responds_to": ids[0], "position": "reject"}],
        recorded_by="tester")
    app.correct_statement(track_id, ids[1], {"summary": "Massive costs"}, "transcript",
                          recorded_by="tester")
    app.retract_statement(track_id, ids[2], "duplicate", recorded_by="tester")
    return track_id


def project_live(tracker: Tracker, batch: int) -> None:
    # Small batches, so the incremental model is built in several steps, not one.
    projector = Projector(tracker.app, tracker.read_model)
    while projector.catch_up_once(limit=batch):
        pass


def dump(tracker: Tracker) -> dict[str, list[tuple]]:
    with tracker.read_model.transaction() as tx:
        return {table: sorted(tx.execute(f"SELECT * FROM {table}").fetchall())
                for table in (*TABLES, "rm_tracking")}


def test_a_rebuild_gives_the_same_rows_as_incremental_projection(tracker: Tracker) -> None:
    record_some_history(tracker)
    project_live(tracker, batch=2)
    record_some_history(tracker)
    project_live(tracker, batch=3)
    incremental = dump(tracker)
    seen: list[tuple[int, int]] = []

    result = rebuild.rebuild(tracker, progress=lambda done, total: seen.append((done, total)))

    assert dump(tracker) == incremental
    assert result["position"] == tracker.app.max_position()
    assert seen and seen[-1] == (result["position"], result["position"])


def test_a_rebuild_can_run_twice_and_the_projector_continues_after_it(
        tracker: Tracker) -> None:
    record_some_history(tracker)
    rebuild.rebuild(tracker)
    rebuild.rebuild(tracker)  # index and constraint names left by the first swap don't clash
    track_id = record_some_history(tracker)

    project_live(tracker, batch=500)

    assert tracker.read_model.position(PROJECTION) == tracker.app.max_position()
    assert tracker.read_model.get_track(str(track_id))["statement_count"] == 3
    assert rebuild.check(tracker) == []


def test_check_reports_nothing_on_a_good_model(tracker: Tracker) -> None:
    record_some_history(tracker)
    project_live(tracker, batch=2)
    record_some_history(tracker)  # not projected yet: check catches the live model up first

    assert rebuild.check(tracker) == []
    assert tracker.read_model.position(PROJECTION) == tracker.app.max_position()
    with tracker.read_model.transaction() as tx:  # the scratch tables are gone again
        tx.execute("CREATE TABLE rmc_tracks (x INTEGER)")
        tx.execute("DROP TABLE rmc_tracks")


def test_check_reports_a_corrupted_live_row(tracker: Tracker) -> None:
    track_id = record_some_history(tracker)
    project_live(tracker, batch=500)
    with tracker.read_model.transaction() as tx:
        tx.execute("UPDATE rm_tracks SET status = 'concluded' WHERE id = ?", (str(track_id),))
        tx.execute("DELETE FROM rm_statement_topics")

    differences = rebuild.check(tracker)

    assert {"table": "rm_tracks", "key": {"id": str(track_id)}, "problem": "differs",
            "column": "status", "live": "concluded", "rebuilt": "active"} in differences
    missing = differences[-1]
    assert missing["table"] == "rm_statement_topics"
    assert missing["problem"] == "missing from the live model"
    assert missing["key"]["topic"] == "enlargement"
    assert len(differences) == 2


def test_a_rebuild_under_live_writes_and_a_running_projector_loses_nothing(
        tracker: Tracker) -> None:
    tracker.start_projector()
    track_id = record_some_history(tracker)
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            tracker.app.record_statements(track_id, [
                {"type": "statement", "party": "Russia", "occurred_at": "2022-01-20",
                 "summary": "more", "topics": ["security"]}], recorded_by="writer")
            tracker.after_write()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        rebuild.rebuild(tracker)
        rebuild.rebuild(tracker)
    finally:
        stop.set()
        writer.join()
    end = tracker.app.max_position()

    assert tracker.read_model.wait_for(PROJECTION, end, timeout=10) == end
    assert rebuild.check(tracker) == []
    state = tracker.read_model.get_track(str(track_id))
    assert state["version"] == tracker.app.get_track(track_id).version
