"""Rebuilding the read model from the log gives what incremental projection gave, and
`check` finds a live row that disagrees with the log."""

from __future__ import annotations

import threading
import uuid

import pytest

from infra.readmodel import TABLES
from services.bootstrap import Tracker
from services.projections import rebuild
from services.projections import rebuild_in_memory as rebuild_fold
from services.projections.projector import PROJECTION, Projector

PARTIES = ["Russia", "United States"]


def record_some_history(tracker: Tracker) -> uuid.UUID:
    app = tracker.app
    track_id = app.open_track(
        slug=f"rebuild-{uuid.uuid4().hex[:8]}",
        kind="nato",
        title="NATO-Russia Council",
        venue="Brussels",
        parties=PARTIES,
        opened_at="2022-01-12",
        recorded_by="tester",
    ).track.id
    ids = app.record_statements(
        track_id,
        [
            {
                "type": "demand",
                "party": "Russia",
                "occurred_at": "2021-12-17",
                "summary": "No enlargement",
                "topics": ["enlargement"],
                "red_line": True,
            },
            {
                "type": "sanction_warning",
                "party": "United States",
                "occurred_at": "2022-01-10",
                "summary": "Severe costs",
                "target": "Russia",
            },
            {
                "type": "meeting_scheduled",
                "party": "United States",
                "occurred_at": "2022-01-05",
                "summary": "Geneva talks",
                "meeting_at": "2022-01-10",
                "location": "Geneva",
            },
        ],
        recorded_by="tester",
    ).targets
    app.record_statements(
        track_id,
        [
            {
                "type": "response",
                "party": "United States",
                "occurred_at": "2022-01-26",
                "summary": "Open door stays",
                "responds_to": ids[0],
                "position": "reject",
            }
        ],
        recorded_by="tester",
    )
    app.correct_statement(
        track_id, ids[1], {"summary": "Massive costs"}, "transcript", recorded_by="tester"
    )
    app.retract_statement(track_id, ids[2], "duplicate", recorded_by="tester")
    return track_id


def _say(party: str, day: int, kind: str = "statement", **fields: object) -> dict:
    return {
        "type": kind,
        "party": party,
        "occurred_at": f"2022-02-{day:02d}",
        "summary": f"{kind} {day}",
        **fields,
    }


def record_interleaved_history(tracker: Tracker) -> None:
    """Three tracks written in turns, with every kind of event a view depends on: responses
    (one corrected to another day), a withdrawal retracted again, a retraction, a party
    added and its statement, status changes, meetings; one track crosses a snapshot."""
    app = tracker.app
    a, b, c = (
        app.open_track(
            slug=f"fold-{name}-{uuid.uuid4().hex[:6]}",
            kind="bilateral",
            title=f"Track {name}",
            venue=None,
            parties=PARTIES,
            opened_at="2022-02-01",
            recorded_by="tester",
        ).track.id
        for name in "abc"
    )
    demand, proposal, warning = app.record_statements(
        a,
        [
            _say("Russia", 1, "demand", topics=["enlargement", "troops"], red_line=True),
            _say("United States", 2, "proposal", topics=["arms-control"]),
            _say("United States", 3, "sanction_warning", target="Russia"),
        ],
        recorded_by="tester",
    ).targets
    meeting, said = app.record_statements(
        b,
        [
            _say("Russia", 4, "meeting_scheduled", meeting_at="2022-03-01", location="Geneva"),
            _say("United States", 5, topics=["security"]),
        ],
        recorded_by="tester",
    ).targets
    answer = app.record_statements(
        a,
        [
            _say("United States", 6, "response", responds_to=demand, position="reject"),
            _say("Russia", 7, "response", responds_to=proposal, position="accept"),
        ],
        recorded_by="tester",
    ).targets[0]
    app.record_statements(
        c,
        [  # text COPY must escape, and a topic given twice
            _say("Russia", 8, "warning", category="military"),
            _say(
                "Russia",
                8,
                summary='back\\slash, "quotes",\ttab,\nnew line, \\N, Мир',
                topics=["twice", "twice"],
            ),
        ],
        recorded_by="tester",
    )
    app.correct_statement(
        a,
        answer,
        {"occurred_at": "2022-02-20", "topics": ["nato"]},
        "wrong day",
        recorded_by="tester",
    )
    withdrawal = app.record_statements(
        a, [_say("United States", 9, "withdrawal", withdraws=proposal)], recorded_by="tester"
    ).targets[0]
    app.retract_statement(b, said, "never said", recorded_by="tester")
    app.retract_statement(a, withdrawal, "still on the table", recorded_by="tester")
    app.record_statements(
        a, [_say("United States", 10, "withdrawal", withdraws=warning)], recorded_by="tester"
    )
    app.add_party(b, "France", recorded_by="tester")
    app.record_statements(
        b,
        [
            _say("France", 11, "meeting_held", location="Geneva"),
            _say("France", 12, "concession", responds_to=meeting),
        ],
        recorded_by="tester",
    )
    app.change_status(c, "suspended", reason="talks paused", occurred_at=None, recorded_by="tester")
    app.change_status(c, "active", reason=None, occurred_at="2022-02-14", recorded_by="tester")
    for day in range(1, 4):  # past the snapshot every 100 events, interleaved with track b
        app.record_statements(
            a, [_say("Russia", day, topics=["x"]) for _ in range(45)], recorded_by="tester"
        )
        app.record_statements(b, [_say("France", day)], recorded_by="tester")
    app.change_status(b, "concluded", reason="agreed", occurred_at=None, recorded_by="tester")


def project_live(tracker: Tracker, batch: int, cache_size: int = 64) -> None:
    # Small batches, so the incremental model is built in several steps, not one.
    projector = Projector(tracker.app, tracker.read_model, cache_size=cache_size)
    while projector.catch_up_once(limit=batch):
        pass


def dump(tracker: Tracker) -> dict[str, list[tuple]]:
    with tracker.read_model.transaction() as tx:
        return {
            table: sorted(tx.execute(f"SELECT * FROM {table}").fetchall())
            for table in (*TABLES, "rm_tracking")
        }


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


def test_a_rebuild_can_run_twice_and_the_projector_continues_after_it(tracker: Tracker) -> None:
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

    assert {
        "table": "rm_tracks",
        "key": {"id": str(track_id)},
        "problem": "differs",
        "column": "status",
        "live": "concluded",
        "rebuilt": "active",
    } in differences
    missing = differences[-1]
    assert missing["table"] == "rm_statement_topics"
    assert missing["problem"] == "missing from the live model"
    assert missing["key"]["topic"] == "enlargement"
    assert len(differences) == 2


def test_a_rebuild_under_live_writes_and_a_running_projector_loses_nothing(
    tracker: Tracker,
) -> None:
    tracker.start_projector()
    track_id = record_some_history(tracker)
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            tracker.app.record_statements(
                track_id,
                [
                    {
                        "type": "statement",
                        "party": "Russia",
                        "occurred_at": "2022-01-20",
                        "summary": "more",
                        "topics": ["security"],
                    }
                ],
                recorded_by="writer",
            )
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


@pytest.mark.parametrize("page", [3, 5000], ids=["read-in-pages-of-3", "read-in-one-page"])
def test_the_fold_writes_the_rows_the_live_projector_wrote_on_interleaved_tracks(
    tracker: Tracker, page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In pages of 3 events, tracks and their references span many pages of the log.
    monkeypatch.setattr(rebuild_fold, "PAGE", page)
    record_interleaved_history(tracker)
    # A cache of one track: the live projector loads tracks back from the store (snapshots).
    project_live(tracker, batch=4, cache_size=1)
    live = dump(tracker)

    result = rebuild.rebuild(tracker)

    assert dump(tracker) == live
    assert result == {
        "events_applied": tracker.app.max_position(),
        "position": tracker.app.max_position(),
    }
    assert rebuild.check(tracker) == []


def test_a_rebuild_of_an_empty_log_leaves_an_empty_model(tracker: Tracker) -> None:
    seen: list[tuple[int, int]] = []

    result = rebuild.rebuild(tracker, progress=lambda done, total: seen.append((done, total)))

    assert result == {"events_applied": 0, "position": 0}
    assert dump(tracker) == {table: [] for table in (*TABLES, "rm_tracking")}
    assert seen == [(0, 0)]
    assert rebuild.check(tracker) == []


def _keys_and_indexes(tracker: Tracker) -> list[tuple]:
    with tracker.read_model.transaction() as tx:
        if tracker.stores.config.kind == "postgres":
            return sorted(
                tx.execute(
                    "SELECT t.relname, i.relname, pg_get_indexdef(i.oid), c.contype"
                    " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                    " JOIN pg_class t ON t.oid = x.indrelid"
                    " LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid"
                    " WHERE t.relnamespace = current_schema()::regnamespace"
                ).fetchall()
            )
        # (SQLite quotes a renamed table's name in its indexes' SQL: not a difference.)
        return sorted(
            tx.execute(
                "SELECT tbl_name, name, replace(sql, '\"', '')"
                " FROM sqlite_master WHERE type = 'index'"
                " AND sql IS NOT NULL"
            ).fetchall()
        )


def test_a_rebuild_leaves_the_tables_with_their_keys_and_indexes(tracker: Tracker) -> None:
    record_some_history(tracker)
    project_live(tracker, batch=500)
    before = [row for row in _keys_and_indexes(tracker) if row[0].startswith("rm_")]

    rebuild.rebuild(tracker)

    after = [row for row in _keys_and_indexes(tracker) if row[0].startswith("rm_")]
    assert after == before
    assert len(before) >= 2  # the timeline and topic indexes, and on PostgreSQL the keys
