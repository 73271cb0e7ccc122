"""A statement that also concerns other tracks (`also_concerns`) shows in their timelines, marked
by its home track, and nowhere else but home; joint authors (`with_parties`) count for `party=`.
The same body runs on SQLite and PostgreSQL, live projector and rebuild alike.

Statements are recorded through the application, which stores whatever well-formed fields its
caller gives: the request schema's own checks of these fields are another part's."""

from __future__ import annotations

import uuid
from typing import Any

from domain.values import sort_key
from services.bootstrap import Tracker
from services.ports import TimelineCursor, TimelineFilter
from services.projections import rebuild
from services.projections.projector import Projector
from tests.integration.test_rebuild import dump

PARTIES = ["Russia", "United States", "NATO"]


def _open(tracker: Tracker, name: str) -> str:
    return str(
        tracker.app.open_track(
            slug=f"{name}-{uuid.uuid4().hex[:6]}",
            kind="multilateral",
            title=f"Track {name}",
            venue=None,
            parties=PARTIES,
            opened_at="2021-12-01",
            recorded_by="tester",
        ).track.id
    )


def _say(day: int, party: str = "Russia", kind: str = "statement", **fields: Any) -> dict:
    return {
        "type": kind,
        "party": party,
        "occurred_at": f"2022-01-{day:02d}",
        "summary": f"{party}: {kind} of day {day}",
        **fields,
    }


def _record(tracker: Tracker, track: str, *statements: dict) -> list[str]:
    result = tracker.app.record_statements(uuid.UUID(track), list(statements), recorded_by="tester")
    return result.targets


def _project(tracker: Tracker, batch: int = 500) -> None:
    projector = Projector(tracker.app, tracker.read_model)
    while projector.catch_up_once(limit=batch):
        pass


def _timeline(tracker: Tracker, track: str, **filters: Any) -> list[dict[str, Any]]:
    items, more = tracker.read_model.timeline(track, TimelineFilter(limit=500, **filters))
    assert not more
    return items


def _ids(tracker: Tracker, track: str, **filters: Any) -> list[str]:
    return [item["id"] for item in _timeline(tracker, track, **filters)]


def test_a_statement_shows_in_the_timeline_of_a_track_it_concerns_marked_by_its_home(
    tracker: Tracker,
) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (own,) = _record(tracker, b, _say(9, kind="demand"))
    (joint,) = _record(tracker, a, _say(10, kind="demand", also_concerns=[b]))
    _project(tracker)

    in_b = _timeline(tracker, b)
    assert [item["id"] for item in in_b] == [own, joint]
    assert [item["track_id"] for item in in_b] == [b, a]
    assert _ids(tracker, a) == [joint]
    assert tracker.read_model.get_statement(a, joint) is not None
    assert tracker.read_model.get_statement(b, joint) is None  # one statement: home only


def test_counts_and_boards_of_a_concerned_track_hold_only_its_own_statements(
    tracker: Tracker,
) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (own,) = _record(tracker, b, _say(9, kind="demand"))
    _record(tracker, a, _say(10, kind="demand", also_concerns=[b]))
    _project(tracker)

    document = tracker.read_model.get_track(b)
    assert document is not None
    assert document["statement_count"] == 1
    assert document["counts_by_type"] == {"demand": 1}
    assert [d["id"] for d in document["open_demands"]] == [own]
    assert [d["id"] for d in tracker.read_model.demands(b)] == [own]


def test_asked_without_related_statements_a_timeline_shows_its_own_only(
    tracker: Tracker,
) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (own,) = _record(tracker, b, _say(11))
    _record(tracker, a, _say(10, also_concerns=[b]))
    _project(tracker)

    assert _ids(tracker, b, include_related=False) == [own]
    assert len(_ids(tracker, b)) == 2


def test_party_finds_a_joint_statement_by_any_of_its_authors(tracker: Tracker) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (joint,) = _record(
        tracker, a, _say(10, "Russia", with_parties=["NATO"], also_concerns=[b], topics=["arms"])
    )
    (alone,) = _record(tracker, a, _say(11, "United States"))
    _project(tracker)

    for track in (a, b):
        assert _ids(tracker, track, party="NATO") == [joint]
        assert _ids(tracker, track, party="Russia") == [joint]
        assert _ids(tracker, track, party="NATO", topic="arms") == [joint]
        assert _ids(tracker, track, party="NATO", type="demand") == []
    assert _ids(tracker, a, party="United States") == [alone]


def test_filters_apply_to_related_statements_too(tracker: Tracker) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    early, late = _record(
        tracker,
        a,
        _say(5, kind="demand", also_concerns=[b], topics=["troops"]),
        _say(20, also_concerns=[b]),
    )
    _project(tracker)

    assert _ids(tracker, b, type="demand") == [early]
    assert _ids(tracker, b, topic="troops") == [early]
    assert _ids(tracker, b, since_key=sort_key("2022-01-10")) == [late]
    assert _ids(tracker, b, until_key=sort_key("2022-01-10")) == [early]


def test_a_correction_that_changes_the_concerned_tracks_moves_the_statement(
    tracker: Tracker,
) -> None:
    a, b, c = _open(tracker, "a"), _open(tracker, "b"), _open(tracker, "c")
    (moving,) = _record(tracker, a, _say(10, also_concerns=[b]))
    _project(tracker)
    assert _ids(tracker, b) == [moving] and _ids(tracker, c) == []

    tracker.app.correct_statement(
        uuid.UUID(a), moving, {"also_concerns": [c]}, "wrong track", recorded_by="tester"
    )
    _project(tracker)

    assert _ids(tracker, b) == []
    assert _ids(tracker, c) == [moving]
    assert _timeline(tracker, c)[0]["track_id"] == a


def test_a_correction_of_the_date_moves_a_related_statement_within_the_timeline(
    tracker: Tracker,
) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    first, second = _record(tracker, b, _say(10), _say(20))
    (moving,) = _record(tracker, a, _say(5, also_concerns=[b]))
    _project(tracker)
    assert _ids(tracker, b) == [moving, first, second]

    tracker.app.correct_statement(
        uuid.UUID(a), moving, {"occurred_at": "2022-01-15"}, "misdated", recorded_by="tester"
    )
    _project(tracker)

    assert _ids(tracker, b) == [first, moving, second]


def test_a_retracted_statement_leaves_the_timelines_it_concerns(tracker: Tracker) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (gone,) = _record(tracker, a, _say(10, also_concerns=[b]))
    _project(tracker)

    tracker.app.retract_statement(uuid.UUID(a), gone, "duplicate", recorded_by="tester")
    _project(tracker)

    assert _ids(tracker, b) == []
    shown = _timeline(tracker, b, include_retracted=True)
    assert [(s["id"], s["retracted"]) for s in shown] == [(gone, True)]


def _interleaved(tracker: Tracker) -> tuple[str, list[str]]:
    """Three tracks written in turns, most statements on the same few days, several of A's
    and C's concerning B: B's timeline, and its ids in (day, commit) order."""
    a, b, c = _open(tracker, "a"), _open(tracker, "b"), _open(tracker, "c")
    expected: list[tuple[str, int, str]] = []
    for n in range(24):
        track = (a, b, c)[n % 3]
        day = 10 + n % 4
        fields: dict[str, Any] = {"also_concerns": [b]} if track != b and n % 2 else {}
        result = tracker.app.record_statements(
            uuid.UUID(track), [_say(day, **fields)], recorded_by="tester"
        )
        if track == b or fields:
            expected.append((sort_key(f"2022-01-{day:02d}"), result.position, result.targets[0]))
    return b, [statement for _, _, statement in sorted(expected)]


def test_paging_through_home_and_related_statements_is_complete_and_in_order(
    tracker: Tracker,
) -> None:
    b, expected = _interleaved(tracker)
    _project(tracker, batch=5)
    assert _ids(tracker, b) == expected

    for limit in (1, 2, 3, 5):
        seen: list[str] = []
        after: TimelineCursor | None = None
        while True:
            items, more = tracker.read_model.timeline(b, TimelineFilter(limit=limit, after=after))
            seen += [item["id"] for item in items]
            if not more:
                break
            last = items[-1]
            home = None if last["track_id"] == b else last["track_id"]
            after = TimelineCursor(sort_key(last["occurred_at"]), last["version"], home)
        assert seen == expected, limit


def test_a_rebuild_and_its_check_agree_with_the_live_projector(tracker: Tracker) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    _interleaved(tracker)
    (moving,) = _record(tracker, a, _say(10, with_parties=["NATO"], also_concerns=[b]))
    (dropped,) = _record(tracker, a, _say(11, also_concerns=[b]))
    _project(tracker, batch=3)
    tracker.app.correct_statement(
        uuid.UUID(a),
        moving,
        {"occurred_at": "2022-01-03", "with_parties": ["United States"]},
        "misdated",
        recorded_by="tester",
    )
    tracker.app.correct_statement(
        uuid.UUID(a), dropped, {"also_concerns": []}, "not about b", recorded_by="tester"
    )
    _project(tracker, batch=1)
    live = dump(tracker)
    assert live["rm_related"] and live["rm_joint_parties"]

    assert rebuild.check(tracker) == []
    rebuild.rebuild(tracker)
    assert dump(tracker) == live


def test_the_check_finds_a_lost_place_in_a_concerned_timeline_and_a_lost_joint_author(
    tracker: Tracker,
) -> None:
    a, b = _open(tracker, "a"), _open(tracker, "b")
    (joint,) = _record(tracker, a, _say(10, with_parties=["NATO"], also_concerns=[b]))
    _project(tracker)
    with tracker.read_model.transaction() as tx:
        tx.execute("DELETE FROM rm_related")
        tx.execute("DELETE FROM rm_joint_parties")

    problems = {(d["table"], d["problem"]) for d in rebuild.check(tracker)}

    assert problems == {
        ("rm_related", "missing from the live model"),
        ("rm_joint_parties", "missing from the live model"),
    }
    rebuild.rebuild(tracker)
    assert _ids(tracker, b, party="NATO") == [joint]
