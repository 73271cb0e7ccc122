"""Real answers of the main endpoints, on both stores, validate against the answer models that
/openapi.json documents (services.api.responses), and carry no field those models leave out."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import TypeAdapter

from services.api import responses
from tests.e2e.conftest import AUDITOR, NATO, RUSSIA, USA, Api, statement


def undocumented(dumped: Any, sent: Any, where: str = "") -> list[str]:
    """Keys of `sent` that the validated model did not keep (it ignores unknown fields)."""
    if isinstance(sent, dict) and isinstance(dumped, dict):
        missing = [f"{where}.{key}" for key in sent if key not in dumped]
        return missing + [
            found
            for key in sent.keys() & dumped.keys()
            for found in undocumented(dumped[key], sent[key], f"{where}.{key}")
        ]
    if isinstance(sent, list) and isinstance(dumped, list):
        return [
            found
            for n, (d, s) in enumerate(zip(dumped, sent, strict=True))
            for found in undocumented(d, s, f"{where}[{n}]")
        ]
    return []


def conforms(model: Any, response: httpx.Response, status: int = 200) -> dict[str, Any]:
    """The answer has `status`, validates as `model` and has no field `model` lacks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    body = response.json()
    answer = adapter.validate_python(body)
    dumped = adapter.dump_python(answer, mode="json", exclude_unset=True)
    assert not undocumented(dumped, body), undocumented(dumped, body)
    return body  # type: ignore[no-any-return]


def record(client: Api, body: dict[str, Any], model: Any = responses.StatementWritten) -> Any:
    return conforms(model, client.post("/v1/tracks/ssd/statements", body), 201)


def test_every_write_answer_conforms_to_its_answer_model(client: Api) -> None:
    conforms(
        responses.TrackPublic,
        client.post(
            "/v1/tracks",
            {"kind": "bilateral", "title": "SSD", "slug": "ssd", "parties": [RUSSIA, USA]},
        ),
        201,
    )
    conforms(responses.TrackPublic, client.post("/v1/tracks/ssd/parties", {"name": NATO}), 201)
    demand = record(
        client,
        statement(
            "demand",
            red_line=True,
            quote="no further enlargement",
            source={"url": "https://mid.ru/en", "publisher": "MFA"},
            topics=["nato-enlargement"],
        ),
    )
    answer = record(client, statement("response", USA, responds_to=demand["id"], position="reject"))
    assert answer["response_position"] == "reject" and isinstance(answer["position"], int)
    for type_, fields in (
        ("proposal", {}),
        ("concession", {"responds_to": demand["id"]}),
        ("sanction_warning", {"measures": ["export controls"]}),
        ("warning", {}),
        ("meeting_scheduled", {"meeting_at": "2030-01-10T09:00:00+01:00"}),
        ("meeting_held", {"location": "Geneva"}),
        ("agreement", {}),
        ("withdrawal", {"withdraws": demand["id"]}),
        ("statement", {"addressee": USA, "cameo_code": "012"}),
    ):
        assert record(client, statement(type_, **fields))["type"] == type_
    batch = client.post(
        "/v1/tracks/ssd/statements:batch",
        {
            "statements": [
                statement("demand", USA),
                statement("response", RUSSIA, responds_to=demand["id"]),
            ]
        },
    )
    conforms(responses.BatchWritten, batch, 201)
    corrected = client.correct("ssd", demand["id"], {"summary": "as corrected", "quote": None})
    conforms(responses.StatementWritten, corrected, 201)
    conforms(responses.StatementWritten, client.retract("ssd", answer["id"]), 200)
    conforms(responses.TrackPublic, client.set_status("ssd", "suspended", reason="pause"), 200)


def a_track_with_every_board(client: Api) -> dict[str, str]:
    client.open_track("ssd")
    demand = client.record("ssd", "demand", RUSSIA, red_line=True)["id"]
    response = client.record("ssd", "response", USA, responds_to=demand, position="partial")["id"]
    client.record("ssd", "demand", NATO, summary="an open demand")
    client.record("ssd", "sanction_warning", USA, target=RUSSIA, measures=["export controls"])
    client.record("ssd", "meeting_held", NATO, occurred_at="2022-01-09")
    client.record("ssd", "meeting_scheduled", NATO, meeting_at="2022-01-12", location="Vienna")
    client.correct("ssd", demand, {"topics": ["security-guarantees"]})
    return {"demand": demand, "response": response}


def test_every_read_answer_conforms_to_its_answer_model(client: Api) -> None:
    ids = a_track_with_every_board(client)
    track = conforms(responses.TrackPublic, client.get("/v1/tracks/ssd"))
    assert track["open_demands"] and track["active_sanction_warnings"] and track["next_meeting"]
    conforms(responses.TrackList, client.get("/v1/tracks"))
    page = conforms(responses.TimelinePage, client.get("/v1/tracks/ssd/statements", {"limit": 3}))
    assert page["next_cursor"] is not None
    conforms(responses.TimelinePage, client.get("/v1/tracks/ssd/statements"))
    demand = conforms(
        responses.StatementPublic, client.get(f"/v1/tracks/ssd/statements/{ids['demand']}")
    )
    assert demand["responses"] and demand["corrections"]
    conforms(responses.StatementPublic, client.get(f"/v1/tracks/ssd/statements/{ids['response']}"))
    assert conforms(responses.DemandBoard, client.get("/v1/tracks/ssd/demands"))["items"]


def test_an_empty_track_s_state_conforms_too(client: Api) -> None:
    client.open_track("ssd")
    track = conforms(responses.TrackPublic, client.get("/v1/tracks/ssd"))
    assert track["next_meeting"] is None and track["counts_by_type"] == {}
    assert conforms(responses.DemandBoard, client.get("/v1/tracks/ssd/demands"))["items"] == []


def test_every_audit_answer_conforms_to_its_answer_model(client: Api) -> None:
    a_track_with_every_board(client)
    history = client.get("/v1/tracks/ssd/history", {"limit": 3}, auth=AUDITOR)
    assert conforms(responses.HistoryPage, history)["next_after_version"] == 3
    conforms(responses.HistoryPage, client.get("/v1/tracks/ssd/history", auth=AUDITOR))
    as_of = client.get("/v1/tracks/ssd/as-of", {"version": 4}, auth=AUDITOR)
    assert conforms(responses.TrackAsOfPublic, as_of)["position"] is None
    now = client.get("/v1/tracks/ssd/as-of", {"recorded_at": "2100-01-01"}, auth=AUDITOR)
    conforms(responses.TrackAsOfPublic, now)
    verified = conforms(responses.VerifyReport, client.get("/v1/tracks/ssd/verify", auth=AUDITOR))
    assert verified["valid"]
    feed = conforms(responses.EventsPage, client.get("/v1/events", {"limit": 2}, auth=AUDITOR))
    assert feed["next_after"] is not None
    conforms(responses.EventsPage, client.get("/v1/events", auth=AUDITOR))


def test_the_health_answers_conform_to_their_answer_models(client: Api) -> None:
    conforms(responses.Health, client.http.get("/healthz"))
    conforms(responses.Readiness, client.http.get("/readyz"))


def test_every_answer_across_tracks_conforms_to_its_answer_model(client: Api) -> None:
    a_track_with_every_board(client)
    client.record(
        "ssd",
        "warning",
        speaker={"name": "Sergei Ryabkov", "role": "Deputy Foreign Minister"},
        reported_by={"name": "TASS"},
    )
    page = conforms(responses.StatementsPage, client.get("/v1/statements", {"limit": 2}))
    assert page["next_cursor"] is not None
    searched = conforms(responses.StatementsPage, client.get("/v1/statements", {"q": "Russia"}))
    assert searched["items"] and all(item["snippet"] for item in searched["items"])
    assert conforms(responses.DemandsPage, client.get("/v1/demands"))["items"]
    assert conforms(responses.WarningsPage, client.get("/v1/warnings"))["items"]
    assert conforms(responses.MeetingsPage, client.get("/v1/meetings"))["items"]
    assert conforms(responses.ActorsPage, client.get("/v1/actors"))["items"]
