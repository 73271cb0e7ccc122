"""The statement page (`/tracks/{track}/statements/{id}`): the statement as recorded (who
said it, who relayed it, what was claimed, its condition, what it answers and which tracks
it concerns), its sources as links out, its corrections with their reasons, its retraction
with its reason, and its events as recorded; an unknown statement is the 404 problem."""

from __future__ import annotations

import html
import re

from tests.e2e.conftest import NATO, RUSSIA, USA, Api, assert_problem
from tests.e2e.test_pages import BROWSER

SOURCE = {
    "url": "https://example.org/psaki?a=1&b=2",
    "title": "Statement by Press Secretary Jen Psaki",
    "publisher": "White House",
    "role": "original",
}


def field(page: str, name: str) -> str:
    found = re.search(rf'<dd data-field="{name}">(.*?)</dd>', page, re.S)
    assert found, name
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", found[1])).split())


def statement_page(client: Api, track: str, statement_id: str) -> str:
    page = client.http.get(f"/tracks/{track}/statements/{statement_id}")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    return page.text


def negotiation(client: Api) -> dict[str, str]:
    client.open_track("leaders", parties=[RUSSIA, USA], title="Presidential contacts")
    client.open_track("nrc", kind="nato", parties=[RUSSIA, NATO], title="NATO-Russia Council")
    guarantees = client.record(
        "leaders", "demand", occurred_at="2021-12-30", summary="Legal guarantees, now."
    )
    warning = client.record(
        "leaders",
        "sanction_warning",
        USA,
        occurred_at="2021-12-30T23:30:00+03:00",
        summary="Biden: decisive answer if Russia invades Ukraine.",
        quote="He made clear that the United States will respond decisively.",
        speaker={"name": "Joe Biden", "role": "President of the United States"},
        reported_by={"name": "Jen Psaki", "role": "White House Press Secretary"},
        attribution="reported",
        target=RUSSIA,
        measures=["large-scale sanctions"],
        condition="if Russia further invades Ukraine",
        also_concerns=["nrc"],
        sources=[SOURCE],
    )
    claimed = client.record(
        "leaders",
        "response",
        USA,
        occurred_at="2021-12",
        summary="According to Ushakov, Biden agreed in principle.",
        attribution="claimed",
        claimed_by=RUSSIA,
        responds_to=guarantees["id"],
        position="accept",
    )
    client.get("/v1/statements", expect=200)  # the read model has applied every write
    return {"guarantees": guarantees["id"], "warning": warning["id"], "claimed": claimed["id"]}


def test_the_page_shows_the_statement_as_recorded_with_its_people_and_links(
    client: Api,
) -> None:
    ids = negotiation(client)
    page = statement_page(client, "leaders", ids["warning"])
    assert "Biden: decisive answer if Russia invades Ukraine." in page
    assert "He made clear that the United States will respond decisively." in page
    assert 'data-field="type">sanction_warning<' in page
    assert field(page, "occurred-at") == "2021-12-30T23:30:00+03:00 (time)"
    assert field(page, "party") == USA
    assert field(page, "speaker") == "Joe Biden (President of the United States)"
    assert field(page, "reported-by") == "Jen Psaki (White House Press Secretary)"
    assert field(page, "attribution") == "reported"
    assert field(page, "condition") == "if Russia further invades Ukraine"
    assert field(page, "target") == RUSSIA
    assert field(page, "measures") == "large-scale sanctions"
    assert '<a href="/tracks/nrc">NATO-Russia Council</a>' in page
    assert '<a href="/tracks/leaders">Presidential contacts</a>' in page
    source = re.search(r'<a href="([^"]+)" rel="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert source, page
    assert html.unescape(source[1]) == SOURCE["url"]
    assert {"noopener", "external"} <= set(source[2].split())
    assert html.unescape(source[3]) == SOURCE["title"]


def test_a_claimed_answer_names_its_claimant_and_links_what_it_answers(client: Api) -> None:
    ids = negotiation(client)
    page = statement_page(client, "leaders", ids["claimed"])
    assert field(page, "attribution") == "claimed"
    assert field(page, "claimed-by") == RUSSIA
    assert field(page, "occurred-at") == "2021-12 (month)"
    href = f"/tracks/leaders/statements/{ids['guarantees']}"
    assert f'<a href="{href}">Legal guarantees, now.</a>' in page
    demand = statement_page(client, "leaders", ids["guarantees"])
    assert 'data-field="claimed-status">claimed: accepted<' in demand
    answered = f'<a href="/tracks/leaders/statements/{ids["claimed"]}">'
    assert answered in demand  # the answers to it, linked


def test_corrections_show_their_reasons_and_a_retraction_its_reason_and_history(
    client: Api,
) -> None:
    ids = negotiation(client)
    client.correct(
        "leaders",
        ids["warning"],
        {"summary": "Biden: a decisive answer if Russia invades Ukraine again."},
        reason="the White House read-out says 'further'",
    )
    client.correct("leaders", ids["warning"], {"topics": ["sanctions"]}, reason="topic added")
    client.retract("leaders", ids["warning"], reason="recorded on the wrong track")
    client.get("/v1/statements", params={"include_retracted": "true"}, expect=200)
    page = statement_page(client, "leaders", ids["warning"])
    assert "Biden: a decisive answer if Russia invades Ukraine again." in page
    reasons = re.findall(r'data-field="correction-reason">([^<]*)<', page)
    assert [html.unescape(r) for r in reasons] == [
        "the White House read-out says 'further'",
        "topic added",
    ]
    assert re.search(r'data-field="retraction-reason">recorded on the wrong track<', page)
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>.*?</td><td>(\w+)</td></tr>", page)
    versions = [int(v) for v, _, _ in rows]
    assert [t for _, t, _ in rows] == [
        "SanctionWarningIssued",
        "StatementCorrected",
        "StatementCorrected",
        "StatementRetracted",
    ]
    assert versions == sorted(versions) and len(set(versions)) == 4
    assert {who for _, _, who in rows} == {"rita"}
    history = client.get("/v1/tracks/leaders/history", auth={"Authorization": "Bearer aud-secret"})
    recorded = {(e["version"], e["type"]) for e in history.json()["items"]}
    assert {(int(v), t) for v, t, _ in rows} <= recorded


def test_a_statement_is_found_by_the_tracks_id_as_by_its_slug(client: Api) -> None:
    ids = negotiation(client)
    track_id = client.track("leaders")["id"]
    page = statement_page(client, track_id, ids["guarantees"])
    assert "Legal guarantees, now." in page


def test_an_unknown_statement_or_track_is_the_404_problem(client: Api) -> None:
    ids = negotiation(client)
    for path in [
        "/tracks/leaders/statements/00000000-0000-8000-8000-000000000000",
        "/tracks/leaders/statements/not-an-id",
        f"/tracks/nowhere/statements/{ids['guarantees']}",
        f"/tracks/nrc/statements/{ids['guarantees']}",  # another track's statement
    ]:
        assert_problem(client.http.get(path), 404)
        page = client.http.get(path, headers=BROWSER)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "not found" in page.text
