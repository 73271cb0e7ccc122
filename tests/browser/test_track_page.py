"""What a person sees on a track's page: the demand board with a claimed status marked apart,
the warnings and meetings, the date slider moved back to 29 December 2021, the overview on
that date, and a narrow screen where only the timeline's lanes scroll sideways."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Api
from tests.e2e.scenario_checks import CALL, FIRST, load_over_http, read_example

pytestmark = pytest.mark.browser

EXAMPLES = [read_example(FIRST), read_example(CALL)]
SSD = "us-russia-ssd"
DAY = "2021-12-29"  # the README's example: the 30 December call has not happened yet


def by_ref(ref: str) -> dict:  # type: ignore[type-arg]
    return next(s for example in EXAMPLES for s in example["statements"] if s["ref"] == ref)


@pytest.fixture(scope="module")
def both(site: str) -> Iterator[str]:
    """The site with the second example loaded too: it holds the claimed statuses."""
    with httpx.Client(base_url=site, timeout=30) as http:
        api = Api(http, None)  # type: ignore[arg-type]  # an httpx client, as TestClient is
        load_over_http(api, EXAMPLES[1])
        api.get("/v1/tracks", expect=200)  # the read model has applied the last write
    yield site


def board_row(page: Page, ref: str):  # type: ignore[no-untyped-def]
    board = page.get_by_role("table", name=re.compile("^Demands and their status"))
    return board.get_by_role("row").filter(has_text=by_ref(ref)["summary"])


def test_a_track_shows_its_board_with_claimed_statuses_apart_its_warnings_and_meetings(
    both: str, page: Page
) -> None:
    page.goto(both + "/tracks/us-russia-leaders")
    expect(page.get_by_role("heading", level=1)).to_have_text("US-Russia presidential contacts")
    row = board_row(page, "c30-ru-guarantees")
    expect(row.locator(".status").first).to_have_text("open")
    claimed = row.locator(".status.claimed")
    expect(claimed).to_have_text("claimed: accepted")
    expect(row).to_contain_text("claimed by Russia, not established")
    assert claimed.evaluate("e => getComputedStyle(e).borderStyle") == "dashed"
    assert row.locator(".status").first.evaluate("e => getComputedStyle(e).borderStyle") == "solid"
    warning = by_ref("c30-us-sanctions")
    active = page.locator("[data-warnings=active]")
    sanctions = active.get_by_role("listitem").filter(has_text=warning["summary"])
    expect(sanctions).to_contain_text("Condition: " + warning["condition"])
    expect(sanctions.get_by_role("link", name=re.compile("^warning of Russia"))).to_be_visible()
    expect(page.locator("[data-meetings=held] > li")).to_have_count(2)

    page.goto(both + f"/tracks/{SSD}")
    expected = EXAMPLES[0]["expected"][SSD]["demand_status"]
    for ref, status in expected.items():
        expect(board_row(page, ref).locator(".status").first).to_have_text(status)
    expect(page.locator("[data-field=next-meeting]")).to_have_text("none scheduled")


def test_the_slider_moved_to_29_december_2021_shows_the_track_on_that_day(
    both: str, page: Page
) -> None:
    page.goto(both + f"/tracks/{SSD}")
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("Home")  # the first day: 2021-12-07
    for _ in range(22):
        page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(rf"[?&]on={DAY}(&|#|$)"))
    expect(page.get_by_role("slider")).to_be_focused()  # the keyboard stays on it
    expect(page.get_by_label("Date", exact=True)).to_have_value(DAY)
    expect(board_row(page, "ru-draft-treaty").locator(".status").first).to_have_text("open")
    expect(board_row(page, "ru-1230-guarantees")).to_have_count(0)  # said on 30 December
    expect(page.locator("[data-field=active-sanction-warnings]")).to_have_text("1")
    expect(page.get_by_text(by_ref("ssd-1207-warning")["summary"]).first).to_be_visible()


def test_the_overview_on_a_date_filled_in_counts_what_stood_then(both: str, page: Page) -> None:
    page.goto(both + "/")
    page.get_by_label("Date", exact=True).fill(DAY)
    page.get_by_role("button", name="Go to date").click()
    expect(page).to_have_url(re.compile(rf"[?&]on={DAY}"))
    demands = [
        s
        for example in EXAMPLES
        for s in example["statements"]
        if s["track"] == SSD and s["type"] == "demand" and s["occurred_at"][:10] <= DAY
    ]
    card = page.get_by_role("article", name="US-Russia Strategic Stability Dialogue")
    expect(card.locator("[data-field=open-demands]")).to_have_text(str(len(demands)))
    expect(card.get_by_role("link")).to_have_attribute("href", f"/tracks/{SSD}?on={DAY}")


def test_on_a_narrow_screen_only_the_lanes_scroll_sideways(both: str, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(both + f"/tracks/{SSD}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than a 390 px screen"
    lanes = page.get_by_role("region", name="Timeline lanes, one per party")
    assert lanes.evaluate("e => e.scrollWidth > e.clientWidth")  # the lanes scroll instead
    lanes.focus()  # keyboard users can scroll them too
    expect(lanes).to_be_focused()
