"""What a person sees searching the first example: a search for NATO from the form, its
results with the word marked in their snippets and the CSV link to the same query, a result
opening its statement page with its sources; both pages readable on a narrow screen."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_a_search_for_nato_shows_the_apis_results_and_opens_a_statement(
    site: str, page: Page
) -> None:
    found = httpx.get(site + "/v1/statements", params={"q": "NATO"}).json()["items"]
    assert found, "the example has statements about NATO"
    page.goto(site + "/search")
    words = page.get_by_label("Words")
    words.fill("NATO")
    words.press("Enter")  # the keyboard sends the form
    results = page.locator("li.result")
    expect(results).to_have_count(len(found))
    for n, item in enumerate(found):
        expect(results.nth(n).get_by_role("heading")).to_have_text(item["summary"])
    expect(page.locator(".snippet mark").first).to_have_text("NATO", ignore_case=True)
    csv = page.get_by_role("link", name="Download CSV")
    expect(csv).to_have_attribute("href", "/v1/statements?q=NATO&format=csv")

    first = found[0]
    results.first.get_by_role("link", name=first["summary"]).click()
    expect(page).to_have_url(site + f"/tracks/{first['track_slug']}/statements/{first['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(first["summary"])
    sources = page.locator("ul.sources li")
    expect(sources).to_have_count(len(first["sources"]))
    for n, source in enumerate(first["sources"]):
        expect(sources.nth(n)).to_contain_text(source.get("title") or source["publisher"])
    expect(page.get_by_role("table", name="The recorded events of this statement")).to_be_visible()


def overflow(page: Page) -> int:
    width: int = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return width


def test_the_search_and_statement_pages_fit_a_narrow_screen(site: str, page: Page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(site + "/search?q=NATO")
    expect(page.locator("li.result").first).to_be_visible()
    assert overflow(page) <= 0, f"the search is {overflow(page)} px wider than 390 px"
    page.locator("li.result").first.get_by_role("link").first.click()
    expect(page.locator("article.statement")).to_be_visible()
    assert overflow(page) <= 0, f"the statement is {overflow(page)} px wider than 390 px"
