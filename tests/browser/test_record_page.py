"""What a recorder sees in a browser: the token asked once, an error shown next to its field
with what was typed kept, and the recorded demand on the board without a reload. These tests
write, so the module runs its own server (per store) with the first shipped example."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import STORES, example_site
from tests.e2e.scenario_checks import FIRST, read_example

pytestmark = pytest.mark.browser

TRACK = read_example(FIRST)["tracks"][0]
SUMMARY = "Russia demands that NATO withdraw from the Baltic states (browser test)"


@pytest.fixture(scope="module", params=STORES)
def writable_site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with example_site(request.param, tmp_path_factory) as url:
        yield url


def test_a_recorder_fixes_a_wrong_date_and_sees_the_demand_on_the_board(
    writable_site: str, page: Page
) -> None:
    page.goto(f"{writable_site}/tracks/{TRACK['slug']}/record")
    board = page.locator(".board > li")
    before = board.count()
    token = page.get_by_label("Token", exact=True)
    token.fill("read-secret")  # a reader's token: the API refuses, the page asks again
    page.get_by_label("Type", exact=True).select_option("demand")
    page.get_by_label("Party").select_option("Russia")
    date = page.get_by_label("Occurred at")
    date.fill("10 January 2022")
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_role("button", name="Record").click()
    expect(page.locator("#token-error")).to_contain_text("the reader role cannot do this")
    expect(token).to_be_focused()

    token.fill("rec-secret")
    with page.expect_request(lambda r: r.method == "POST") as sent:
        page.get_by_role("button", name="Record").click()
    assert sent.value.headers["authorization"] == "Bearer rec-secret"
    assert sent.value.headers["idempotency-key"]
    expect(date).to_have_attribute("aria-invalid", "true")
    expect(date).to_be_focused()
    expect(page.locator("#f-occurred_at-error")).to_contain_text("not a year, a month")
    expect(page.get_by_label("Summary")).to_have_value(SUMMARY)  # nothing typed is lost
    expect(
        page.get_by_label("Token", exact=True)
    ).to_be_hidden()  # asked once: kept for the session

    date.fill("2022-01-10")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded")
    expect(board).to_have_count(before + 1)
    expect(board.filter(has_text=SUMMARY)).to_contain_text("open")
    link = page.get_by_role("status").get_by_role("link", name="Open its page")
    expect(link).to_have_attribute("href", re.compile(rf"^/tracks/{TRACK['slug']}/statements/\S+$"))
    expect(date).not_to_have_attribute("aria-invalid", "true")

    page.reload()
    expect(page.get_by_text("A token is kept for this session")).to_be_visible()
    expect(page.get_by_label("Token", exact=True)).to_be_hidden()
    expect(page.locator(".board > li").filter(has_text=SUMMARY)).to_have_count(1)


def test_on_a_narrow_screen_the_chosen_types_fields_show_and_a_general_error_tops_the_form(
    writable_site: str, page: Page
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{writable_site}/tracks/{TRACK['slug']}/record")
    expect(page.get_by_label("Red line")).to_be_visible()
    expect(page.get_by_label("Target")).to_be_hidden()
    page.get_by_label("Type", exact=True).select_option("sanction_warning")
    expect(page.get_by_label("Target")).to_be_visible()
    expect(page.get_by_label("Red line")).to_be_hidden()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width

    # A response without its stance: the API's error names the whole statement, no field.
    page.get_by_label("Token", exact=True).fill("rec-secret")
    page.get_by_label("Type", exact=True).select_option("response")
    page.get_by_label("Party").select_option("United States")
    page.get_by_label("Occurred at").fill("2022-01-11")
    page.get_by_label("Summary").fill("an answer without a stance")
    page.get_by_label("Responds to").select_option(index=1)
    page.get_by_role("button", name="Record").click()
    top = page.get_by_role("alert")
    expect(top).to_contain_text("a response needs its stance")
    expect(top).to_be_focused()
    expect(page.locator("[aria-invalid=true]")).to_have_count(0)
