"""The read model's tables for reads across tracks (people named, search text, the filter
columns of rm_statements): a rebuild gives what the live projector gave, `check` finds a
tampered row of them, and a model of the previous shape is rebuilt on start."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from domain.search import parse
from infra.settings import Settings
from services.bootstrap import Tracker, build
from services.projections import rebuild
from services.projections.projector import PROJECTION
from services.queries import ActorQuery, StatementQuery
from tests.integration.test_rebuild import dump, project_live

PARTIES = ["Russia", "United States"]
NEW_TABLES = ("rm_actors", "rm_statement_text", "rm_actor_facets")
NEW_INDEXES = (
    "rm_statements_across",
    "rm_statements_by_type",
    "rm_statements_meetings",
    "rm_statements_by_speaker_at",
    "rm_statements_by_board",
)
NEW_COLUMNS = (
    "attribution",
    "speaker_key",
    "red_line",
    "target",
    "meeting_key",
    "meeting_format",
    "board",
)


def record_people_and_words(tracker: Tracker) -> str:
    app = tracker.app
    track_id = app.open_track(
        slug=f"across-{uuid.uuid4().hex[:8]}",
        kind="bilateral",
        title="Strategic Stability Dialogue",
        venue="Geneva",
        parties=PARTIES,
        opened_at="2022-01-10",
        recorded_by="tester",
    ).track.id
    putin = {"name": "Vladimir Putin", "role": "President of Russia"}
    ushakov = {"name": "Yuri Ushakov", "role": "Kremlin aide"}
    said, warned, met = app.record_statements(
        track_id,
        [
            {
                "type": "demand",
                "party": "Russia",
                "occurred_at": "2021-12-30",
                "summary": "Légally binding guarantees",
                "quote": "no further NATO enlargement",
                "speaker": putin,
                "reported_by": ushakov,
                "attribution": "reported",
                "sources": [{"title": "Readout of the call", "publisher": "Kremlin"}],
                "red_line": True,
            },
            {
                "type": "warning",
                "party": "Russia",
                "occurred_at": "2021-12-30",
                "summary": "A complete rupture",
                "category": "relations",
                "addressee": "United States",
                "speaker": putin,
            },
            {
                "type": "meeting_held",
                "party": "United States",
                "occurred_at": "2021-12-30T23:30:00+03:00",
                "summary": "Phone call",
                "format": "phone",
                "with_parties": ["Russia"],
            },
        ],
        recorded_by="tester",
    ).targets
    app.correct_statement(
        track_id,
        warned,
        {"summary": "A complete rupture of relations", "speaker": ushakov},
        "misattributed",
        recorded_by="tester",
    )
    app.retract_statement(track_id, met, "duplicate", recorded_by="tester")
    (quoted,) = app.record_statements(
        track_id,
        [
            {
                "type": "statement",
                "party": "Russia",
                "occurred_at": "2022-01-10",
                "summary": "Ryabkov",
                "speaker": {"name": "Sergei Ryabkov"},
                "reported_by": putin,
            }
        ],
        recorded_by="tester",
    ).targets
    app.retract_statement(track_id, quoted, "misquoted", recorded_by="tester")
    return said


def test_a_rebuild_gives_the_live_projector_s_people_search_text_and_filter_columns(
    tracker: Tracker,
) -> None:
    record_people_and_words(tracker)
    project_live(tracker, batch=2)
    record_people_and_words(tracker)
    project_live(tracker, batch=3)
    live = dump(tracker)
    assert all(live[table] for table in NEW_TABLES)
    # Per track: Putin's demand (the warning was corrected to Ushakov in a later batch, and
    # the statement reporting through him retracted), Ushakov's demand and warning.
    assert sorted((row[0], *row[-2:]) for row in live["rm_actor_facets"]) == [
        ("vladimir putin", 1, 1),
        ("vladimir putin", 1, 1),
        ("yuri ushakov", 2, 2),
        ("yuri ushakov", 2, 2),
    ]

    rebuild.rebuild(tracker)

    assert dump(tracker) == live
    assert rebuild.check(tracker) == []


def test_the_live_model_finds_statements_by_their_corrected_words_and_people(
    tracker: Tracker,
) -> None:
    said = record_people_and_words(tracker)
    project_live(tracker, batch=500)
    store = tracker.read_model

    items, more = store.statements(StatementQuery(text=parse("legally NATO")))
    assert [item["id"] for item in items] == [said] and not more
    assert "Légally" in items[0]["snippet"]
    rupture, _ = store.statements(StatementQuery(text=parse('"rupture of relations" ushakov')))
    assert [item["type"] for item in rupture] == ["warning"]
    people, _ = store.actors(ActorQuery())
    assert [(p["name"], p["statement_count"]) for p in people] == [
        ("Vladimir Putin", 1),
        ("Yuri Ushakov", 2),
    ]


def test_check_reports_a_tampered_search_text_and_a_missing_person(tracker: Tracker) -> None:
    said = record_people_and_words(tracker)
    project_live(tracker, batch=500)
    with tracker.read_model.transaction() as tx:
        tx.execute("UPDATE rm_statement_text SET body = 'tampered' WHERE statement_id = ?", (said,))
        tx.execute("DELETE FROM rm_actors WHERE relation = 'reported_by'")
        tx.execute("UPDATE rm_actor_facets SET statements = 7")

    differences = rebuild.check(tracker)

    assert {(d["table"], d["problem"]) for d in differences} == {
        ("rm_statement_text", "differs"),
        ("rm_actors", "missing from the live model"),
        ("rm_actor_facets", "differs"),
    }
    text = next(d for d in differences if d["table"] == "rm_statement_text")
    assert text["key"] == {"statement_id": said} and text["live"] == "tampered"


def an_older_shape(settings: Settings, alter: Callable[[Any], None]) -> tuple[str, Any]:
    """Record and project the people and words, then `alter` the read model (in one
    transaction) into a shape an earlier release left, which must count as outdated; the
    id of the statement with the words, and the model as it was before the change."""
    first = build(settings)
    try:
        said = record_people_and_words(first)
        project_live(first, batch=500)
        expected = dump(first)
        with first.read_model.transaction() as tx:
            alter(tx)
        assert first.read_model.outdated()
    finally:
        first.close()
    return said, expected


@contextmanager
def started(settings: Settings) -> Iterator[Tracker]:
    """The service's start on that model: building the tracker rebuilds an outdated one."""
    upgraded = build(settings)
    try:
        yield upgraded
    finally:
        upgraded.close()


def _as_before_the_reads_across_tracks(tx: Any) -> None:
    for table in NEW_TABLES:
        tx.execute(f"DROP TABLE {table}")
    for index in NEW_INDEXES:  # SQLite drops no indexed column
        tx.execute(f"DROP INDEX {index}")
    for column in NEW_COLUMNS:
        tx.execute(f"ALTER TABLE rm_statements DROP COLUMN {column}")


def test_a_model_of_the_previous_shape_is_rebuilt_on_start(settings: Settings) -> None:
    _, expected = an_older_shape(settings, _as_before_the_reads_across_tracks)

    with started(settings) as upgraded:
        assert not upgraded.read_model.outdated()
        assert dump(upgraded) == expected
        assert upgraded.read_model.position(PROJECTION) == upgraded.app.max_position()
        assert rebuild.check(upgraded) == []


def test_a_model_projected_before_people_were_counted_is_rebuilt_on_start(
    settings: Settings,
) -> None:
    _, expected = an_older_shape(settings, lambda tx: tx.execute("DELETE FROM rm_actor_facets"))

    with started(settings) as upgraded:
        assert dump(upgraded) == expected
        assert not upgraded.read_model.outdated()


def _without_the_text_sort_keys(tx: Any) -> None:
    tx.execute("ALTER TABLE rm_statement_text DROP COLUMN occurred_key")
    tx.execute("ALTER TABLE rm_statement_text DROP COLUMN position")


def test_a_search_text_without_the_sort_keys_its_store_orders_by_is_rebuilt_on_start(
    settings: Settings,
) -> None:
    with started(settings) as probe:
        if "occurred_key" not in probe.read_model.text_columns:
            pytest.skip("this store orders matches by rm_statements (SQLite's FTS5 table)")
    said, expected = an_older_shape(settings, _without_the_text_sort_keys)

    with started(settings) as upgraded:
        assert not upgraded.read_model.outdated()
        assert dump(upgraded) == expected
        items, _ = upgraded.read_model.statements(StatementQuery(text=parse("legally NATO")))
        assert [item["id"] for item in items] == [said]
