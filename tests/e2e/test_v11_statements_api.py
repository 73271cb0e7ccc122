"""The v1.1 statement model over HTTP, on both stores: the new fields as sent and answered,
dates by period, hearsay that decides no status, replies to warnings, corrections held to
the rules of recording, and a problem+json 422 naming the field for each bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import NATO, RUSSIA, USA, Api, assert_problem, statement

PUTIN = {"name": "Vladimir Putin", "role": "President of Russia"}


@pytest.fixture
def ssd(client: Api) -> Api:
    """An open track `ssd` (Russia, the United States, NATO) and another, `nrc`."""
    client.open_track("ssd")
    client.open_track("nrc", kind="nato")
    return client


def assert_names(response: Any, field: str) -> None:
    """A problem+json 422 whose errors point at `field`."""
    body = assert_problem(response, 422)
    locations = [[str(part) for part in error["loc"]] for error in body["errors"]]
    assert any(field in loc for loc in locations) or field in body["detail"], body


def test_a_statement_with_every_new_field_is_answered_as_sent_with_its_defaults_shown(
    ssd: Api,
) -> None:
    nrc = ssd.track("nrc")["id"]
    sources = [
        {"url": "http://kremlin.ru/events/1", "publisher": "Kremlin", "role": "original"},
        {"title": "Readout", "published_at": "2022-01", "role": "report"},
    ]
    said = ssd.record(
        "ssd",
        "sanction_warning",
        USA,
        occurred_at="2022-01",
        target=RUSSIA,
        speaker={"name": "Joe Biden"},
        reported_by={"name": "Jen Psaki", "role": "press secretary"},
        attribution="reported",
        also_concerns=["nrc"],
        with_parties=[NATO],
        condition="if Russia further invades Ukraine",
        sources=sources,
    )
    shown = ssd.statement("ssd", said["id"])

    for answer in (said, shown):
        assert answer["occurred_at"] == "2022-01" and answer["occurred_precision"] == "month"
        assert answer["also_concerns"] == [nrc]  # a slug is answered as the track's id
        assert answer["sources"] == sources and answer["source"] == sources[0]
        assert answer["condition"] == "if Russia further invades Ukraine"
        assert (answer["attribution"], answer["with_parties"]) == ("reported", [NATO])
        assert answer["status"] == "active" and answer["responses"] == []
    board = ssd.track("ssd")["active_sanction_warnings"][0]
    assert board["condition"] == "if Russia further invades Ukraine"
    assert board["speaker"] == {"name": "Joe Biden"}
    assert ssd.track("nrc")["statement_count"] == 0  # it counts on its home track only


def test_a_v1_statement_is_answered_with_source_first_of_sources_and_direct(ssd: Api) -> None:
    plain = ssd.record("ssd", "statement", source={"publisher": "TASS"})
    empty = ssd.record("ssd", "statement", source={})
    meeting = ssd.record("ssd", "meeting_held", NATO, occurred_at="2022-01-12T10:00:00+01:00")

    assert (plain["source"], plain["sources"]) == ({"publisher": "TASS"}, [{"publisher": "TASS"}])
    assert (empty["source"], empty["sources"]) == (None, [])
    assert plain["attribution"] == "direct" and plain["occurred_precision"] == "day"
    assert meeting["format"] == "in_person" and meeting["cameo_code"] == "046"
    assert meeting["occurred_at"] == "2022-01-12T10:00:00+01:00"  # the offset as sent
    assert meeting["occurred_precision"] == "time"


def test_a_statement_from_before_the_track_opened_is_recorded(client: Api) -> None:
    client.open_track("late", opened_at="2022-01-10")
    early = client.record("late", "statement", occurred_at="2021")
    assert client.timeline_ids("late") == [early["id"]]


def test_a_phone_call_gets_its_own_default_cameo_code(ssd: Api) -> None:
    call = ssd.record("ssd", "meeting_held", USA, format="phone", with_parties=[RUSSIA])
    planned = ssd.record(
        "ssd", "meeting_scheduled", USA, meeting_at="2022", location="-", format="phone"
    )
    assert (call["cameo_code"], planned["cameo_code"]) == ("041", "041")
    assert planned["meeting_precision"] == "year"


def test_a_stance_may_be_sent_as_stance_and_every_answer_shows_it(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)
    body = statement("response", USA, responds_to=demand["id"], stance="reject")
    del body["position"]

    written = ssd.record_body("ssd", body)

    assert written["stance"] == written["response_position"] == "reject"
    assert isinstance(written["position"], int)  # the commit position, as in v1
    shown = ssd.statement("ssd", written["id"])
    assert shown["stance"] == shown["position"] == "reject"
    assert ssd.status_of("ssd", demand["id"]) == "rejected"


def test_hearsay_is_listed_but_only_the_party_s_own_words_set_a_demand_s_status(
    ssd: Api,
) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)
    ssd.record(
        "ssd",
        "response",
        USA,
        responds_to=demand["id"],
        position="accept",
        attribution="claimed",
        claimed_by=RUSSIA,
    )
    shown = ssd.statement("ssd", demand["id"])
    assert (shown["status"], shown["claimed_status"]) == ("open", "accepted")
    assert len(shown["responses"]) == 1
    assert [d["id"] for d in ssd.demands("ssd")] == [demand["id"]]

    withdrawal = ssd.record(
        "ssd", "withdrawal", RUSSIA, withdraws=demand["id"], attribution="unconfirmed"
    )
    assert ssd.status_of("ssd", demand["id"]) == "open"
    ssd.correct("ssd", withdrawal["id"], {"attribution": "direct"})
    assert ssd.status_of("ssd", demand["id"]) == "withdrawn"


def test_a_warning_lists_its_replies_and_its_author_may_withdraw_it(ssd: Api) -> None:
    warning = ssd.record("ssd", "warning", RUSSIA, condition="if NATO expands", speaker=PUTIN)
    reply = ssd.record("ssd", "statement", NATO, responds_to=warning["id"])

    shown = ssd.statement("ssd", warning["id"])
    assert [r["id"] for r in shown["responses"]] == [reply["id"]]
    assert (shown["status"], shown["speaker"]) == ("active", PUTIN)

    ssd.record("ssd", "withdrawal", RUSSIA, withdraws=warning["id"])
    assert ssd.status_of("ssd", warning["id"]) == "withdrawn"


def test_a_correction_may_change_the_party_and_the_type_s_own_fields(ssd: Api) -> None:
    meeting = ssd.record("ssd", "meeting_held", NATO, occurred_at="2022-01-12T10:00:00Z")

    changes = {"party": USA, "format": "video", "ended_at": "2022-01-12T12:00:00+00:00"}
    corrected = ssd.correct("ssd", meeting["id"], changes).json()

    assert {k: corrected[k] for k in changes} == changes
    assert ssd.statement("ssd", meeting["id"])["corrections"][0]["changes"] == changes


# -- a 422 naming the field ------------------------------------------------------------------

BAD_STATEMENTS: list[tuple[str, dict[str, Any], str]] = [
    ("statement", {"attribution": "claimed", "claimed_by": "Ukraine"}, "claimed_by"),
    ("statement", {"attribution": "claimed", "claimed_by": RUSSIA}, "claimed_by"),
    ("statement", {"attribution": "claimed"}, "claimed_by"),
    ("statement", {"claimed_by": USA}, "claimed_by"),
    ("statement", {"attribution": "unconfirmed", "claimed_by": USA}, "claimed_by"),
    ("statement", {"also_concerns": ["ssd"]}, "also_concerns"),
    ("statement", {"also_concerns": ["no-such-track"]}, "also_concerns"),
    ("statement", {"also_concerns": ["00000000-0000-4000-8000-000000000000"]}, "also_concerns"),
    ("statement", {"with_parties": [RUSSIA]}, "with_parties"),
    ("statement", {"with_parties": ["Ukraine"]}, "with_parties"),
    ("statement", {"source": {"publisher": "a"}, "sources": [{"title": "b"}]}, "sources"),
    ("statement", {"sources": [{"role": "original"}]}, "sources"),
    ("statement", {"speaker": {"name": ""}}, "speaker"),
    ("meeting_held", {"occurred_at": "2022-01-12", "ended_at": "2022-01-11T23:00:00Z"}, "ended_at"),
    ("meeting_held", {"ended_at": "2022-01-12"}, "ended_at"),
    ("statement", {"occurred_at": "2022-13"}, "occurred_at"),
    ("statement", {"occurred_at": "2099"}, "occurred_at"),
    ("meeting_scheduled", {"meeting_at": "2022-00"}, "meeting_at"),
    ("statement", {"sources": [{"title": "t", "published_at": "2022-13"}]}, "published_at"),
    ("demand", {"condition": "if"}, "condition"),
    ("demand", {"format": "phone"}, "format"),
    ("meeting_scheduled", {"ended_at": "2022-01-12T10:00:00Z"}, "ended_at"),
    ("response", {"position": "accept", "stance": "accept"}, "stance"),
    ("withdrawal", {"responds_to": "00000000-0000-4000-8000-000000000000"}, "responds_to"),
]


@pytest.mark.parametrize(("kind", "fields", "field"), BAD_STATEMENTS)
def test_a_bad_v11_field_is_a_422_naming_it_and_records_nothing(
    ssd: Api, kind: str, fields: dict[str, Any], field: str
) -> None:
    target = ssd.record("ssd", "demand", RUSSIA)
    version = ssd.track("ssd")["version"]
    refs = {"responds_to": target["id"]} if kind == "response" else {}
    refs |= {"withdraws": target["id"]} if kind == "withdrawal" else {}
    body = statement(kind, RUSSIA if kind != "response" else USA, **{**refs, **fields})

    assert_names(ssd.post("/v1/tracks/ssd/statements", body), field)
    assert_names(ssd.post("/v1/tracks/ssd/statements:batch", {"statements": [body]}), field)
    assert ssd.track("ssd")["version"] == version


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"claimed_by": USA}, "claimed_by"),
        ({"attribution": "claimed", "claimed_by": RUSSIA}, "claimed_by"),
        ({"also_concerns": ["ssd"]}, "also_concerns"),
        ({"also_concerns": ["no-such-track"]}, "also_concerns"),
        ({"category": "military"}, "category"),
        ({"stance": "accept", "position": "reject"}, "changes"),
        ({"source": {"title": "a"}, "sources": [{"title": "b"}]}, "sources"),
        ({"occurred_at": "2022-13"}, "occurred_at"),
    ],
)
def test_a_bad_correction_is_a_422_naming_the_field(
    ssd: Api, changes: dict[str, Any], field: str
) -> None:
    said = ssd.record("ssd", "statement", RUSSIA)
    assert_names(ssd.correct("ssd", said["id"], changes, expect=None), field)
    assert ssd.statement("ssd", said["id"])["corrections"] == []
