"""`on=DATE` (API.md v1.1, world time) over HTTP, on both stores, with the shipped examples
loaded one after the other: each track as it stood on a date, rebuilt from the record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import AUDITOR, PROBLEM_JSON, RUSSIA, USA, Api
from tests.e2e.scenario_checks import CALL, FIRST, load_over_http, read_example


@pytest.fixture
def loaded(client: Api) -> dict[str, str]:
    """Both examples in one store: ref -> statement id."""
    ids = load_over_http(client, read_example(FIRST))
    return {**ids, **load_over_http(client, read_example(CALL))}


def tracks_on(client: Api, date: str, **params: Any) -> dict[str, dict[str, Any]]:
    answer = client.get("/v1/tracks", {"on": date, **params}, expect=200)
    assert int(answer.headers["X-Projection-Position"]) >= client.position
    return {item["slug"]: item for item in answer.json()["items"]}


def open_ids(state: dict[str, Any]) -> list[str]:
    return [d["id"] for d in state["open_demands"]]


def test_the_state_of_every_track_on_29_december_holds_only_what_had_been_said_by_then(
    client: Api, loaded: dict[str, str]
) -> None:
    current = {t["slug"]: t for t in client.get("/v1/tracks", expect=200).json()["items"]}
    on_29 = tracks_on(client, "2021-12-29")

    assert set(on_29) == set(current)
    for slug, state in on_29.items():
        assert state["on"] == "2021-12-29"
        assert (state["version"], state["parties"]) == (
            current[slug]["version"],
            current[slug]["parties"],
        )
    leaders = on_29["us-russia-leaders"]
    assert leaders["counts_by_type"] == {"meeting_held": 1, "agreement": 1}
    assert leaders["open_demands"] == [] and leaders["next_meeting"] is None
    # Russia's 30 December demands are absent; the American answer of 26 January does not
    # count yet, so the draft treaty is still open.
    ssd = on_29["us-russia-ssd"]
    assert loaded["ru-1230-guarantees"] not in open_ids(ssd)
    assert loaded["ru-draft-treaty"] in open_ids(ssd)
    assert loaded["ru-draft-treaty"] not in open_ids(current["us-russia-ssd"])
    assert ssd["next_meeting"] is None
    one = client.get("/v1/tracks/us-russia-ssd", {"on": "2021-12-29"}, expect=200).json()
    assert one == {**ssd, "position": one["position"]}
    # The OSCE track had nothing said by then: it is listed, with its counts empty.
    osce = on_29["osce-permanent-council"]
    assert osce["statement_count"] == 0 and osce["counts_by_type"] == {}


def test_a_month_runs_to_its_end_and_the_next_meeting_is_the_one_after_it(
    client: Api, loaded: dict[str, str]
) -> None:
    december = tracks_on(client, "2021-12")

    leaders = december["us-russia-leaders"]
    # The claimed American agreement decides no status: the demand is open at month end.
    assert loaded["c30-ru-guarantees"] in open_ids(leaders)
    assert december["us-russia-ssd"]["next_meeting"]["meeting_at"] == "2022-01-10"
    assert december["nato-russia-council"]["next_meeting"]["id"] == loaded["c30-nrc-scheduled"]
    # On the day of the Geneva round that meeting is no longer ahead.
    ssd = client.get("/v1/tracks/us-russia-ssd", {"on": "2022-01-10"}, expect=200).json()
    assert ssd["next_meeting"] is None
    assert loaded["ru-0110-binding"] not in open_ids(ssd)  # rejected the same day


def test_a_date_time_with_an_offset_splits_a_day(client: Api, loaded: dict[str, str]) -> None:
    before_call = client.get(
        "/v1/tracks/us-russia-ssd", {"on": "2021-12-30T23:00:00+03:00"}, expect=200
    ).json()
    at_call = client.get(
        "/v1/tracks/us-russia-ssd", {"on": "2021-12-30T23:30:00+03:00"}, expect=200
    ).json()

    # The Geneva round is dated 30 December (the day starts before 23:00 Moscow time).
    assert before_call["next_meeting"]["id"] == loaded["c30-geneva-scheduled"]
    assert before_call["on"] == "2021-12-30T23:00:00+03:00"
    assert loaded["ru-1230-guarantees"] not in open_ids(before_call)
    assert loaded["ru-1230-guarantees"] in open_ids(at_call)


def test_a_retraction_and_a_correction_recorded_later_apply_and_as_of_shows_both_axes(
    client: Api,
) -> None:
    client.open_track("geneva")
    demand = client.record("geneva", "demand", RUSSIA, occurred_at="2021-12-17")["id"]
    moved = client.record("geneva", "demand", RUSSIA, occurred_at="2021-12-17")["id"]
    answer = client.record(
        "geneva",
        "response",
        USA,
        occurred_at="2021-12-20",
        responds_to=demand,
        position="reject",
    )["id"]
    before_retraction = client.track("geneva")["version"]
    assert open_ids(client.get("/v1/tracks/geneva", {"on": "2021-12"}).json()) == [moved]

    client.retract("geneva", answer)
    client.correct("geneva", moved, {"occurred_at": "2022-01-05"})

    now = client.get("/v1/tracks/geneva", {"on": "2021-12"}, expect=200).json()
    assert open_ids(now) == [demand]
    then = client.get(
        "/v1/tracks/geneva/as-of",
        {"version": before_retraction, "on": "2021-12"},
        auth=AUDITOR,
        expect=200,
    ).json()
    assert open_ids(then) == [moved]
    assert then["as_of"]["version"] == before_retraction and then["on"] == "2021-12"
    by_instant = client.get(
        "/v1/tracks/geneva/as-of",
        {"recorded_at": "2100-01-01T00:00:00Z", "on": "2021-12"},
        auth=AUDITOR,
        expect=200,
    ).json()
    assert open_ids(by_instant) == [demand] and by_instant["version"] == now["version"]


def test_a_status_change_counts_from_its_date_and_the_list_filters_by_that_status(
    client: Api,
) -> None:
    client.open_track("geneva")
    client.set_status("geneva", "suspended", occurred_at="2022-02-01")

    assert client.get("/v1/tracks/geneva", {"on": "2022-01"}).json()["status"] == "active"
    assert set(tracks_on(client, "2022-01", status="active")) == {"geneva"}
    assert set(tracks_on(client, "2022-02", status="suspended")) == {"geneva"}


@pytest.mark.parametrize("bad", ["2021-13", "2021-12-32", "yesterday", "2021-12-30T10:00:00"])
def test_a_malformed_date_is_a_problem_naming_on(client: Api, bad: str) -> None:
    client.open_track("geneva")
    for path, auth in (
        ("/v1/tracks/geneva", {}),
        ("/v1/tracks", {}),
        ("/v1/tracks/geneva/as-of?version=1", AUDITOR),
    ):
        answer = client.get(path, {"on": bad}, auth=auth, expect=422)
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
        assert [e["loc"] for e in answer.json()["errors"]] == [["query", "on"]]
