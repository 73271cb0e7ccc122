"""The hottest routes (`GET /v1/tracks/{track}`, `POST .../statements` and `.../statements:batch`,
solved by services.api.direct) answer every form of request as the contract says: the
plain valid form, the forms with a query string or another JSON media type, and each
refusal, shaped by the app's one exception table in the order FastAPI solves a route
(malformed JSON, the query check, the token, then the parameters and the body together).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from infra.stores import StoreUnavailable
from services.api.document_cache import TrackDocumentCache
from tests.e2e.conftest import (
    AUDITOR,
    READER,
    RECORDER,
    Api,
    StartApp,
    assert_problem,
    statement,
)
from tests.e2e.hot_requests import ONE, WRONG, post, raw, refused


def test_a_read_of_a_track_answers_its_state_by_id_or_slug_to_anyone_who_may_read(
    client: Api,
) -> None:
    track = client.open_track("ssd")
    written = client.record(track["id"], "demand", summary="No further enlargement")
    first = client.get(f"/v1/tracks/{track['id']}", expect=200)
    for ref in (track["id"], "ssd"):
        for who in ({}, READER, RECORDER, AUDITOR):
            for query in ("", f"?min_position={written['position']}", "?min_position=%30"):
                answer = client.http.get(f"/v1/tracks/{ref}{query}", headers=who)
                assert answer.status_code == 200, answer.text
                assert answer.headers["content-type"] == "application/json"
                assert int(answer.headers["x-projection-position"]) >= written["position"]
                assert answer.content == first.content
    assert first.json()["statement_count"] == 1
    assert first.json()["open_demands"][0]["summary"] == "No further enlargement"


def test_a_read_on_a_date_is_rebuilt_from_the_record(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    client.record(track, "demand", occurred_at="2022-01-10")
    client.record(track, "demand", occurred_at="2023-05-01", summary="Later")
    then = client.get(f"/v1/tracks/{track}", {"on": "2022"}, expect=200).json()
    now = client.get(f"/v1/tracks/{track}", expect=200).json()
    assert (then["statement_count"], now["statement_count"]) == (1, 2)
    assert then["on"] == "2022"


# PostgreSQL only: SQLite has no NOTIFY, so the API keeps no document cache there.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_read_at_a_position_the_document_cache_has_seen_is_answered_from_it(
    client: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    hits = []
    cached = TrackDocumentCache.get

    def counting(self: TrackDocumentCache, track_id: str) -> Any:
        hit = cached(self, track_id)
        hits.append(hit is not None)
        return hit

    monkeypatch.setattr(TrackDocumentCache, "get", counting)
    track = client.open_track("ssd")["id"]
    written = client.record(track, "demand", summary="No further enlargement")
    first = client.get(f"/v1/tracks/{track}", min_position=written["position"], expect=200)
    deadline = time.monotonic() + 5
    while not any(hits):  # until the change's announcement has reached the cache
        assert time.monotonic() < deadline
        again = client.get(f"/v1/tracks/{track}", min_position=written["position"], expect=200)
        assert again.content == first.content
    later = client.record(track, "demand", summary="No missiles")
    state = client.get(f"/v1/tracks/{track}", min_position=later["position"], expect=200)
    assert state.json()["statement_count"] == 2


def test_refused_and_missing_reads_are_problems(client: Api, start_app: StartApp) -> None:
    track = client.open_track("ssd")["id"]
    for path, who, status in [
        (f"/v1/tracks/{track}", WRONG, 401),
        (f"/v1/tracks/{track}", {"Authorization": "Basic abc"}, 401),
        (f"/v1/tracks/{track}", {"Authorization": ""}, 401),
        (f"/v1/tracks/{track}?min_position=-1", WRONG, 401),  # the token before the values
        ("/v1/tracks/no-such-track", READER, 404),
        ("/v1/tracks/00000000-0000-0000-0000-000000000000", {}, 404),
        ("/v1/tracks/no-such-track?min_position=0", {}, 404),
    ]:
        assert_problem(client.http.get(path, headers=who), status)
    private = start_app(public_reads=False)
    answer = private.http.get(f"/v1/tracks/{track}")
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "query, errors",
    [
        ("min_position=-1", [(("query", "min_position"), "greater_than_equal")]),
        ("min_position=x", [(("query", "min_position"), "int_parsing")]),
        ("min_position=99999999999999999999", [(("query", "min_position"), "less_than_equal")]),
        ("min_position=", [(("query", "min_position"), "int_parsing")]),
        ("on=bad", [(("query", "on"), "value_error")]),
        (
            "on=bad&min_position=x",
            # min_position belongs to the wait, a dependency: FastAPI reports those first
            [(("query", "min_position"), "int_parsing"), (("query", "on"), "value_error")],
        ),
        ("bogus=1", [(("query", "bogus"), "unknown_parameter")]),
        ("min_position=1&min_position=2", [(("query", "min_position"), "repeated_parameter")]),
    ],
)
def test_a_read_with_a_bad_query_names_each_bad_parameter(
    client: Api, query: str, errors: list[tuple[tuple[str, ...], str]]
) -> None:
    client.open_track("ssd")
    assert refused(client.http.get(f"/v1/tracks/ssd?{query}", headers=READER), 422) == errors


@pytest.mark.parametrize(
    "failure, status",
    [
        (StoreUnavailable("PostgreSQL is unreachable (OperationalError)"), 503),
        (ZeroDivisionError("a bug"), 500),
    ],
)
def test_a_failing_store_call_is_a_problem_not_a_dropped_connection(
    client: Api, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int
) -> None:
    track = client.open_track("ssd")["id"]
    tracker = client.http.app.state.tracker  # type: ignore[attr-defined]

    def fail(*_: Any, **__: Any) -> Any:
        raise failure

    monkeypatch.setattr(tracker.read_model, "track_document", fail)
    monkeypatch.setattr(tracker.app, "record_statements", fail)
    monkeypatch.setattr(client.http.app.state, "documents", None)  # type: ignore[attr-defined]
    assert_problem(client.http.get(f"/v1/tracks/{track}"), status)
    assert_problem(post(client, track, ONE), status)
    assert_problem(
        post(client, track, raw({"statements": [statement("demand")]}), route="statements:batch"),
        status,
    )
