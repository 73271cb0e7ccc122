"""The track page (`/tracks/{track}`) over HTTP, on both stores: what it shows now, on a
date (`on=`, world time) and as recorded (`version`, auditors only), the verify badge, the
overview on a date, and refusals as pages."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import ANONYMOUS, AUDITOR, NATO, READER, RUSSIA, USA, Api

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def negotiation(client: Api) -> dict[str, Any]:
    """Two tracks: on `ssd`, a demand countered (and earlier claimed accepted), a sanction
    warning with a condition and a warning replying to it, a warning withdrawn, a meeting
    held and one scheduled; on `nrc`, a demand that also concerns `ssd`."""
    client.open_track("ssd", parties=[RUSSIA, USA])
    client.open_track("nrc", kind="nato", parties=[RUSSIA, NATO])
    ids: dict[str, Any] = {}
    ids["demand"] = client.record("ssd", "demand", occurred_at="2021-12-17", red_line=True)["id"]
    ids["claimed"] = client.record(
        "ssd", "response", USA, occurred_at="2021-12-30", responds_to=ids["demand"],
        position="accept", attribution="claimed", claimed_by=RUSSIA,
    )["id"]  # fmt: skip
    client.record(
        "ssd", "response", USA, occurred_at="2022-01-26", responds_to=ids["demand"],
        position="counter",
    )  # fmt: skip
    ids["sanction"] = client.record(
        "ssd", "sanction_warning", USA, occurred_at="2021-12-30",
        condition="if Russia invades Ukraine",
    )["id"]  # fmt: skip
    ids["reply"] = client.record(
        "ssd", "warning", occurred_at="2021-12-31", responds_to=ids["sanction"]
    )["id"]
    ids["old"] = client.record("ssd", "warning", occurred_at="2021-12-20")["id"]
    client.record("ssd", "withdrawal", occurred_at="2022-01-05", withdraws=ids["old"])
    client.record("ssd", "meeting_held", USA, occurred_at="2022-01-10", location="Geneva")
    client.record(
        "ssd", "meeting_scheduled", USA, occurred_at="2022-01-10", meeting_at="2022-02-01",
        location="Geneva",
    )  # fmt: skip
    ids["related"] = client.record(
        "nrc", "demand", occurred_at="2022-01-12", also_concerns=["ssd"]
    )["id"]
    client.get("/v1/tracks", expect=200)  # the read model has applied every write
    return ids


def page(client: Api, path: str, auth: dict[str, str] = ANONYMOUS, **params: Any) -> str:
    response = client.http.get(path, params=params, headers={**BROWSER, **auth})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def part(html: str, start: str, end: str = "</ul>") -> str:
    """The HTML from the first `start` to the next `end`."""
    assert start in html, start
    return html.split(start, 1)[1].split(end, 1)[0]


def board(html: str) -> dict[str, tuple[str, str | None]]:
    """The demand board's rows: statement id -> (status, claimed status)."""
    rows = re.findall(
        r'<tr id="board-([\w-]+)" data-status="(\w+)"(?: data-claimed="(\w+)")?',
        part(html, 'data-board="demands"', "</table>"),
    )
    return {i: (status, claimed or None) for i, status, claimed in rows}


def test_the_track_page_shows_the_board_the_warnings_the_meetings_and_the_timeline(
    client: Api,
) -> None:
    ids = negotiation(client)
    html = page(client, "/tracks/ssd")
    assert "<h1>Track ssd</h1>" in html
    assert board(html) == {ids["demand"]: ("countered", "accepted")}
    assert "claimed by Russia, not established" in html
    assert f'id="warning-{ids["sanction"]}"' in part(html, 'data-warnings="active"', "</ul>\n")
    assert f'id="warning-{ids["old"]}"' in part(html, 'data-warnings="withdrawn"', "</ul>\n")
    warning = part(html, f'id="warning-{ids["sanction"]}"', "</li>\n    <li")
    assert "Condition: if Russia invades Ukraine" in warning
    assert f'href="#s-{ids["reply"]}"' in warning  # the reply, linked on the page
    assert '<span data-field="next-meeting">2022-02-01, Geneva</span>' in html
    assert f'href="/tracks/ssd/statements/{ids["demand"]}"' in html
    related = part(html, f'id="s-{ids["related"]}"', "</article>")
    assert 'From another track: <a href="/tracks/nrc">' in related
    assert f'href="/tracks/nrc/statements/{ids["related"]}"' in related
    assert 'href="/tracks/ssd/record"' in html
    assert 'id="head-hash"' not in html  # the audit part is for auditors


def test_the_board_on_the_page_is_the_board_the_api_answers(client: Api) -> None:
    negotiation(client)
    client.record("ssd", "demand", USA, occurred_at="2022-01-11")
    client.get("/v1/tracks", expect=200)
    api = {d["id"]: (d["status"], d["claimed_status"]) for d in client.demands("ssd")}
    assert board(page(client, "/tracks/ssd")) == api


def test_a_date_shows_the_track_as_it_stood_then(client: Api) -> None:
    ids = negotiation(client)
    html = page(client, "/tracks/ssd", on="2021-12-31")
    assert board(html) == {ids["demand"]: ("open", "accepted")}  # the counter came later
    assert f'id="warning-{ids["old"]}"' in part(html, 'data-warnings="active"', "</ul>\n")
    assert f'id="s-{ids["related"]}"' not in html  # said on 12 January
    assert '<span data-field="next-meeting">none scheduled</span>' in html
    assert 'name="on" value="2021-12-31"' in html
    assert "Shown as on <strong>2021-12-31</strong>" in html


def test_the_overview_on_a_date_counts_what_stood_then_and_links_the_track_on_that_date(
    client: Api,
) -> None:
    negotiation(client)
    now = page(client, "/")
    then = page(client, "/", on="2021-12-31")
    assert _card_field(now, "ssd", "open-demands") == "0"
    assert _card_field(then, "ssd", "open-demands") == "1"
    assert _card_field(now, "ssd", "active-warnings") == "2"
    assert _card_field(then, "ssd", "active-warnings") == "3"
    assert 'href="/tracks/ssd?on=2021-12-31"' in then
    assert _card_field(then, "nrc", "last-statement") == "none yet"


def _card_field(html: str, slug: str, name: str) -> str:
    card = part(html, f'id="track-{slug}"', "</article>")
    found = re.search(rf'data-field="{name}">\s*([^<]*?)\s*</dd>', card)
    assert found, (slug, name)
    return found[1]


def test_an_auditor_sees_the_verified_head_hash_and_the_track_as_recorded(client: Api) -> None:
    ids = negotiation(client)
    verify = client.get("/v1/tracks/ssd/verify", auth=AUDITOR, expect=200).json()
    html = page(client, "/tracks/ssd", auth=AUDITOR)
    assert 'data-verify="valid"' in html
    assert f'<code id="head-hash" class="hash">{verify["head_hash"]}</code>' in html
    early = page(client, "/tracks/ssd", auth=AUDITOR, version=3)  # opened, demand, claim
    assert board(early) == {ids["demand"]: ("open", "accepted")}
    assert f'id="s-{ids["sanction"]}"' not in early
    assert "version 3</strong>" in early
    both = page(client, "/tracks/ssd", auth=AUDITOR, version=3, on="2021-12-17")
    assert board(both) == {ids["demand"]: ("open", None)}


def test_as_recorded_needs_an_auditor_and_bad_input_is_a_problem_page(client: Api) -> None:
    negotiation(client)
    refused = client.http.get(
        "/tracks/ssd", params={"version": 3}, headers=BROWSER, follow_redirects=False
    )
    assert refused.status_code == 303  # a browser without a token is sent to sign in
    assert refused.headers["location"] == "/signin?next=%2Ftracks%2Fssd%3Fversion%3D3"
    reader = client.http.get("/tracks/ssd", params={"version": 3}, headers={**BROWSER, **READER})
    assert reader.status_code == 403
    for params, status in [
        ({"on": "the 29th"}, 422),
        ({"version": 0}, 422),
        ({"kind": "nato"}, 422),  # not a parameter of this page
    ]:
        answer = client.http.get("/tracks/ssd", params=params, headers=BROWSER)
        assert answer.status_code == status, params
        assert answer.headers["content-type"].startswith("text/html")
    both = {"version": 3, "recorded_at": "2022-01-01"}
    answer = client.http.get("/tracks/ssd", params=both, headers={**BROWSER, **AUDITOR})
    assert answer.status_code == 422


def test_an_unknown_track_is_a_404_page(client: Api) -> None:
    answer = client.http.get("/tracks/nowhere", headers=BROWSER)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Track not found" in answer.text


def test_a_track_with_nothing_said_yet_has_a_page_without_a_slider(client: Api) -> None:
    client.open_track("quiet", parties=[RUSSIA, NATO])
    client.get("/v1/tracks", expect=200)
    html = page(client, "/tracks/quiet")
    assert "Nothing said yet." in html
    assert 'type="range"' not in html  # no days to slide over; the date field still works
    assert 'name="on"' in html
    assert '<td colspan="5" class="none">No demands.</td>' in html
