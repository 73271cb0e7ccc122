"""The rules of input that the red-team pass found loose (issue 16): the token is checked
before the body, a slug never reads as an id, booleans are JSON booleans, required text says
something visible, party names hold no invisible characters and are compared in NFC; and
`Allow` names every method of a path. On both stores."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.e2e.conftest import READER, RECORDER, RUSSIA, USA, Api, assert_problem, statement

WRONG = {"Authorization": "Bearer wrong"}
NFC = "Côte d'Ivoire"
NFD = unicodedata.normalize("NFD", NFC)


def error_types(response: Any, status: int = 422) -> list[str]:
    return [e["type"] for e in assert_problem(response, status).get("errors", [])]


def body_routes(client: Api) -> list[str]:
    """Every operation of the OpenAPI document that takes a body (a track `ssd` exists)."""
    paths = client.http.get("/openapi.json").json()["paths"]
    return [
        path.replace("{track}", "ssd").replace("{statement_id}", "00000000-0000-0000-0000-0000")
        for path, operations in paths.items()
        for operation in operations.values()
        if "requestBody" in operation
    ]


def test_a_body_that_is_not_json_is_401_without_a_token_and_403_with_a_reader_token(
    client: Api,
) -> None:
    client.open_track("ssd")
    routes = body_routes(client)
    assert len(routes) >= 7
    for route in routes:
        for body in (b'{"type": "demand", "party"', b'{"statements": [', b"\xff"):
            for who, status in ((WRONG, 401), ({}, 401), (READER, 403), (RECORDER, 400)):
                headers = {**who, "Content-Type": "application/json"}
                answer = client.http.post(route, content=body, headers=headers)
                assert_problem(answer, status)


@pytest.mark.parametrize(
    "slug",
    [
        "2f1e0d4c-9b8a-4766-8554-43322110ffee",  # as `{track}` is read first: an id
        "2f1e0d4c9b8a4766855443322110ffee",
        "2f1e-0d4c-9b8a-4766-8554-4332-2110-ffee",
    ],
)
def test_a_slug_that_reads_as_a_uuid_is_422_and_opens_no_track(client: Api, slug: str) -> None:
    body = {"kind": "bilateral", "title": "T", "slug": slug, "parties": [RUSSIA]}
    answer = client.post("/v1/tracks", body)
    assert error_types(answer) == ["slug_is_an_id"]
    assert slug in answer.json()["errors"][0]["msg"]
    assert client.get("/v1/tracks", expect=200).json()["items"] == []


def test_a_title_that_would_slug_to_a_uuid_gets_a_slug_that_does_not(client: Api) -> None:
    body = {"kind": "bilateral", "title": "2f1e0d4c9b8a4766855443322110ffee", "parties": [RUSSIA]}
    opened = client.post("/v1/tracks", body, expect=201).json()
    assert opened["slug"] == "track-2f1e0d4c9b8a4766855443322110ffee"
    assert client.get(f"/v1/tracks/{opened['slug']}", expect=200).json()["id"] == opened["id"]


@pytest.mark.parametrize("value", ["yes", 1, 0, "true", "false"])
def test_a_boolean_is_json_true_or_false_and_nothing_else(client: Api, value: Any) -> None:
    track = client.open_track("ssd")["id"]
    demand = client.record(track, "demand", red_line=True)["id"]
    writes = [
        (f"/v1/tracks/{track}/statements", statement("demand", red_line=value)),
        (
            f"/v1/tracks/{track}/statements:batch",
            {"statements": [statement("demand", red_line=value)]},
        ),
        (
            f"/v1/tracks/{track}/statements/{demand}/corrections",
            {"changes": {"red_line": value}, "reason": "typo"},
        ),
    ]
    for path, body in writes:
        assert "bool_type" in error_types(client.post(path, body)), path
    shown = client.get(f"/v1/tracks/{track}/statements/{demand}", expect=200).json()
    assert shown["red_line"] is True


@pytest.mark.parametrize("blank", [" ", "\t \n", "\u3000\u00a0", " \u200b "])
def test_required_text_needs_a_visible_character(client: Api, blank: str) -> None:
    track = client.open_track("ssd")["id"]
    demand = client.record(track, "demand")["id"]
    statements = f"/v1/tracks/{track}/statements"
    for path, body in [
        ("/v1/tracks", {"kind": "other", "title": blank, "parties": [RUSSIA]}),
        (statements, statement("demand", summary=blank)),
        (statements, statement("demand", topics=[blank])),
        (statements, statement("proposal", condition=blank)),
        (f"{statements}/{demand}/corrections", {"changes": {"summary": blank}, "reason": "x"}),
        (f"{statements}/{demand}/retraction", {"reason": blank}),
    ]:
        assert "blank_text" in error_types(client.post(path, body)), (path, body)
    answer = client.post(statements, statement("demand", summary=f"{blank}No missiles{blank}"))
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize(
    "character, named",
    [
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\x07", "U+0007"),
        ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
    ],
)
def test_a_name_with_an_invisible_character_is_422_naming_the_character(
    client: Api, character: str, named: str
) -> None:
    track = client.open_track("ssd")["id"]
    name = f"Rus{character}sia"
    for path, body in [
        ("/v1/tracks", {"kind": "other", "title": "T", "slug": "t", "parties": [name]}),
        (f"/v1/tracks/{track}/parties", {"name": name}),
        (f"/v1/tracks/{track}/statements", statement("demand", party=name)),
        (f"/v1/tracks/{track}/statements", statement("demand", USA, with_parties=[name])),
    ]:
        answer = client.post(path, body)
        assert "invisible_character" in error_types(answer), (path, answer.text)
        assert named in answer.text
    assert client.get(f"/v1/tracks/{track}", expect=200).json()["parties"] == [
        RUSSIA,
        USA,
        "NATO",
    ]


def test_party_names_are_kept_in_nfc_and_compared_in_it(client: Api) -> None:
    opened = client.open_track("civ", parties=[NFD, RUSSIA])
    assert opened["parties"] == [NFC, RUSSIA]
    track = opened["id"]
    for party in (NFC, NFD):
        assert client.record(track, "demand", party)["party"] == NFC
    assert (
        "already a party"
        in assert_problem(client.post(f"/v1/tracks/{track}/parties", {"name": NFD}), 422)["detail"]
    )
    refused = client.post("/v1/tracks", {"kind": "other", "title": "T", "parties": [NFC, NFD]})
    assert "distinct" in assert_problem(refused, 422)["detail"]


def test_a_party_recorded_before_these_rules_is_the_party_its_plain_name_names(
    client: Api,
) -> None:
    """Names the old code took as sent (NFD, a zero-width space) stay as recorded; a client
    now names them in NFC and without the invisible character, and the statement is
    recorded under the track's own spelling, so the track's boards keep one party."""
    tracker = client.http.app.state.tracker  # type: ignore[attr-defined]
    old_spellings = [NFD, "Russia\u200b"]
    tracker.app.open_track(
        slug="old",
        kind="other",
        title="Recorded before",
        venue=None,
        parties=old_spellings,
        opened_at="2021-12-01",
        recorded_by="old-release",
    )
    for sent, kept in ((NFC, NFD), ("Russia", "Russia\u200b")):
        written = client.record("old", "demand", sent, summary=f"{sent} asks")
        assert written["party"] == kept
        board = client.get("/v1/tracks/old/demands", {"party": kept}, expect=200).json()
        assert [d["summary"] for d in board["items"]] == [f"{sent} asks"]
    answer = client.post("/v1/tracks/old/parties", {"name": "Russia"})
    assert "already a party" in assert_problem(answer, 422)["detail"]


def test_options_and_405_answers_name_every_method_of_the_path(client: Api) -> None:
    client.open_track("ssd")
    paths = client.http.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        concrete = path.replace("{track}", "ssd").replace("{statement_id}", "s1")
        documented = {method.upper() for method in operations}
        answer = client.http.options(concrete)
        assert answer.status_code == 204, (path, answer.text)
        assert set(answer.headers["allow"].split(", ")) == documented | {"OPTIONS"}, path
        refused = client.http.request("PATCH", concrete, headers=RECORDER)
        assert_problem(refused, 405)
        assert refused.headers["allow"] == answer.headers["allow"], path
