"""Audit reads straight from the event store: history, as-of, the feed and the export."""

from __future__ import annotations

import io
import itertools
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from domain import errors
from services import audit
from services.bootstrap import Tracker

PARTIES = ["Russia", "United States"]


def open_track(tracker: Tracker, prefix: str = "audit") -> uuid.UUID:
    result = tracker.app.open_track(
        slug=f"{prefix}-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title="Strategic stability",
        venue="Geneva",
        parties=PARTIES,
        opened_at="2021-12-01",
        recorded_by="tester",
    )
    return result.track.id


def demand(summary: str, occurred_at: str = "2021-12-17") -> dict:
    return {"type": "demand", "party": "Russia", "occurred_at": occurred_at, "summary": summary}


def test_history_lists_corrections_and_retractions_as_events_of_their_own(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    first = tracker.app.record_statements(
        track_id,
        [demand("No NATO enlargement"), demand("No missiles in Europe")],
        recorded_by="alice",
    )
    kept, dropped = first.targets
    tracker.app.correct_statement(
        track_id,
        kept,
        {"summary": "No further NATO enlargement"},
        "wording per transcript",
        recorded_by="bob",
    )
    tracker.app.retract_statement(track_id, dropped, "misattributed", recorded_by="carol")

    page = audit.history(tracker.app, track_id)

    items = page["items"]
    assert [i["type"] for i in items] == [
        "TrackOpened",
        "DemandMade",
        "DemandMade",
        "StatementCorrected",
        "StatementRetracted",
    ]
    assert [i["version"] for i in items] == [1, 2, 3, 4, 5]
    assert [i["recorded_by"] for i in items] == ["tester", "alice", "alice", "bob", "carol"]
    assert items[1]["data"]["statement"]["summary"] == "No NATO enlargement"  # original kept
    assert items[3]["data"]["changes"] == {"summary": "No further NATO enlargement"}
    assert items[3]["data"]["reason"] == "wording per transcript"
    assert items[4]["data"] == {
        **items[4]["data"],
        "statement_id": dropped,
        "reason": "misattributed",
    }
    assert items[0]["prev_hash"] == "0" * 64
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(items))
    assert all("hash" not in i["data"] and "timestamp" not in i["data"] for i in items)
    assert page["next_after_version"] is None
    json.dumps(page)  # JSON-ready as it is


def test_history_pages_by_version(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    tracker.app.record_statements(
        track_id, [demand(f"d{n}") for n in range(4)], recorded_by="tester"
    )

    first = audit.history(tracker.app, track_id, limit=2)
    second = audit.history(
        tracker.app, track_id, after_version=first["next_after_version"], limit=2
    )
    last = audit.history(tracker.app, track_id, after_version=4, limit=2)

    assert [i["version"] for i in first["items"]] == [1, 2]
    assert [i["version"] for i in second["items"]] == [3, 4]
    assert [i["version"] for i in last["items"]] == [5]
    assert last["next_after_version"] is None
    assert audit.history(tracker.app, track_id, after_version=9)["items"] == []


def test_history_of_an_unknown_track_is_track_not_found(tracker: Tracker) -> None:
    with pytest.raises(errors.TrackNotFound):
        audit.history(tracker.app, uuid.uuid4())
    with pytest.raises(errors.TrackNotFound):
        audit.history(tracker.app, uuid.uuid4(), after_version=3)


def test_as_of_a_version_shows_the_track_as_it_stood_then(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    result = tracker.app.record_statements(
        track_id, [demand("No NATO enlargement")], recorded_by="tester"
    )
    tracker.app.retract_statement(track_id, result.targets[0], "wrong", recorded_by="tester")

    before = audit.as_of(tracker.app, track_id, version=2)
    after = audit.as_of(tracker.app, track_id, version=3)
    now = audit.as_of(tracker.app, track_id)

    assert before["version"] == 2 and before["statement_count"] == 1
    assert [d["summary"] for d in before["open_demands"]] == ["No NATO enlargement"]
    assert after["statement_count"] == 0 and after["open_demands"] == []
    assert now["as_of"]["version"] == 3 and now == after
    assert before["position"] is None
    assert before["as_of"] == {"version": 2, "recorded_at": before["last_activity_at"]}


def test_as_of_an_instant_finds_the_last_version_recorded_by_then(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    for n in range(5):
        tracker.app.record_statements(track_id, [demand(f"demand {n}")], recorded_by="tester")
        time.sleep(0.002)  # distinct timestamps
    items = audit.history(tracker.app, track_id)["items"]
    instants = [datetime.fromisoformat(i["recorded_at"]) for i in items]

    for version, instant in enumerate(instants, start=1):
        exact = audit.as_of(tracker.app, track_id, recorded_at=instant)
        between = audit.as_of(
            tracker.app, track_id, recorded_at=(instant + timedelta(microseconds=1)).isoformat()
        )
        assert exact["as_of"]["version"] == version
        assert between["as_of"]["version"] == version
        assert exact["statement_count"] == version - 1
    later = audit.as_of(tracker.app, track_id, recorded_at=datetime.now(UTC) + timedelta(days=1))
    assert later["as_of"]["version"] == 6


def test_as_of_past_the_end_or_before_the_opening_is_not_recorded_yet(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    opened = datetime.fromisoformat(audit.history(tracker.app, track_id)["items"][0]["recorded_at"])

    for version in (0, -1, 2):
        with pytest.raises(audit.NotRecordedYet):
            audit.as_of(tracker.app, track_id, version=version)
    with pytest.raises(audit.NotRecordedYet):
        audit.as_of(tracker.app, track_id, recorded_at=opened - timedelta(microseconds=1))
    with pytest.raises(errors.TrackNotFound):
        audit.as_of(tracker.app, uuid.uuid4(), version=1)
    with pytest.raises(errors.RuleViolation):
        audit.as_of(tracker.app, track_id, recorded_at="2022-01-01T10:00:00")  # no offset


def test_replay_gives_the_timeline_as_it_stood(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    result = tracker.app.record_statements(
        track_id,
        [demand("later", "2021-12-20"), demand("earlier", "2021-12-10")],
        recorded_by="tester",
    )
    tracker.app.correct_statement(
        track_id, result.targets[0], {"summary": "later, corrected"}, "typo", recorded_by="tester"
    )

    then = audit.replay(tracker.app, track_id, version=3)
    now = audit.replay(tracker.app, track_id)

    assert [s["summary"] for s in then["statements"]] == ["earlier", "later"]
    assert [s["summary"] for s in now["statements"]] == ["earlier", "later, corrected"]
    assert now["state"]["as_of"]["version"] == 4


def test_world_replay_gives_the_state_of_world_on_and_the_statements_of_that_date(
    tracker: Tracker,
) -> None:
    track_id = open_track(tracker)
    result = tracker.app.record_statements(
        track_id,
        [demand("early", "2021-12-10"), demand("late", "2021-12-20")],
        recorded_by="tester",
    )
    early = result.targets[0]
    answer = {
        "type": "response",
        "party": "United States",
        "occurred_at": "2021-12-15",
        "summary": "no",
        "responds_to": early,
        "position": "reject",
    }
    tracker.app.record_statements(track_id, [answer], recorded_by="tester")

    on = audit.world_replay(tracker.app, track_id, "2021-12-12")
    assert on["state"] == audit.world_on(tracker.app, track_id, "2021-12-12")
    assert [(s["summary"], s["status"]) for s in on["statements"]] == [("early", "open")]
    later = audit.world_replay(tracker.app, track_id, "2021-12-31", version=3)
    assert [s["summary"] for s in later["statements"]] == ["early", "late"]
    assert later["state"]["as_of"]["version"] == 3


def test_the_feed_lists_every_track_in_commit_order(tracker: Tracker) -> None:
    start = tracker.app.max_position()
    a, b = open_track(tracker, "feed-a"), open_track(tracker, "feed-b")
    tracker.app.record_statements(a, [demand("a1")], recorded_by="tester")
    tracker.app.record_statements(b, [demand("b1")], recorded_by="tester")

    page = audit.events_feed(tracker.app, after=start, limit=3)
    rest = audit.events_feed(tracker.app, after=page["next_after"], limit=3)

    items = page["items"] + rest["items"]
    assert [(i["track_id"], i["version"], i["type"]) for i in items] == [
        (str(a), 1, "TrackOpened"),
        (str(b), 1, "TrackOpened"),
        (str(a), 2, "DemandMade"),
        (str(b), 2, "DemandMade"),
    ]
    positions = [i["position"] for i in items]
    assert positions == sorted(positions) and positions[0] > start
    assert page["next_after"] == positions[2] and rest["next_after"] is None
    assert items[2]["data"]["statement"]["summary"] == "a1"
    json.dumps(page)


def test_export_writes_one_json_line_per_event(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    tracker.app.record_statements(track_id, [demand("d1"), demand("d2")], recorded_by="tester")
    out = io.StringIO()

    count = audit.export_jsonl(tracker.app, track_id, out)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == 3 and len(lines) == 3
    assert lines == audit.history(tracker.app, track_id)["items"]
    assert set(lines[0]) == {
        "version",
        "type",
        "recorded_at",
        "recorded_by",
        "data",
        "hash",
        "prev_hash",
    }


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+01:00", "0001-01-01"])
def test_as_of_an_instant_at_the_start_of_the_calendar_is_not_recorded_yet(
    tracker: Tracker, instant: str
) -> None:
    track_id = open_track(tracker)

    with pytest.raises(audit.NotRecordedYet):
        audit.as_of(tracker.app, track_id, recorded_at=instant)


def test_as_of_an_instant_at_the_end_of_the_calendar_is_the_current_state(tracker: Tracker) -> None:
    track_id = open_track(tracker)

    state = audit.as_of(tracker.app, track_id, recorded_at="9999-12-31T23:59:59-01:00")

    assert state["as_of"]["version"] == 1


def test_as_of_a_malformed_instant_is_a_rule_violation(tracker: Tracker) -> None:
    track_id = open_track(tracker)

    for bad in ("yesterday", "2022-13-01", "2022-01-10T10:00:00"):
        with pytest.raises(errors.RuleViolation):
            audit.as_of(tracker.app, track_id, recorded_at=bad)
