"""Tracks over HTTP: open, read by id or slug, list and filter, parties, status changes."""

from __future__ import annotations

from datetime import datetime

from tests.e2e.conftest import NATO, RUSSIA, USA, Api, assert_problem, etag_version, is_uuid

CURRENT_STATE_KEYS = {
    "id",
    "slug",
    "kind",
    "title",
    "venue",
    "parties",
    "status",
    "version",
    "position",
    "opened_at",
    "last_activity_at",
    "statement_count",
    "counts_by_type",
    "open_demands",
    "active_sanction_warnings",
    "next_meeting",
}


def test_opening_a_track_answers_201_with_location_etag_and_the_current_state(client: Api) -> None:
    response = client.post(
        "/v1/tracks",
        {
            "kind": "bilateral",
            "title": "US-Russia Strategic Stability Dialogue",
            "slug": "ssd",
            "venue": "Geneva",
            "parties": [RUSSIA, USA],
            "opened_at": "2021-12-07",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["etag"] == '"1"'
    body = response.json()
    assert set(body) == CURRENT_STATE_KEYS
    assert is_uuid(body["id"])
    assert response.headers["location"] == f"/v1/tracks/{body['id']}"
    assert body["slug"] == "ssd"
    assert body["kind"] == "bilateral"
    assert body["title"] == "US-Russia Strategic Stability Dialogue"
    assert body["venue"] == "Geneva"
    assert body["parties"] == [RUSSIA, USA]
    assert body["status"] == "active"
    assert body["version"] == 1
    assert isinstance(body["position"], int) and body["position"] >= 1
    assert body["opened_at"] == "2021-12-07"
    assert datetime.fromisoformat(body["last_activity_at"]).tzinfo is not None
    assert body["statement_count"] == 0
    assert body["counts_by_type"] == {}
    assert body["open_demands"] == []
    assert body["active_sanction_warnings"] == []
    assert body["next_meeting"] is None
    assert client.get(response.headers["location"], expect=200).json() == body


def test_opening_a_track_with_a_taken_slug_is_409_and_without_a_slug_one_is_made(
    client: Api,
) -> None:
    client.open_track("ssd")
    response = client.post(
        "/v1/tracks", {"kind": "other", "title": "Another", "slug": "ssd", "parties": [RUSSIA]}
    )
    assert_problem(response, 409)
    assert client.track("ssd")["title"] == "Track ssd"
    made = client.post(
        "/v1/tracks",
        {"kind": "osce", "title": "OSCE Permanent Council", "parties": [RUSSIA, "OSCE"]},
        expect=201,
    ).json()
    assert made["slug"]
    assert client.track(made["slug"])["id"] == made["id"]
    again = client.post(
        "/v1/tracks",
        {"kind": "osce", "title": "OSCE Permanent Council", "parties": [RUSSIA, "OSCE"]},
        expect=201,
    ).json()
    assert again["slug"] != made["slug"]


def test_a_track_is_read_by_id_and_by_slug_alike(client: Api) -> None:
    opened = client.open_track("ssd", venue="Geneva")
    by_id = client.get(f"/v1/tracks/{opened['id']}", expect=200)
    by_slug = client.get("/v1/tracks/ssd", expect=200)
    assert by_id.json() == by_slug.json()
    assert set(by_id.json()) == CURRENT_STATE_KEYS
    assert by_id.json()["venue"] == "Geneva"


def test_listing_tracks_answers_items_most_recent_activity_first(client: Api) -> None:
    client.open_track("ssd", kind="bilateral")
    client.open_track("nrc", kind="nato")
    client.open_track("osce", kind="osce")
    response = client.get("/v1/tracks", expect=200)
    assert [t["slug"] for t in response.json()["items"]] == ["osce", "nrc", "ssd"]

    client.record("ssd", "statement")  # the oldest track becomes the most recently active
    items = client.get("/v1/tracks", expect=200).json()["items"]
    assert [t["slug"] for t in items] == ["ssd", "osce", "nrc"]
    assert all(set(t) == CURRENT_STATE_KEYS for t in items)
    assert items[0]["statement_count"] == 1

    client.set_status("nrc", "suspended")  # a status change is activity too
    items = client.get("/v1/tracks", expect=200).json()["items"]
    assert [t["slug"] for t in items] == ["nrc", "ssd", "osce"]


def test_listing_tracks_filters_by_kind_and_status(client: Api) -> None:
    client.open_track("ssd", kind="bilateral")
    client.open_track("nrc", kind="nato")
    client.open_track("osce", kind="osce")
    client.open_track("us-eu", kind="bilateral")
    client.set_status("nrc", "suspended")
    client.set_status("osce", "concluded")
    slugs = lambda **params: sorted(  # noqa: E731
        t["slug"] for t in client.get("/v1/tracks", params, expect=200).json()["items"]
    )
    assert slugs(kind="bilateral") == ["ssd", "us-eu"]
    assert slugs(kind="other") == []
    assert slugs(status="active") == ["ssd", "us-eu"]
    assert slugs(status="suspended") == ["nrc"]
    assert slugs(status="concluded") == ["osce"]
    assert slugs(kind="nato", status="active") == []
    assert_problem(client.get("/v1/tracks", {"kind": "g20"}), 422)
    assert_problem(client.get("/v1/tracks", {"status": "paused"}), 422)


def test_listing_tracks_filters_by_party_including_added_parties(client: Api) -> None:
    client.open_track("ssd", kind="bilateral", parties=[RUSSIA, USA])
    client.open_track("nrc", kind="nato", parties=[RUSSIA, NATO])
    client.open_track("osce", kind="osce", parties=["OSCE", USA])
    slugs = lambda **params: sorted(  # noqa: E731
        t["slug"] for t in client.get("/v1/tracks", params, expect=200).json()["items"]
    )
    assert slugs(party=RUSSIA) == ["nrc", "ssd"]
    assert slugs(party=NATO) == ["nrc"]
    assert slugs(party="Ukraine") == []
    assert slugs(party=RUSSIA, kind="bilateral") == ["ssd"]
    client.post("/v1/tracks/osce/parties", {"name": RUSSIA}, expect=201)
    assert slugs(party=RUSSIA) == ["nrc", "osce", "ssd"]


def test_adding_a_party_answers_201_and_lets_it_make_statements_but_not_twice(client: Api) -> None:
    client.open_track("ssd", parties=[RUSSIA, USA])
    response = client.post("/v1/tracks/ssd/parties", {"name": NATO})
    assert response.status_code == 201, response.text
    assert response.json()["parties"] == [RUSSIA, USA, NATO]
    assert response.json()["version"] == 2
    assert etag_version(response) == 2
    assert client.track("ssd")["parties"] == [RUSSIA, USA, NATO]
    client.record("ssd", "statement", NATO)
    assert_problem(client.post("/v1/tracks/ssd/parties", {"name": RUSSIA}), 422)
    assert_problem(client.post("/v1/tracks/ssd/parties", {"name": ""}), 422)


def test_a_suspended_track_refuses_statements_with_409_until_it_is_resumed(client: Api) -> None:
    client.open_track("ssd")
    suspended = client.set_status(
        "ssd", "suspended", reason="talks paused", occurred_at="2022-01-14"
    )
    assert suspended.json()["status"] == "suspended"
    assert etag_version(suspended) == 2
    assert client.track("ssd")["status"] == "suspended"

    refused = client.post(
        "/v1/tracks/ssd/statements",
        {"type": "statement", "party": RUSSIA, "occurred_at": "2022-01-15", "summary": "x"},
    )
    assert_problem(refused, 409)
    assert_problem(client.post("/v1/tracks/ssd/parties", {"name": "OSCE"}), 409)
    assert client.track("ssd")["version"] == 2

    resumed = client.set_status("ssd", "active")
    assert resumed.json()["status"] == "active"
    client.record("ssd", "statement")
    assert client.track("ssd")["statement_count"] == 1


def test_a_concluded_track_refuses_statements_and_status_changes_with_409(client: Api) -> None:
    client.open_track("ssd")
    demand = client.record("ssd", "demand")
    concluded = client.set_status("ssd", "concluded", reason="agreement signed")
    assert concluded.json()["status"] == "concluded"

    assert_problem(
        client.post(
            "/v1/tracks/ssd/statements",
            {"type": "statement", "party": RUSSIA, "occurred_at": "2022-01-15", "summary": "x"},
        ),
        409,
    )
    assert_problem(
        client.post(
            "/v1/tracks/ssd/statements:batch",
            {
                "statements": [
                    {
                        "type": "statement",
                        "party": RUSSIA,
                        "occurred_at": "2022-01-15",
                        "summary": "x",
                    }
                ]
            },
        ),
        409,
    )
    client.retract("ssd", demand["id"], expect=409)
    client.correct("ssd", demand["id"], {"summary": "y"}, expect=409)
    client.set_status("ssd", "active", expect=409)
    client.set_status("ssd", "suspended", expect=409)
    state = client.track("ssd")
    assert (state["status"], state["version"], state["statement_count"]) == ("concluded", 3, 1)


def test_a_status_change_to_the_same_status_is_409_and_to_an_unknown_one_422(client: Api) -> None:
    client.open_track("ssd")
    assert_problem(client.post("/v1/tracks/ssd/status", {"status": "active"}), 409)
    assert_problem(client.post("/v1/tracks/ssd/status", {"status": "paused"}), 422)
    assert client.track("ssd")["version"] == 1


UNKNOWN = "00000000-0000-4000-8000-000000000000"
A_STATEMENT = {"type": "statement", "party": RUSSIA, "occurred_at": "2022-01-10", "summary": "x"}


def test_reading_an_unknown_track_or_a_statement_of_another_track_is_a_404_problem(
    client: Api,
) -> None:
    client.open_track("ssd")
    client.open_track("nrc")
    elsewhere = client.record("nrc", "demand")
    assert_problem(client.get(f"/v1/tracks/ssd/statements/{elsewhere['id']}"), 404)
    assert_problem(
        client.post(f"/v1/tracks/ssd/statements/{elsewhere['id']}/retraction", {"reason": "x"}), 404
    )
    for path in [
        "/v1/tracks/no-such-track",
        f"/v1/tracks/{UNKNOWN}",
        "/v1/tracks/no-such-track/statements",
        "/v1/tracks/no-such-track/demands",
        f"/v1/tracks/no-such-track/statements/{UNKNOWN}",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert_problem(response, 404)


def test_writing_to_an_unknown_track_is_a_404_problem(client: Api) -> None:
    for path, body in [
        ("/v1/tracks/no-such-track/statements", A_STATEMENT),
        ("/v1/tracks/no-such-track/statements:batch", {"statements": [A_STATEMENT]}),
        ("/v1/tracks/no-such-track/parties", {"name": RUSSIA}),
        ("/v1/tracks/no-such-track/status", {"status": "suspended"}),
        (f"/v1/tracks/no-such-track/statements/{UNKNOWN}/retraction", {"reason": "x"}),
        (
            f"/v1/tracks/no-such-track/statements/{UNKNOWN}/corrections",
            {"changes": {"summary": "x"}, "reason": "x"},
        ),
    ]:
        response = client.post(path, body)
        assert response.status_code == 404, path
        assert_problem(response, 404)
