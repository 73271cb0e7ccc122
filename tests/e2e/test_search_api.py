"""Full text (`q` on /v1/statements) and the people named (/v1/actors) over HTTP, with the
shipped examples loaded. What a query should find is worked out from the example files with
regular expressions over the searched fields (summary, quote, speaker and reporter names,
source titles); SQLite and PostgreSQL must find the same statements."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.api.app import create_app
from tests.conftest import drop_schema, postgres_url_or_skip
from tests.e2e.conftest import TOKENS, USA, Api, assert_problem
from tests.e2e.scenario_checks import CALL, FIRST, board_order, load_over_http, read_example

EXAMPLES = (read_example(FIRST), read_example(CALL))
RAW = [raw for data in EXAMPLES for raw in data["statements"]]
QUERIES = ("NATO", '"open door"', "NATO -enlargement", "Geneva OR Brussels", "Ushakov sanctions")


@pytest.fixture
def loaded(client: Api) -> dict[str, str]:
    return load_examples(client)


def load_examples(client: Api) -> dict[str, str]:
    ids: dict[str, str] = {}
    for data in EXAMPLES:
        ids.update(load_over_http(client, data))
    return ids


def searched(raw: dict[str, Any]) -> list[str]:
    sources = raw.get("sources") or ([raw["source"]] if raw.get("source") else [])
    people = [(raw.get(k) or {}).get("name") for k in ("speaker", "reported_by")]
    texts = [raw.get("summary"), raw.get("quote"), *people, *(s.get("title") for s in sources)]
    return [t for t in texts if t]


def has(*words: str) -> Callable[[dict[str, Any]], bool]:
    """Whether a statement's searched text holds `words` one after the other."""
    pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, words)) + r"\b", re.IGNORECASE)
    return lambda raw: any(pattern.search(text) for text in searched(raw))


def refs_where(test: Callable[[dict[str, Any]], bool]) -> list[str]:
    return board_order(EXAMPLES, [raw["ref"] for raw in RAW if test(raw)])


def found(client: Api, q: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/statements", {"q": q, "limit": 500, **params}, expect=200).json()
    return answer["items"]  # type: ignore[no-any-return]


def refs_found(client: Api, loaded: dict[str, str], q: str) -> list[str]:
    by_id = {v: k for k, v in loaded.items()}
    return [by_id[item["id"]] for item in found(client, q)]


def test_nato_finds_the_alliance_passages_with_snippets_around_the_word(
    client: Api, loaded: dict[str, str]
) -> None:
    expected = refs_where(has("nato"))
    items = found(client, "NATO")

    assert len(expected) >= 5
    assert [item["id"] for item in items] == [loaded[ref] for ref in expected]
    for item in items:
        assert 0 < len(item["snippet"]) <= 200
        assert re.search(r"\bnato\b", item["snippet"], re.IGNORECASE), item["snippet"]
    assert found(client, "nato") == items  # case does not matter


def test_a_search_read_in_pages_of_two_gives_the_one_page_s_statements_in_its_order(
    client: Api, loaded: dict[str, str]
) -> None:
    whole = [item["id"] for item in found(client, "NATO")]
    paged: list[str] = []
    cursor = None
    while True:
        query = {"q": "NATO", "limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/v1/statements", query, expect=200).json()
        paged += [item["id"] for item in answer["items"]]
        if (cursor := answer["next_cursor"]) is None:
            break

    assert len(whole) >= 5
    assert paged == whole


def test_phrases_exclusions_and_or_select_as_in_web_search(
    client: Api, loaded: dict[str, str]
) -> None:
    door, nato, enlargement = has("open", "door"), has("nato"), has("enlargement")
    geneva, brussels = has("geneva"), has("brussels")
    ushakov, sanctions = has("ushakov"), has("sanctions")
    cases = {
        '"open door"': refs_where(door),
        "NATO -enlargement": refs_where(lambda r: nato(r) and not enlargement(r)),
        'NATO -"open door"': refs_where(lambda r: nato(r) and not door(r)),
        "Geneva OR Brussels": refs_where(lambda r: geneva(r) or brussels(r)),
        "Ushakov sanctions": refs_where(lambda r: ushakov(r) and sanctions(r)),
    }
    for q, expected in cases.items():
        assert expected, q
        assert refs_found(client, loaded, q) == expected, q
    assert set(cases["NATO -enlargement"]) < set(refs_where(nato))
    assert refs_found(client, loaded, '"door open"') == refs_where(has("door", "open"))


def test_q_combines_with_the_other_filters(client: Api, loaded: dict[str, str]) -> None:
    items = found(client, "NATO", party=USA, track="us-russia-ssd")
    expected = refs_where(
        lambda r: has("nato")(r) and r["party"] == USA and r["track"] == "us-russia-ssd"
    )
    assert [item["id"] for item in items] == [loaded[ref] for ref in expected] != []


def test_accents_are_ignored_both_ways(client: Api) -> None:
    client.open_track("ssd")
    elysee = client.record("ssd", "statement", summary="Talks at the Élysée palace")["id"]
    zurich = client.record("ssd", "statement", summary="A round in Zurich", quote="Ça va")["id"]

    for q, expected in (("elysee", elysee), ("ÉLYSÉE", elysee), ("Zürich", zurich), ("ca", zurich)):
        items = found(client, q)
        assert [item["id"] for item in items] == [expected], q
    assert found(client, "elysee")[0]["snippet"] == "Talks at the Élysée palace"


def test_a_query_with_nothing_to_look_for_is_refused(client: Api) -> None:
    for q in ("-nato", '-"open door"', "?!"):
        problem = assert_problem(client.get("/v1/statements", {"q": q}), 422)
        assert problem["detail"] == "q needs at least one word to look for"
        assert problem["errors"][0]["loc"] == ["query", "q"]


def test_a_corrected_or_retracted_statement_is_found_as_it_now_stands(client: Api) -> None:
    client.open_track("ssd")
    said = client.record("ssd", "statement", summary="about missiles")["id"]
    client.correct("ssd", said, {"summary": "about troops", "speaker": {"name": "Sergei Ryabkov"}})

    assert found(client, "missiles") == []
    assert [item["id"] for item in found(client, "troops ryabkov")] == [said]
    client.retract("ssd", said)
    assert found(client, "troops") == []
    assert [item["id"] for item in found(client, "troops", include_retracted="true")] == [said]


def people(client: Api, **params: Any) -> dict[str, dict[str, Any]]:
    answer = client.get("/v1/actors", {"limit": 500, **params}, expect=200).json()
    return {person["name"]: person for person in answer["items"]}


def test_actors_carry_their_roles_parties_tracks_and_statement_counts(
    client: Api, loaded: dict[str, str]
) -> None:
    everyone = people(client)
    for name in ("Yuri Ushakov", "Joe Biden", "Sergey Lavrov"):
        naming = [
            raw
            for raw in RAW
            if name
            in ((raw.get("speaker") or {}).get("name"), (raw.get("reported_by") or {}).get("name"))
        ]
        person = everyone[name]
        assert person["statement_count"] == len(naming)
        assert person["tracks"] == sorted({raw["track"] for raw in naming})
        assert person["parties"] == sorted({raw["party"] for raw in naming})
        roles = {
            (raw.get(k) or {}).get("role")
            for raw in naming
            for k in ("speaker", "reported_by")
            if (raw.get(k) or {}).get("name") == name
        }
        assert person["roles"] == sorted(r for r in roles if r)
    assert list(everyone) == sorted(everyone, key=str.lower)


def test_actors_are_found_by_words_of_their_name_or_roles_and_paged(
    client: Api, loaded: dict[str, str]
) -> None:
    everyone = people(client)
    assert set(people(client, q="ushakov")) == {"Yuri Ushakov"}
    role_word = everyone["Yuri Ushakov"]["roles"][0].split()[-1]
    assert "Yuri Ushakov" in people(client, q=f"yuri {role_word}")
    assert people(client, q="ushakov biden") == {}
    names: list[str] = []
    cursor = None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        answer = client.get("/v1/actors", query, expect=200).json()
        names += [person["name"] for person in answer["items"]]
        if (cursor := answer["next_cursor"]) is None:
            break
    assert names == list(everyone)


def test_actors_follow_corrections_that_move_a_speaker_and_retractions(client: Api) -> None:
    client.open_track("ssd")
    client.open_track("nrc")
    ryabkov = {"name": "Sergei Ryabkov", "role": "Deputy Foreign Minister"}
    lavrov = {"name": "Sergey Lavrov", "role": "Foreign Minister"}
    said = client.record("ssd", "statement", summary="on missiles", speaker=ryabkov)["id"]
    troops = client.record(
        "nrc", "statement", summary="on troops", speaker=ryabkov, reported_by=lavrov
    )["id"]
    assert people(client)["Sergei Ryabkov"]["tracks"] == ["nrc", "ssd"]

    client.correct("ssd", said, {"speaker": lavrov})
    everyone = people(client)
    assert everyone["Sergei Ryabkov"]["statement_count"] == 1
    assert everyone["Sergei Ryabkov"]["tracks"] == ["nrc"]
    assert everyone["Sergey Lavrov"]["statement_count"] == 2
    assert everyone["Sergey Lavrov"]["tracks"] == ["nrc", "ssd"]

    client.retract("ssd", said)
    assert people(client)["Sergey Lavrov"]["statement_count"] == 1
    assert people(client)["Sergey Lavrov"]["tracks"] == ["nrc"]
    assert set(people(client, q="minister")) == {"Sergei Ryabkov", "Sergey Lavrov"}
    client.correct("nrc", troops, {"speaker": {"name": "Maria Zakharova"}, "reported_by": None})
    assert list(people(client)) == ["Maria Zakharova"]
    assert people(client, q="minister") == {}


def test_a_person_named_twice_in_a_statement_counts_it_once_with_both_roles(client: Api) -> None:
    client.open_track("ssd")
    client.record(
        "ssd",
        "statement",
        speaker={"name": "Sergeï Lavrov", "role": "Foreign Minister"},
        reported_by={"name": "Sergei Lavrov", "role": "Head of delegation"},
    )

    assert people(client) == {
        "Sergei Lavrov": {
            "name": "Sergei Lavrov",
            "roles": ["Foreign Minister", "Head of delegation"],
            "parties": ["Russia"],
            "statement_count": 1,
            "tracks": ["ssd"],
        }
    }


@pytest.mark.postgres
def test_the_same_queries_find_the_same_statements_on_sqlite_and_postgresql(tmp_path: Any) -> None:
    answers = []
    pg_url = postgres_url_or_skip()
    try:
        for url in (f"sqlite:///{tmp_path}/ntrack.sqlite3", pg_url):
            settings = Settings(database_url=url, api_tokens=TOKENS, embedded_projector=True)
            with TestClient(create_app(settings)) as http:
                api = Api(http, settings)
                ids = load_examples(api)
                answers.append({q: refs_found(api, ids, q) for q in QUERIES})
    finally:
        drop_schema(pg_url)
    assert answers[0] == answers[1]
    assert all(answers[0].values())
