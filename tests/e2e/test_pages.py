"""The pages for people under `/` (HTML), next to the JSON API: the overview and its
filters, problems as pages for a browser (problem+json for everyone else), a token-only
server, and /docs and /redoc without any asset from another origin."""

from __future__ import annotations

import re

from tests.e2e.conftest import NATO, READER, RUSSIA, USA, Api, assert_problem

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def cards(html: str) -> list[str]:
    return re.findall(r'<h2 id="track-([\w-]+)">', html)


def field(html: str, slug: str, name: str) -> str:
    card = html.split(f'id="track-{slug}"', 1)[1].split("</article>", 1)[0]
    found = re.search(rf'data-field="{name}">\s*([^<]*?)\s*</dd>', card)
    assert found, (slug, name, card)
    return found[1]


def tracks_with_statements(client: Api) -> None:
    client.open_track("ssd", kind="bilateral", parties=[RUSSIA, USA])
    client.open_track("nrc", kind="nato", parties=[RUSSIA, NATO])
    client.record("ssd", "demand", occurred_at="2021-12-17")
    client.record("ssd", "demand", occurred_at="2022-01-10")
    client.record("ssd", "warning", USA, occurred_at="2022-01-12")
    client.record("ssd", "sanction_warning", USA, occurred_at="2022-01-13")
    client.record("nrc", "demand", occurred_at="2022-01-12")
    client.record("nrc", "meeting_scheduled", NATO, meeting_at="2022-01-12", location="Brussels")
    client.get("/v1/tracks", expect=200)  # the read model has applied every write


def test_the_overview_shows_every_track_with_its_counts(client: Api) -> None:
    tracks_with_statements(client)
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert sorted(cards(html)) == ["nrc", "ssd"]
    assert field(html, "ssd", "open-demands") == "2"
    assert field(html, "ssd", "active-warnings") == "2"  # a warning and a sanction warning
    assert field(html, "nrc", "open-demands") == "1"
    assert field(html, "nrc", "next-meeting") == "2022-01-12, Brussels"
    assert field(html, "ssd", "next-meeting") == "none scheduled"
    assert field(html, "ssd", "last-statement") == "2022-01-13"
    assert 'href="/tracks/ssd"' in html  # the track's own page


def test_the_filters_narrow_the_overview_like_the_json_list(client: Api) -> None:
    tracks_with_statements(client)
    for query, slugs in [
        ({"kind": "nato"}, ["nrc"]),
        ({"party": USA}, ["ssd"]),
        ({"party": RUSSIA, "status": "active"}, ["nrc", "ssd"]),
        ({"status": "concluded"}, []),
        ({"kind": "", "party": "", "status": ""}, ["nrc", "ssd"]),  # a form left as it was
    ]:
        html = client.http.get("/", params=query).text
        assert sorted(cards(html)) == slugs, query
        listed = client.get("/v1/tracks", {k: v for k, v in query.items() if v}).json()
        assert sorted(t["slug"] for t in listed["items"]) == slugs, query


def test_an_unknown_parameter_is_refused_as_a_problem_or_as_a_page(client: Api) -> None:
    assert_problem(client.http.get("/", params={"knd": "nato"}), 422)
    page = client.http.get("/", params={"knd": "nato"}, headers=BROWSER)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert "knd" in page.text and "<main" in page.text
    assert_problem(client.http.get("/", params={"kind": "treaty"}), 422)
    assert client.http.get("/", params={"kind": "treaty"}, headers=BROWSER).status_code == 422


def test_a_browser_gets_an_unknown_page_as_a_page_and_the_api_stays_json(client: Api) -> None:
    page = client.http.get("/nothing", headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert_problem(client.http.get("/nothing"), 404)
    assert_problem(client.http.get("/v1/tracks/none", headers=BROWSER), 404)


def test_without_public_reads_a_browser_is_sent_to_sign_in(start_app) -> None:
    client = start_app(public_reads=False)
    page = client.http.get("/", params={"kind": "nato"}, headers=BROWSER, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/signin?next=%2F%3Fkind%3Dnato"
    assert_problem(client.http.get("/"), 401)  # a script still gets the problem
    assert client.http.get("/", headers={**BROWSER, **READER}).status_code == 200


def test_docs_and_redoc_load_no_asset_from_another_origin(client: Api) -> None:
    for path in ("/docs", "/redoc"):
        page = client.http.get(path)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)', page.text)
        assert assets, page.text
        assert not [a for a in assets if re.match(r"(https?:)?//", a)], (path, assets)
        assert not re.search(r"https?://", page.text), page.text
        assert "img-src 'self'" in page.headers["content-security-policy"]
        for asset in assets:
            assert client.http.get(asset).status_code == 200, asset
    assert client.http.get("/static/site.css").headers["content-type"].startswith("text/css")
