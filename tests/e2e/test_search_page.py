"""The search page (`/search`): the same results as `GET /v1/statements` for the same query,
snippets with the words found marked (and nothing of a statement's text taken as HTML),
the CSV and calendar links to the same query, the next page, and a refused query shown
beside the form with its status."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.e2e.conftest import NATO, RUSSIA, USA, Api

Params = list[tuple[str, str]]


def some_statements(client: Api) -> dict[str, str]:
    client.open_track("ssd", parties=[RUSSIA, USA])
    client.open_track("nrc", kind="nato", parties=[RUSSIA, NATO])
    ids = {
        "treaty": client.record(
            "ssd", "demand", occurred_at="2021-12-17", summary="No NATO enlargement eastwards."
        )["id"],
        "answer": client.record(
            "ssd",
            "statement",
            USA,
            occurred_at="2022-01-10",
            summary="NATO's open door stays open.",
            speaker={"name": "Wendy Sherman", "role": "Deputy Secretary of State"},
        )["id"],
        "council": client.record(
            "nrc", "demand", occurred_at="2022-01-12", summary="Missiles out of Europe."
        )["id"],
        "meeting": client.record(
            "nrc", "meeting_scheduled", NATO, meeting_at="2022-01-12", location="Brussels"
        )["id"],
    }
    client.get("/v1/statements", expect=200)  # the read model has applied every write
    return ids


def result_ids(page: str) -> list[str]:
    return re.findall(r'<li class="result" data-id="([^"]+)"', page)


def link(page: str, text: str) -> str:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text)}</a>', page)
    assert found, text
    return html.unescape(found[1])


def api_ids(client: Api, params: Params) -> list[str]:
    answer = client.http.get("/v1/statements", params=params)
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]


def test_the_results_are_those_of_the_json_list_for_the_same_query(client: Api) -> None:
    ids = some_statements(client)
    queries: list[Params] = [
        [],
        [("q", "nato")],
        [("q", "nato -door")],
        [("type", "demand"), ("party", RUSSIA)],
        [("track", "nrc"), ("since", "2022-01"), ("until", "2022-01-12")],
        [("speaker", "wendy sherman")],
        [("type", "demand"), ("type", "statement"), ("q", "nato OR missiles")],
    ]
    for query in queries:
        page = client.http.get("/search", params=query)
        assert page.status_code == 200, (query, page.text)
        assert page.headers["content-type"].startswith("text/html")
        assert result_ids(page.text) == api_ids(client, query), query
    assert result_ids(client.http.get("/search", params={"q": "nato"}).text) == [
        ids["treaty"],
        ids["answer"],
        ids["meeting"],  # its summary, "NATO: a meeting scheduled"
    ]


def test_a_form_sent_with_its_fields_left_blank_is_no_filter(client: Api) -> None:
    some_statements(client)
    blank = {n: "" for n in ("q", "type", "party", "speaker", "track", "since", "until")}
    page = client.http.get("/search", params={**blank, "attribution": "", "cursor": ""})
    assert page.status_code == 200, page.text
    assert result_ids(page.text) == api_ids(client, [])


def test_the_csv_link_is_the_same_query_as_csv(client: Api) -> None:
    some_statements(client)
    query: Params = [("q", "nato"), ("type", "demand"), ("type", "statement"), ("track", "ssd")]
    page = client.http.get("/search", params=[*query, ("type", "")]).text
    href = link(page, "Download CSV")
    assert urlsplit(href).path == "/v1/statements"
    assert sorted(parse_qsl(urlsplit(href).query)) == sorted([*query, ("format", "csv")])
    csv = client.http.get(href)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text == client.http.get("/v1/statements", params=[*query, ("format", "csv")]).text


def test_the_next_page_link_carries_the_apis_cursor(client: Api) -> None:
    some_statements(client)
    first = client.http.get("/search", params={"type": "demand", "limit": 1}).text
    api_first = client.http.get("/v1/statements", params={"type": "demand", "limit": 1}).json()
    href = link(first, "Next page")
    assert dict(parse_qsl(urlsplit(href).query)) == {
        "type": "demand",
        "limit": "1",
        "cursor": api_first["next_cursor"],
    }
    second = client.http.get(href).text
    api_second = client.http.get(
        "/v1/statements", params={"type": "demand", "limit": 1, "cursor": api_first["next_cursor"]}
    ).json()
    assert result_ids(second) == [item["id"] for item in api_second["items"]]
    assert "Next page" not in second  # the last page


def test_a_statements_text_is_never_taken_as_html_in_a_result_or_its_snippet(
    client: Api,
) -> None:
    client.open_track("ssd", parties=[RUSSIA, USA])
    hostile = '<script>alert("x")</script> NATO <mark>not ours</mark> & <b>bold</b>'
    client.record("ssd", "demand", summary=hostile, quote=f"{hostile} <img src=x onerror=1>")
    client.get("/v1/statements", expect=200)
    page = client.http.get("/search", params={"q": "nato"}).text
    assert "<script>" not in page and "<b>" not in page and "<img" not in page
    assert "<mark>not ours</mark>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; <mark>NATO</mark> &lt;mark&gt;" in page


def test_the_meetings_calendar_is_linked_with_the_filters_it_shares(client: Api) -> None:
    ids = some_statements(client)
    query: Params = [("track", "nrc"), ("since", "2022-01"), ("until", "2022-02"), ("q", "x")]
    page = client.http.get("/search", params=query, headers={"host": "tracker.example"}).text
    href = link(page, "Meetings calendar (.ics)")
    assert urlsplit(href).path == "/v1/meetings.ics"
    shared = [("track", "nrc"), ("from", "2022-01"), ("to", "2022-02")]
    assert parse_qsl(urlsplit(href).query) == shared
    assert link(page, "subscribe (webcal)") == "webcal://tracker.example" + href
    calendar = client.http.get(href)
    assert calendar.status_code == 200
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert f"UID:{ids['meeting']}" in calendar.text
    bare = client.http.get("/search").text
    assert link(bare, "Meetings calendar (.ics)") == "/v1/meetings.ics"


def refused(client: Api, params: dict[str, Any]) -> str:
    page = client.http.get("/search", params=params)
    assert page.status_code == 422, page.text
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<form class="filters search-form"' in text  # the form stays, filled in
    problem = text.split('id="search-problem"', 1)[1].split("</section>", 1)[0]
    assert 'class="result"' not in text
    return html.unescape(problem)


def test_a_refused_query_is_shown_beside_the_form_with_the_apis_words(client: Api) -> None:
    some_statements(client)
    for params, parameter in [
        ({"q": "-nato -door"}, "q"),
        ({"since": "2021-13"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"track": "nowhere"}, "track"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ]:
        problem = refused(client, params)
        api = client.http.get("/v1/statements", params=params)
        assert api.status_code == 422
        assert api.json()["title"] in problem and api.json()["detail"] in problem, parameter
    assert 'value="-nato -door"' in client.http.get("/search", params={"q": "-nato -door"}).text


def invalid_fields(page: str) -> list[str]:
    return re.findall(r'<(?:input|select) id="(\w+)"[^>]*aria-invalid="true"', page)


def test_the_field_a_refusal_names_is_marked_invalid(client: Api) -> None:
    some_statements(client)
    assert invalid_fields(client.http.get("/search", params={"q": "-nato"}).text) == ["q"]
    assert invalid_fields(client.http.get("/search", params={"track": "nowhere"}).text) == ["track"]
    assert invalid_fields(client.http.get("/search", params={"q": "nato"}).text) == []
