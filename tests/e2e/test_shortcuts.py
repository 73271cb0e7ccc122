"""The shortcuts of the two hottest routes (services.api.shortcuts) answer exactly what the
full FastAPI route answers: same status, headers and body, refusals included.

A read with a query string (other than `min_position` alone), and a write whose
Content-Type is another JSON type (`application/vnd.test+json`, which FastAPI parses as JSON
too), take the full route; the same request without them takes the shortcut.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from infra.stores import StoreUnavailable
from services.api.document_cache import TrackDocumentCache
from services.api.routes import statements as routes_statements
from services.api.routes import tracks as routes_tracks
from services.api.workers import Workers
from tests.e2e.conftest import (
    AUDITOR,
    READER,
    RECORDER,
    RUSSIA,
    Api,
    StartApp,
    assert_problem,
    statement,
)

FULL_ROUTE_JSON = "application/vnd.test+json"
# Differ by nature between two answers: the request id, and (writes) what was recorded.
VOLATILE_HEADERS = {"x-request-id", "date"}


def headers_of(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}


def same_answer(shortcut: httpx.Response, full: httpx.Response) -> None:
    assert shortcut.status_code == full.status_code, (shortcut.text, full.text)
    assert headers_of(shortcut) == headers_of(full)
    assert shortcut.content == full.content


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often each shortcut got as far as its store call or, for a read, its document
    cache (the shortcut was taken)."""
    counts = {"read": 0, "write": 0}
    names = {
        routes_tracks.current_state: "read",
        routes_statements.record_one: "write",
        routes_statements.record_many: "write",
    }
    original = Workers.call

    async def counting(self: Workers, fn: Any, *args: Any) -> Any:
        counts[names[fn]] += 1
        return await original(self, fn, *args)

    monkeypatch.setattr(Workers, "call", counting)
    cached = TrackDocumentCache.get

    def counting_hits(self: TrackDocumentCache, track_id: str) -> Any:
        hit = cached(self, track_id)
        counts["read"] += hit is not None  # answered from memory (PostgreSQL), no store call
        return hit

    monkeypatch.setattr(TrackDocumentCache, "get", counting_hits)
    return counts


def read_both(client: Api, path: str, headers: dict[str, str]) -> tuple[httpx.Response, ...]:
    shortcut = client.http.get(path, headers=headers)
    # A query string other than `min_position=<digits>` alone takes the full route: here
    # the same 0, percent-encoded (an unknown parameter would be refused: strict_query).
    full = client.http.get(f"{path}?min_position=%30", headers=headers)
    return shortcut, full


def test_a_plain_read_of_a_track_answers_what_the_full_route_answers(
    client: Api, calls: dict[str, int]
) -> None:
    track = client.open_track("ssd")
    client.record(track["id"], "demand", summary="No further enlargement")
    client.track(track["id"])  # the read model has caught up
    for ref in (track["id"], "ssd"):
        for who in ({}, READER, RECORDER, AUDITOR):
            shortcut, full = read_both(client, f"/v1/tracks/{ref}", who)
            assert shortcut.status_code == 200
            assert shortcut.headers["x-projection-position"]
            same_answer(shortcut, full)
    assert calls["read"] == 8


# PostgreSQL only: SQLite has no NOTIFY, so the API keeps no document cache there.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_read_at_a_position_the_document_cache_has_seen_makes_no_store_call(
    client: Api, calls: dict[str, int]
) -> None:
    track = client.open_track("ssd")["id"]
    written = client.record(track, "demand", summary="No further enlargement")
    first = client.get(f"/v1/tracks/{track}", min_position=written["position"], expect=200)
    deadline = time.monotonic() + 5
    while calls["read"] == 0:  # until the change's announcement has reached the cache
        assert time.monotonic() < deadline
        again = client.get(f"/v1/tracks/{track}", min_position=written["position"], expect=200)
        assert again.content == first.content
    later = client.record(track, "demand", summary="No missiles")
    state = client.get(f"/v1/tracks/{track}", min_position=later["position"], expect=200)
    assert state.json()["statement_count"] == 2


def test_refused_and_missing_reads_are_the_full_routes_problems(
    client: Api, start_app: StartApp, calls: dict[str, int]
) -> None:
    track = client.open_track("ssd")["id"]
    for path, who, status in [
        (f"/v1/tracks/{track}", {"Authorization": "Bearer wrong"}, 401),
        (f"/v1/tracks/{track}", {"Authorization": "Basic abc"}, 401),
        (f"/v1/tracks/{track}", {"Authorization": ""}, 401),
        ("/v1/tracks/no-such-track", READER, 404),
        ("/v1/tracks/00000000-0000-0000-0000-000000000000", {}, 404),
    ]:
        shortcut, full = read_both(client, path, who)
        assert_problem(shortcut, status)
        same_answer(shortcut, full)
    private = start_app(public_reads=False)
    shortcut, full = read_both(private, f"/v1/tracks/{track}", {})
    assert_problem(shortcut, 401)
    assert shortcut.headers["www-authenticate"].startswith("Bearer")
    same_answer(shortcut, full)


def post(
    client: Api,
    track: str,
    body: bytes,
    content_type: str,
    headers: dict[str, str] | None = None,
    route: str = "statements",
) -> httpx.Response:
    return client.http.post(
        f"/v1/tracks/{track}/{route}",
        content=body,
        headers={**RECORDER, "Content-Type": content_type, **(headers or {})},
    )


def test_a_plain_write_answers_like_the_full_route(client: Api, calls: dict[str, int]) -> None:
    first, second = client.open_track("one")["id"], client.open_track("two")["id"]
    body = httpx.Request(
        "POST",
        "/",
        json=statement(
            "demand",
            summary="Written guarantees",
            quote="No.",
            topics=["nato"],
            source={"url": "https://example.org/a", "publisher": "TASS"},
        ),
    ).content
    shortcut = post(client, first, body, "application/json")
    full = post(client, second, body, FULL_ROUTE_JSON)
    assert calls["write"] == 1
    assert shortcut.status_code == full.status_code == 201
    assert set(shortcut.headers) - VOLATILE_HEADERS == set(full.headers) - VOLATILE_HEADERS
    assert shortcut.headers["etag"] == full.headers["etag"] == '"2"'
    a, b = shortcut.json(), full.json()
    assert shortcut.headers["location"] == f"/v1/tracks/{first}/statements/{a['id']}"
    assert set(a) == set(b)
    differ = {"id", "track_id", "position", "recorded_at"}
    assert {k: v for k, v in a.items() if k not in differ} == {
        k: v for k, v in b.items() if k not in differ
    }

    # Idempotency and If-Match on the shortcut: a replay, then a stale version.
    keyed = post(client, first, body, "application/json", {"Idempotency-Key": "k1"})
    again = post(client, first, body, "application/json", {"Idempotency-Key": "k1"})
    assert keyed.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == keyed.json()
    assert_problem(post(client, first, body, "application/json", {"If-Match": '"1"'}), 412)
    assert calls["write"] == 4


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (b'{"type": "demand", "party"', {}, 400),  # malformed JSON
        (b'{"type": "demand", "party": "Russia"}', {}, 422),  # missing fields
        (
            b'{"type": "demand", "party": "Russia", "occurred_at": "2022-01-10",'
            b' "summary": "a\\u0000"}',
            {},
            422,
        ),  # NUL in the text
        (b"[]", {}, 422),
        (b"", {}, 422),
        (None, {"Idempotency-Key": ""}, 422),
        (None, {"Idempotency-Key": "k" * 201}, 422),
        (None, {"Authorization": "Bearer wrong"}, 401),
        (None, READER, 403),
        (b'{"type": "demand", "party"', {"Authorization": "Bearer wrong"}, 400),  # body first
        (b'{"type": "demand"}', {"Authorization": "Bearer wrong"}, 401),  # then the token
        (None, {"Idempotency-Key": "", "Authorization": "Bearer wrong"}, 401),
    ],
)
def test_refused_writes_are_the_full_routes_problems(
    client: Api, body: bytes | None, headers: dict[str, str], status: int
) -> None:
    track = client.open_track("ssd")["id"]
    if body is None:
        body = httpx.Request("POST", "/", json=statement("demand")).content
    shortcut = post(client, track, body, "application/json", headers)
    full = post(client, track, body, FULL_ROUTE_JSON, headers)
    assert_problem(shortcut, status)
    same_answer(shortcut, full)


def post_batch(
    client: Api, track: str, body: bytes, content_type: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    return post(client, track, body, content_type, headers, route="statements:batch")


def test_a_plain_batch_answers_like_the_full_route(client: Api, calls: dict[str, int]) -> None:
    first, second = client.open_track("one")["id"], client.open_track("two")["id"]
    body = httpx.Request(
        "POST",
        "/",
        json={
            "statements": [
                statement("demand", summary="Written guarantees", topics=["nato"]),
                statement("statement", summary="No return to 1997", quote="No."),
            ]
        },
    ).content
    shortcut = post_batch(client, first, body, "application/json")
    full = post_batch(client, second, body, FULL_ROUTE_JSON)
    assert calls["write"] == 1
    assert shortcut.status_code == full.status_code == 201
    assert set(shortcut.headers) - VOLATILE_HEADERS == set(full.headers) - VOLATILE_HEADERS
    a, b = shortcut.json(), full.json()
    assert (a["track_version"], len(a["items"])) == (b["track_version"], len(b["items"])) == (3, 2)
    differ = {"id", "track_id", "recorded_at"}
    for mine, theirs in zip(a["items"], b["items"], strict=True):
        assert {k: v for k, v in mine.items() if k not in differ} == {
            k: v for k, v in theirs.items() if k not in differ
        }
    keyed = post_batch(client, first, body, "application/json", {"Idempotency-Key": "b1"})
    again = post_batch(client, first, body, "application/json", {"Idempotency-Key": "b1"})
    assert again.headers["idempotent-replayed"] == "true" and again.json() == keyed.json()
    assert_problem(post_batch(client, first, body, "application/json", {"If-Match": '"1"'}), 412)
    assert calls["write"] == 4


ONE = httpx.Request("POST", "/", json=statement("demand")).content


@pytest.mark.parametrize(
    "body, headers, status",
    [
        (b'{"statements": [' + ONE, {}, 400),  # malformed JSON
        (b'{"statements": []}', {}, 422),  # empty
        (b'{"statements": [' + b",".join([ONE] * 501) + b"]}", {}, 422),  # too many
        (b'{"statements": [' + ONE + b', {"type": "demand"}]}', {}, 422),  # one invalid
        (b'{"statements": [' + ONE + b'], "extra": 1}', {}, 422),
        (b"[]", {}, 422),
        (b'{"statements": [' + ONE + b"]}", {"Idempotency-Key": ""}, 422),
        (b'{"statements": [' + ONE + b"]}", {"Authorization": "Bearer wrong"}, 401),
        (b'{"statements": [' + ONE + b"]}", READER, 403),
    ],
)
def test_refused_batches_are_the_full_routes_problems(
    client: Api, body: bytes, headers: dict[str, str], status: int
) -> None:
    track = client.open_track("ssd")["id"]
    shortcut = post_batch(client, track, body, "application/json", headers)
    full = post_batch(client, track, body, FULL_ROUTE_JSON, headers)
    assert_problem(shortcut, status)
    same_answer(shortcut, full)
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["statement_count"] == 0


def test_a_batch_the_domain_refuses_is_the_same_problem_both_ways(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    raw = httpx.Request(
        "POST",
        "/",
        json={"statements": [statement("demand"), statement("demand", party="Atlantis")]},
    ).content
    for target in (track, "no-such-track"):
        shortcut = post_batch(client, target, raw, "application/json")
        full = post_batch(client, target, raw, FULL_ROUTE_JSON)
        assert shortcut.status_code == full.status_code >= 400
        same_answer(shortcut, full)
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["statement_count"] == 0


def test_a_write_the_domain_refuses_is_the_same_problem_both_ways(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    for body in (statement("demand", party="Atlantis"), statement("proposal", RUSSIA)):
        raw = httpx.Request("POST", "/", json=body).content
        for target in (track, "no-such-track"):
            shortcut = post(client, target, raw, "application/json")
            full = post(client, target, raw, FULL_ROUTE_JSON)
            assert shortcut.status_code == full.status_code
            if shortcut.status_code >= 400:
                same_answer(shortcut, full)


@pytest.mark.parametrize(
    "failure, status",
    [
        (StoreUnavailable("PostgreSQL is unreachable (OperationalError)"), 503),
        (ZeroDivisionError("a bug"), 500),
    ],
)
def test_a_failing_store_call_answers_the_same_problem_both_ways(
    client: Api, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int
) -> None:
    track = client.open_track("ssd")["id"]
    body = httpx.Request("POST", "/", json=statement("demand")).content
    tracker = client.http.app.state.tracker  # type: ignore[attr-defined]

    def fail(*_: Any, **__: Any) -> Any:
        raise failure

    monkeypatch.setattr(tracker.read_model, "track_document", fail)
    monkeypatch.setattr(tracker.app, "record_statements", fail)
    shortcut, full = read_both(client, f"/v1/tracks/{track}", {})
    assert_problem(shortcut, status)
    same_answer(shortcut, full)
    shortcut = post(client, track, body, "application/json")
    full = post(client, track, body, FULL_ROUTE_JSON)
    assert_problem(shortcut, status)
    same_answer(shortcut, full)
