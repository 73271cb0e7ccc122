"""Writes on the hottest routes (`POST .../statements` and `.../statements:batch`, solved by
services.api.direct): the valid forms and every refusal, in the order the contract gives;
reads are in test_hot_routes.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import (
    READER,
    RUSSIA,
    Api,
    assert_problem,
    statement,
)
from tests.e2e.hot_requests import ONE, WRONG, post, raw, refused


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
