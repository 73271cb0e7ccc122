"""What changed in world time between two dates (API.md v1.1, "Changes") over HTTP, on both
stores, with the shipped examples loaded one after the other, checked against the files and
against the states on the two dates (`on=`)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from domain.values import instant_of
from services.api import responses
from tests.e2e.conftest import RUSSIA, USA, Api, assert_problem
from tests.e2e.scenario_checks import CALL, FIRST, board_order, load_over_http, read_example
from tests.e2e.test_answer_models import conforms

FILES = (read_example(FIRST), read_example(CALL))
# What a statement new in the window shows by its type, where it changes no other statement.
EFFECT_BY_TYPE = {
    "demand": "new_demand",
    "proposal": "new_demand",
    "warning": "warning_issued",
    "sanction_warning": "warning_issued",
    "meeting_scheduled": "meeting_scheduled",
    "meeting_held": "meeting_held",
    "agreement": "agreement",
    "statement": "other",
    "concession": "other",
}


@pytest.fixture
def loaded(client: Api) -> dict[str, str]:
    """Both examples in one store: ref -> statement id."""
    ids = load_over_http(client, FILES[0])
    return {**ids, **load_over_http(client, FILES[1])}


def changes(client: Api, path: str = "/v1/changes", **params: Any) -> dict[str, Any]:
    answer = client.get(path, params, expect=200)
    assert int(answer.headers["X-Projection-Position"]) >= client.position
    return answer.json()


def made_by(item: dict[str, Any]) -> str:
    """The id of the statement new in the window that the item stands for."""
    return item.get("cause") or item["statement"]["id"]


def dated_between(first: str, end: str) -> dict[str, dict[str, Any]]:
    """The examples' statements whose start of period is at or after the start of `first`
    and before the start of `end` (UTC), by ref."""
    return {
        raw["ref"]: raw
        for data in FILES
        for raw in data["statements"]
        if instant_of(first) <= instant_of(raw["occurred_at"]) < instant_of(end)
    }


def test_what_changed_from_29_to_31_december_is_every_statement_dated_30_or_31_december(
    client: Api, loaded: dict[str, str]
) -> None:
    refs = {v: k for k, v in loaded.items()}
    on_29 = {t["slug"]: t for t in client.get("/v1/tracks", {"on": "2021-12-29"}).json()["items"]}
    on_31 = {t["slug"]: t for t in client.get("/v1/tracks", {"on": "2021-12-31"}).json()["items"]}
    answer = conforms(
        responses.ChangesPage,
        client.get("/v1/changes", {"from": "2021-12-29", "to": "2021-12-31"}),
    )

    assert (answer["from"], answer["to"], answer["next_cursor"]) == (
        "2021-12-29",
        "2021-12-31",
        None,
    )
    items = answer["items"]
    expected = dated_between("2021-12-30", "2022-01-01")
    assert sorted(refs[made_by(i)] for i in items) == sorted(expected)
    for item in items:
        raw = expected[refs[made_by(item)]]
        # Each statement once, under its home track only (not those it also concerns).
        assert item["track_slug"] == raw["track"] and item["track_id"] == on_31[raw["track"]]["id"]
        assert item["occurred_at"] == raw["occurred_at"]
        if raw["type"] == "response":  # the one of those days is claimed: it sets no status
            assert raw["attribution"] == "claimed" and item["effect"] == "other"
        else:
            assert item["effect"] == EFFECT_BY_TYPE[raw["type"]], raw["ref"]
        assert item["statement"]["id"] == loaded[raw["ref"]] and "cause" not in item
    assert [refs[made_by(i)] for i in items] == board_order(
        FILES, [refs[made_by(i)] for i in items]
    )
    # The state on the 31st holds what it held on the 29th and the items.
    for slug, state in on_31.items():
        added = sum(1 for i in items if i["track_slug"] == slug)
        assert state["statement_count"] == on_29[slug]["statement_count"] + added, slug


def test_the_changes_of_a_track_are_those_across_tracks_filtered_by_it_and_pages_cover_each_once(
    client: Api, loaded: dict[str, str]
) -> None:
    window = {"from": "2021-12-29", "to": "2022-01-31"}
    everything = changes(client, **window, limit=500)["items"]
    assert len(everything) > 20 and len({made_by(i) for i in everything}) == len(everything)

    slugs = ("us-russia-ssd", "nato-russia-council", "osce-permanent-council", "us-russia-leaders")
    for slug in slugs:
        own = changes(client, f"/v1/tracks/{slug}/changes", **window)["items"]
        assert own == [i for i in everything if i["track_slug"] == slug], slug
        assert own, slug
    track_id = client.track("nato-russia-council")["id"]
    two = changes(client, **window, track=["us-russia-ssd", track_id])["items"]
    assert two == [i for i in everything if i["track_slug"] in ("us-russia-ssd", slugs[1])]

    for path in ("/v1/changes", "/v1/tracks/us-russia-ssd/changes"):
        paged: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = changes(
                client, path, **window, limit=3, **({"cursor": cursor} if cursor else {})
            )
            assert len(page["items"]) <= 3
            paged += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert paged == changes(client, path, **window, limit=500)["items"], path


@pytest.mark.parametrize(
    ("d1", "d2"),
    [
        ("2021-12-29", "2021-12-31"),
        ("2022-01-09", "2022-01-31"),
        ("2022-01", "2022-02"),
        ("2021", "2022"),
    ],
)
def test_status_changes_agree_with_the_states_on_both_dates(
    client: Api, loaded: dict[str, str], d1: str, d2: str
) -> None:
    items = changes(client, **{"from": d1, "to": d2}, limit=500)["items"]
    for slug in {raw["track"] for data in FILES for raw in data["statements"]}:
        before = client.get(f"/v1/tracks/{slug}", {"on": d1}, expect=200).json()
        after = client.get(f"/v1/tracks/{slug}", {"on": d2}, expect=200).json()
        # Replaying the track's items on its open demands of D1 gives those of D2.
        open_demands = {d["id"] for d in before["open_demands"]}
        for item in (i for i in items if i["track_slug"] == slug):
            shown = item["statement"]
            if item["effect"] == "demand_status_changed":
                assert item["from"] != item["to"] == shown["status"]
                if shown["type"] == "demand":
                    assert (shown["id"] in open_demands) == (item["from"] == "open")
                if item["to"] == "open":
                    open_demands.add(shown["id"])
                else:
                    open_demands.discard(shown["id"])
            elif item["effect"] == "new_demand" and shown["type"] == "demand":
                open_demands.add(shown["id"])
        assert open_demands == {d["id"] for d in after["open_demands"]}, (slug, d1, d2)
    changed = [i for i in items if i["effect"] == "demand_status_changed"]
    if d1 == "2022-01-09":  # the rejections of 10 to 13 January and the written answers
        assert len(changed) == 5 and {i["to"] for i in changed} == {"rejected", "countered"}


def test_a_withdrawal_shows_as_a_status_change_with_its_cause_over_http(client: Api) -> None:
    client.open_track("geneva")
    demand = client.record("geneva", "demand", RUSSIA, occurred_at="2022-01-10")["id"]
    warning = client.record("geneva", "sanction_warning", USA, occurred_at="2022-01-10")["id"]
    client.record(
        "geneva", "response", USA, occurred_at="2022-01-11", responds_to=demand, position="reject"
    )
    withdrawal = client.record(
        "geneva", "withdrawal", RUSSIA, occurred_at="2022-01-20", withdraws=demand
    )["id"]
    lifted = client.record(
        "geneva", "withdrawal", USA, occurred_at="2022-01-21", withdraws=warning
    )["id"]

    items = changes(client, "/v1/tracks/geneva/changes", **{"from": "2022-01-15", "to": "2022"})
    assert [
        (i["effect"], i["statement"]["id"], i["cause"], i.get("from"), i.get("to"))
        for i in items["items"]
    ] == [
        ("demand_status_changed", demand, withdrawal, "rejected", "withdrawn"),
        ("warning_withdrawn", warning, lifted, None, None),
    ]


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"to": "2022"}, "from"),
        ({"from": "2021"}, "to"),
        ({"from": "2021-13", "to": "2022"}, "from"),
        ({"from": "2021", "to": "yesterday"}, "to"),
        ({"from": "2021", "to": "2022-01-10T10:00:00"}, "to"),
        ({"from": "2022-01-02", "to": "2022-01-01"}, "from"),
        ({"from": "2021", "to": "2022", "track": "no-such-track"}, "track"),
    ],
)
def test_a_bad_or_missing_date_a_backward_window_or_an_unknown_track_filter_is_422_naming_it(
    client: Api, params: dict[str, str], where: str
) -> None:
    client.open_track("geneva")
    paths = ["/v1/changes"] + ([] if "track" in params else ["/v1/tracks/geneva/changes"])
    for path in paths:
        body = assert_problem(client.get(path, params), 422)
        assert [e["loc"] for e in body["errors"]] == [["query", where]], path


def test_a_cursor_not_given_out_is_422_and_an_unknown_track_is_404(client: Api) -> None:
    client.open_track("geneva")
    window = {"from": "2021", "to": "2022"}
    given_out = [b"x|1", b"2022-01-01T00:00:00.000000Z|x", b"2022|1|2", b"\xff|1"]
    for cursor in ["not base64!", *(base64.urlsafe_b64encode(raw).decode() for raw in given_out)]:
        for path in ("/v1/changes", "/v1/tracks/geneva/changes"):
            body = assert_problem(client.get(path, {**window, "cursor": cursor}), 422)
            assert body["type"] == "/problems/invalid-cursor"
    assert_problem(client.get("/v1/tracks/no-such-track/changes", window), 404)
    assert changes(client, "/v1/tracks/geneva/changes", **window)["items"] == []
