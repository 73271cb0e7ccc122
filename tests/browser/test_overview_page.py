"""What a person sees in a browser: the overview of the tracks, its filters, a narrow
screen, and the API docs without internet access."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect

from tests.e2e.scenario_checks import FIRST, read_example

pytestmark = pytest.mark.browser

EXAMPLE = read_example(FIRST)
TRACKS = {track["slug"]: track for track in EXAMPLE["tracks"]}


def track_card(page: Page, slug: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("article", name=TRACKS[slug]["title"])


def test_the_overview_lists_every_track_with_its_open_demands(site: str, page: Page) -> None:
    page.goto(site + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tracks")
    expect(page.get_by_role("article")).to_have_count(len(TRACKS))
    for slug, track in TRACKS.items():
        card = track_card(page, slug)
        expected = EXAMPLE["expected"][slug]["open_demands"]
        expect(card.locator("[data-field=open-demands]")).to_have_text(str(len(expected)))
        expect(card.get_by_role("link", name=track["title"])).to_have_attribute(
            "href", f"/tracks/{slug}"
        )
        expect(card).to_contain_text(track["kind"])
        for party in track["parties"]:
            expect(card).to_contain_text(party)


def test_the_kind_filter_narrows_the_list(site: str, page: Page) -> None:
    page.goto(site + "/")
    page.get_by_label("Kind").select_option("nato")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]kind=nato(&|$)"))
    nato = [slug for slug, track in TRACKS.items() if track["kind"] == "nato"]
    expect(page.get_by_role("article")).to_have_count(len(nato))
    expect(track_card(page, nato[0])).to_be_visible()
    expect(page.get_by_label("Kind")).to_have_value("nato")


def test_the_skip_link_is_the_first_thing_the_keyboard_reaches(site: str, page: Page) -> None:
    page.goto(site + "/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


@pytest.mark.parametrize("width", [390, 1280])
def test_the_overview_needs_no_horizontal_scrolling(site: str, page: Page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(site + "/")
    expect(page.get_by_role("article")).to_have_count(len(TRACKS))
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow} px wider than a {width} px screen"


class Outbound:
    """The requests a page sends to any other origin than the site's, less those the
    browser refused itself under the page's Content-Security-Policy (never sent)."""

    def __init__(self, page: Page, site: str) -> None:
        self.site, self.sent, self.refused = site, [], []
        page.on("request", self._request)
        page.on("requestfailed", self._failed)

    def _request(self, request: Request) -> None:
        if not request.url.startswith((self.site, "blob:", "data:")):
            self.sent.append(request.url)

    def _failed(self, request: Request) -> None:
        if request.failure == "csp":
            self.refused.append(request.url)

    def left_the_machine(self) -> list[str]:
        return [url for url in self.sent if url not in self.refused]


# Swagger UI and ReDoc render the whole OpenAPI document in the browser: seconds on a busy
# two-core machine, so their first paint gets a longer wait than expect()'s 5 s.
RENDERING = 60_000


def test_the_swagger_ui_shows_the_operations_without_internet(site: str, page: Page) -> None:
    outbound = Outbound(page, site)
    page.goto(site + "/docs")
    operation = page.locator(".opblock-get .opblock-summary-path[data-path='/v1/tracks']")
    expect(operation).to_be_visible(timeout=RENDERING)
    expect(page.locator(".opblock-get").first).to_contain_text("GET")
    assert outbound.left_the_machine() == []


def test_redoc_shows_the_operations_without_internet(site: str, page: Page) -> None:
    outbound = Outbound(page, site)
    page.goto(site + "/redoc")
    heading = page.get_by_role("heading", name=re.compile(r"List tracks$"))
    expect(heading).to_be_visible(timeout=RENDERING)
    assert outbound.left_the_machine() == []
