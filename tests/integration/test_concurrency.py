"""Concurrent writers on one track, on SQLite and on PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain import errors
from domain.events import StatementRecorded
from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import Tracker
from services.ports import TimelineFilter
from services.projections.projector import Projector

WRITERS = 16
STATEMENTS_EACH = 25
PARTIES = ["United States", "Russia"]
SECRET = "concurrency-recorder-secret"
AUTH = {"Authorization": f"Bearer {SECRET}"}


def a_statement(n: int, party: str = "Russia") -> dict[str, Any]:
    return {
        "type": "statement",
        "party": party,
        "occurred_at": f"2022-01-{n % 28 + 1:02d}",
        "summary": f"statement number {n}",
    }


def open_track(tracker: Tracker, slug: str = "ssd") -> UUID:
    result = tracker.app.open_track(
        slug=slug,
        kind="bilateral",
        title="Strategic Stability",
        venue="Geneva",
        parties=PARTIES,
        opened_at="2021-12-01",
        recorded_by="lead",
    )
    return result.track.id


def all_at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(i)` for i in range(count) on `count` threads released together."""
    start = threading.Barrier(count)

    def run(i: int) -> Any:
        start.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def test_sixteen_writers_on_one_track_record_all_four_hundred_statements_with_contiguous_versions(
    tracker: Tracker,
) -> None:
    track_id = open_track(tracker)

    def writer(w: int) -> list[str]:
        acknowledged = []
        for k in range(STATEMENTS_EACH):
            n = w * STATEMENTS_EACH + k
            result = tracker.app.record_statements(
                track_id, [a_statement(n)], recorded_by=f"writer-{w}"
            )
            acknowledged.extend(result.targets)
        return acknowledged

    answers = [item for batch in all_at_once(WRITERS, writer) for item in batch]
    total = WRITERS * STATEMENTS_EACH
    assert len(answers) == len(set(answers)) == total

    events = list(tracker.app.repository.event_store.get(track_id))
    assert [event.originator_version for event in events] == list(range(1, total + 2))
    recorded = [e.statement_id for e in events if isinstance(e, StatementRecorded)]
    assert sorted(recorded) == sorted(answers)
    summaries = sorted(int(e.statement["summary"].split()[-1]) for e in events[1:])
    assert summaries == list(range(total))

    Projector(tracker.app, tracker.read_model).catch_up()
    state = tracker.read_model.get_track(str(track_id))
    assert state is not None
    assert state["version"] == total + 1
    assert state["statement_count"] == total
    items, more = tracker.read_model.timeline(str(track_id), TimelineFilter(limit=500))
    assert not more
    assert sorted(item["id"] for item in items) == sorted(recorded)
    assert sorted(item["version"] for item in items) == list(range(2, total + 2))


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    http_settings = settings.model_copy(update={"api_tokens": f"rec:recorder:{SECRET}"})
    with TestClient(create_app(http_settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_eight_concurrent_requests_with_one_idempotency_key_record_one_statement_and_agree(
    client: TestClient,
) -> None:
    tracker: Tracker = client.app.state.tracker
    track_id = open_track(tracker)
    body = a_statement(7)
    headers = {**AUTH, "Idempotency-Key": "evening-press-release"}

    answers = all_at_once(
        8, lambda _: client.post(f"/v1/tracks/{track_id}/statements", headers=headers, json=body)
    )

    assert [a.status_code for a in answers] == [201] * 8, [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert all(b == bodies[0] for b in bodies)
    assert len({a.headers["etag"] for a in answers}) == 1
    replayed = [a.headers.get("idempotent-replayed") == "true" for a in answers]
    assert replayed.count(False) == 1
    events = list(tracker.app.repository.event_store.get(track_id))
    assert len(events) == 2
    assert events[1].statement_id == bodies[0]["id"]

    other = client.post(f"/v1/tracks/{track_id}/statements", headers=headers, json=a_statement(8))
    assert other.status_code == 422
    assert len(list(tracker.app.repository.event_store.get(track_id))) == 2


def test_eight_concurrent_batches_with_one_idempotency_key_record_the_batch_once(
    client: TestClient,
) -> None:
    tracker: Tracker = client.app.state.tracker
    track_id = open_track(tracker)
    body = {"statements": [a_statement(n) for n in range(5)]}
    headers = {**AUTH, "Idempotency-Key": "batch-1"}

    answers = all_at_once(
        8,
        lambda _: client.post(
            f"/v1/tracks/{track_id}/statements:batch", headers=headers, json=body
        ),
    )

    assert [a.status_code for a in answers] == [201] * 8
    ids = {tuple(item["id"] for item in a.json()["items"]) for a in answers}
    assert len(ids) == 1
    assert len(list(tracker.app.repository.event_store.get(track_id))) == 1 + 5


def test_a_write_with_a_stale_if_match_is_412_and_records_nothing(client: TestClient) -> None:
    tracker: Tracker = client.app.state.tracker
    track_id = open_track(tracker)
    url = f"/v1/tracks/{track_id}/statements"
    first = client.post(url, headers={**AUTH, "If-Match": '"1"'}, json=a_statement(1))
    assert first.status_code == 201
    assert first.headers["etag"] == '"2"'

    stale = client.post(url, headers={**AUTH, "If-Match": '"1"'}, json=a_statement(2))
    assert stale.status_code == 412
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert stale.json()["status"] == 412
    assert tracker.app.get_track(track_id).version == 2

    fresh = client.post(
        url, headers={**AUTH, "If-Match": first.headers["etag"]}, json=a_statement(3)
    )
    assert fresh.status_code == 201
    assert fresh.headers["etag"] == '"3"'


def test_the_application_refuses_a_stale_version_with_version_mismatch(tracker: Tracker) -> None:
    track_id = open_track(tracker)
    tracker.app.record_statements(track_id, [a_statement(1)], recorded_by="a", if_match=1)
    with pytest.raises(errors.VersionMismatch) as refused:
        tracker.app.record_statements(track_id, [a_statement(2)], recorded_by="b", if_match=1)
    assert (refused.value.expected, refused.value.actual) == (1, 2)
    assert tracker.app.get_track(track_id).version == 2


def test_of_eight_concurrent_writers_with_the_same_if_match_exactly_one_wins(
    client: TestClient,
) -> None:
    tracker: Tracker = client.app.state.tracker
    track_id = open_track(tracker)
    answers = all_at_once(
        8,
        lambda i: client.post(
            f"/v1/tracks/{track_id}/statements",
            headers={**AUTH, "If-Match": '"1"'},
            json=a_statement(i),
        ),
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [412] * 7, [a.text for a in answers]
    assert tracker.app.get_track(track_id).version == 2
