"""The hottest routes (`GET /v1/tracks/{track}`, `POST .../statements` and `.../statements:batch`,
solved by services.api.direct) answer every form of request as the contract says: the
plain valid form, the forms with a query string or another JSON media type, and each
refusal, shaped by the app's one exception table in the order FastAPI solves a route
(malformed JSON, the query check, the token, then the parameters and the body together).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from infra.stores import StoreUnavailable
from services.api.document_cache import TrackDocumentCache
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

WRONG = {"Authorization": "Bearer wrong"}


def raw(body: Any) -> bytes:
    return httpx.Request("POST", "/", json=body).content


def post(
    client: Api,
    track: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    route: str = "statements",
    content_type: str | None = "application/json",
) -> httpx.Response:
    sent = {**RECORDER, **({"Content-Type": content_type} if content_type else {})}
    return client.http.post(
        f"/v1/tracks/{track}/{route}", content=body, headers={**sent, **(headers or {})}
    )


def refused(response: httpx.Response, status: int) -> list[tuple[tuple[Any, ...], str]]:
    """The problem's errors as (loc, type) pairs, after checking its status and shape."""
    problem = assert_problem(response, status)
    return [(tuple(e["loc"]), e["type"]) for e in problem.get("errors", [])]


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


def test_a_write_answers_the_statement_with_its_version_position_and_location(
    client: Api,
) -> None:
    track = client.open_track("one")["id"]
    body = raw(statement("demand", summary="Written guarantees", quote="No.", topics=["nato"]))
    for number, content_type in enumerate(
        ["application/json", "application/json; charset=utf-8", "application/vnd.test+json"]
    ):
        answer = post(client, track, body, content_type=content_type)
        assert answer.status_code == 201, answer.text
        written = answer.json()
        assert answer.headers["etag"] == f'"{number + 2}"' == f'"{written["track_version"]}"'
        assert answer.headers["location"] == f"/v1/tracks/{track}/statements/{written['id']}"
        assert (written["summary"], written["quote"], written["topics"]) == (
            "Written guarantees",
            "No.",
            ["nato"],
        )
        assert isinstance(written["position"], int)
    keyed = post(client, track, body, {"Idempotency-Key": "k1"})
    again = post(client, track, body, {"Idempotency-Key": "k1"})
    assert keyed.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == keyed.json()
    assert_problem(post(client, track, body, {"If-Match": '"1"'}), 412)
    assert post(client, track, body, {"If-Match": '"5"'}).status_code == 201


# (body, extra headers, status, the problem's errors as (loc, type))
REFUSED_WRITES: list[tuple[bytes | None, dict[str, str], int, list[Any]]] = [
    (b'{"type": "demand", "party"', {}, 400, []),
    (b"NaN", {}, 422, [(("body",), "model_attributes_type")]),  # Python's json reads NaN
    (
        b'{"type": "demand", "party": "Russia"}',
        {},
        422,
        [
            (("body", "demand", "occurred_at"), "missing"),
            (("body", "demand", "summary"), "missing"),
        ],
    ),
    (raw({**statement("demand"), "summary": "a\u0000"}), {}, 422, None),
    (
        raw({**statement("demand"), "extra": 1}),
        {},
        422,
        [(("body", "demand", "extra"), "extra_forbidden")],
    ),
    (b"[]", {}, 422, [(("body",), "model_attributes_type")]),
    (b"", {}, 422, [(("body",), "missing")]),
    (None, {"Idempotency-Key": ""}, 422, [(("header", "idempotency-key"), "string_too_short")]),
    (
        None,
        {"Idempotency-Key": "k" * 201},
        422,
        [(("header", "idempotency-key"), "string_too_long")],
    ),
    (None, WRONG, 401, []),
    (None, READER, 403, []),
    # The token before anything about the body or the headers:
    (b'{"type": "demand", "party"', WRONG, 401, []),
    (b'{"type": "demand", "party"', READER, 403, []),
    (b'{"type": "demand"}', WRONG, 401, []),
    (b'{"type": "demand"}', READER, 403, []),
    (None, {"Idempotency-Key": "", **WRONG}, 401, []),
]


@pytest.mark.parametrize("body, headers, status, errors", REFUSED_WRITES)
def test_a_refused_write_is_a_problem_that_names_what_to_fix(
    client: Api, body: bytes | None, headers: dict[str, str], status: int, errors: Any
) -> None:
    track = client.open_track("ssd")["id"]
    answer = post(client, track, raw(statement("demand")) if body is None else body, headers)
    found = refused(answer, status)
    if errors is not None:
        assert found == errors
    else:
        assert found and all(loc[0] == "body" for loc, _ in found)
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["statement_count"] == 0


def test_a_body_in_no_json_media_type_is_refused_as_the_schema_says(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    for content_type in ("text/plain", None):
        answer = post(client, track, raw(statement("demand")), content_type=content_type)
        assert refused(answer, 422) == [(("body",), "model_attributes_type")]


def test_a_batch_answers_every_statement_with_one_version_and_position(client: Api) -> None:
    track = client.open_track("one")["id"]
    body = raw(
        {
            "statements": [
                statement("demand", summary="Written guarantees", topics=["nato"]),
                statement("statement", summary="No return to 1997", quote="No."),
            ]
        }
    )
    answer = post(client, track, body, route="statements:batch")
    assert answer.status_code == 201, answer.text
    written = answer.json()
    assert (written["track_version"], len(written["items"])) == (3, 2)
    assert [item["summary"] for item in written["items"]] == [
        "Written guarantees",
        "No return to 1997",
    ]
    assert answer.headers["etag"] == '"3"'
    keyed = post(client, track, body, {"Idempotency-Key": "b1"}, route="statements:batch")
    again = post(client, track, body, {"Idempotency-Key": "b1"}, route="statements:batch")
    assert again.headers["idempotent-replayed"] == "true" and again.json() == keyed.json()
    assert_problem(post(client, track, body, {"If-Match": '"1"'}, route="statements:batch"), 412)


ONE = raw(statement("demand"))


@pytest.mark.parametrize(
    "body, headers, status, errors",
    [
        (b'{"statements": [' + ONE, {}, 400, []),
        (b'{"statements": []}', {}, 422, [(("body", "statements"), "too_short")]),
        (
            b'{"statements": [' + b",".join([ONE] * 501) + b"]}",
            {},
            422,
            [(("body", "statements"), "too_long")],
        ),
        (
            b'{"statements": [' + ONE + b', {"type": "demand"}]}',
            {},
            422,
            [
                (("body", "statements", 1, "demand", "party"), "missing"),
                (("body", "statements", 1, "demand", "occurred_at"), "missing"),
                (("body", "statements", 1, "demand", "summary"), "missing"),
            ],
        ),
        (
            b'{"statements": [' + ONE + b'], "extra": 1}',
            {},
            422,
            [(("body", "extra"), "extra_forbidden")],
        ),
        (b"[]", {}, 422, [(("body",), "model_attributes_type")]),
        (
            b'{"statements": [' + ONE + b"]}",
            {"Idempotency-Key": ""},
            422,
            [(("header", "idempotency-key"), "string_too_short")],
        ),
        (b'{"statements": [' + ONE + b"]}", WRONG, 401, []),
        (b'{"statements": [' + ONE + b"]}", READER, 403, []),
        (b'{"statements": [' + ONE, WRONG, 401, []),
        (b'{"statements": [' + ONE, READER, 403, []),
    ],
)
def test_a_refused_batch_records_nothing(
    client: Api, body: bytes, headers: dict[str, str], status: int, errors: list[Any]
) -> None:
    track = client.open_track("ssd")["id"]
    assert refused(post(client, track, body, headers, route="statements:batch"), status) == errors
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["statement_count"] == 0


def test_writes_the_domain_refuses_are_its_problems(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    atlantis = statement("demand", party="Atlantis")
    for route, body in [
        ("statements", raw(atlantis)),
        ("statements:batch", raw({"statements": [statement("demand"), atlantis]})),
    ]:
        answer = post(client, track, body, route=route)
        assert assert_problem(answer, 422)["type"] == "/problems/unknown-party"
        assert_problem(post(client, "no-such-track", body, route=route), 404)
    answer = post(client, track, raw(statement("proposal", RUSSIA)))
    assert answer.status_code == 201, answer.text
    written = answer.json()["position"]  # the raw post is not noted by the client
    state = client.get(f"/v1/tracks/{track}", min_position=written, expect=200).json()
    assert state["statement_count"] == 1


def test_a_query_string_on_a_write_is_refused_before_anything_is_recorded(client: Api) -> None:
    track = client.open_track("ssd")["id"]
    for route, body in [
        ("statements", ONE),
        ("statements:batch", raw({"statements": [statement("demand")]})),
    ]:
        answer = client.http.post(
            f"/v1/tracks/{track}/{route}?min_position=0",
            content=body,
            headers={**WRONG, "Content-Type": "application/json"},
        )
        assert refused(answer, 422) == [(("query", "min_position"), "unknown_parameter")]
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["statement_count"] == 0


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
