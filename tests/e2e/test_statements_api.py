"""Statements over HTTP: recording every type, the timeline and its paging, one statement,
the demand board, corrections, retractions, the demand-status and next-meeting rules, and
batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.e2e.conftest import (
    AUDITOR,
    NATO,
    RUSSIA,
    USA,
    Api,
    assert_problem,
    etag_version,
    is_uuid,
    statement,
)


@pytest.fixture
def ssd(client: Api) -> Api:
    """The client, with an open track `ssd` between Russia, the United States and NATO."""
    client.open_track("ssd")
    return client


# -- recording every type -------------------------------------------------------------------


def test_every_statement_type_records_with_201_a_track_version_and_its_default_cameo_code(
    ssd: Api,
) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)
    proposal = ssd.record("ssd", "proposal", USA)
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("demand", RUSSIA, {"red_line": True}, "100"),
        ("proposal", USA, {}, "030"),
        ("response", USA, {"responds_to": demand["id"], "position": "accept"}, "080"),
        ("response", USA, {"responds_to": demand["id"], "position": "reject"}, "120"),
        ("response", USA, {"responds_to": demand["id"], "position": "partial"}, "040"),
        ("response", USA, {"responds_to": demand["id"], "position": "counter"}, "040"),
        ("response", USA, {"responds_to": demand["id"], "position": "noncommittal"}, "040"),
        ("concession", USA, {}, "080"),
        ("concession", USA, {"responds_to": demand["id"]}, "080"),
        ("sanction_warning", USA, {"target": RUSSIA, "measures": ["export controls"]}, "1312"),
        ("warning", RUSSIA, {"category": "military"}, "138"),
        ("warning", RUSSIA, {"category": "relations"}, "1313"),
        ("warning", RUSSIA, {"category": "other"}, "130"),
        ("meeting_scheduled", NATO, {"meeting_at": "2022-01-12", "location": "Brussels"}, "036"),
        ("meeting_held", NATO, {"location": "Brussels"}, "046"),
        ("meeting_held", NATO, {}, "046"),
        ("agreement", RUSSIA, {}, "057"),
        ("withdrawal", USA, {"withdraws": proposal["id"]}, "0832"),
        ("statement", RUSSIA, {}, "010"),
    ]
    version, position = proposal["track_version"], proposal["position"]
    track_id = demand["track_id"]
    for type_, party, extra, cameo in cases:
        body = statement(type_, party, **extra)
        response = ssd.post("/v1/tracks/ssd/statements", body)
        where = f"{type_} {extra}"
        assert response.status_code == 201, f"{where}: {response.text}"
        answer = response.json()
        assert answer["type"] == type_, where
        assert answer["cameo_code"] == cameo, where
        assert answer["track_version"] == version + 1, where
        assert etag_version(response) == answer["track_version"], where
        assert answer["version"] == answer["track_version"], where
        assert answer["position"] > position, where
        assert is_uuid(answer["id"]), where
        assert response.headers["location"].endswith(f"/statements/{answer['id']}"), where
        assert answer["track_id"] == track_id, where
        assert answer["party"] == party, where
        assert answer["summary"] == body["summary"], where
        assert answer["recorded_by"] == "rita", where
        assert answer["retracted"] is False, where
        assert answer["corrections"] == [], where
        assert datetime.fromisoformat(answer["recorded_at"]).tzinfo is not None, where
        stored = ssd.statement("ssd", answer["id"])
        for key, value in extra.items():
            assert stored[key] == value, f"{where}: {key}"
            if key != "position":  # see the test of a response's answer below
                assert answer[key] == value, f"{where}: {key}"
        if type_ in ("demand", "proposal"):
            assert answer["status"] == "open", where
            assert answer["responses"] == [], where
        version, position = answer["track_version"], answer["position"]
    state = ssd.track("ssd")
    assert state["id"] == track_id
    assert state["version"] == version
    assert state["statement_count"] == len(cases) + 2


def test_the_answer_to_recording_a_response_gives_the_commit_position_and_echoes_the_stance(
    ssd: Api,
) -> None:
    # API.md names both the write's commit position and a response's stance `position`;
    # the write answer keeps the commit position (clients pass it on as min_position).
    demand = ssd.record("ssd", "demand", RUSSIA)
    answer = ssd.record("ssd", "response", USA, responds_to=demand["id"], position="reject")
    assert isinstance(answer["position"], int)
    assert answer["response_position"] == "reject"
    assert ssd.statement("ssd", answer["id"])["position"] == "reject"


def test_a_demand_and_a_proposal_carry_their_status_and_responses(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)
    proposal = ssd.record("ssd", "proposal", USA)
    for answer in (demand, proposal):
        assert answer["status"] == "open"
        assert answer["responses"] == []
    response = ssd.record("ssd", "response", USA, responds_to=demand["id"], position="reject")
    view = ssd.statement("ssd", demand["id"])
    assert view["status"] == "rejected"
    assert [r["id"] for r in view["responses"]] == [response["id"]]
    assert view["responses"][0]["position"] == "reject"
    assert ssd.statement("ssd", proposal["id"])["status"] == "open"


def test_optional_fields_and_an_explicit_cameo_code_are_returned_as_recorded(ssd: Api) -> None:
    answer = ssd.record(
        "ssd",
        "demand",
        RUSSIA,
        occurred_at="2021-12-17T14:00:00+03:00",
        quote="No eastward expansion.",
        addressee=USA,
        red_line=True,
        cameo_code="0311",
        source={"url": "https://mid.ru/draft", "publisher": "MFA", "title": "Draft treaty"},
        topics=["nato-enlargement", "missiles"],
    )
    view = ssd.statement("ssd", answer["id"])
    assert view == {k: v for k, v in answer.items() if k not in ("track_version", "position")}
    assert view["cameo_code"] == "0311"
    assert view["quote"] == "No eastward expansion."
    assert view["addressee"] == USA
    assert view["source"] == {
        "url": "https://mid.ru/draft",
        "publisher": "MFA",
        "title": "Draft treaty",
    }
    assert view["topics"] == ["nato-enlargement", "missiles"]
    assert view["red_line"] is True
    assert view["occurred_at"] == "2021-12-17T14:00:00+03:00"
    assert ssd.record("ssd", "statement", occurred_at="2022-01-10")["occurred_at"] == "2022-01-10"
    at_utc = ssd.record("ssd", "statement", occurred_at="2022-01-10T09:00:00Z")
    assert at_utc["occurred_at"].startswith("2022-01-10T09:00:00")


# -- the timeline -------------------------------------------------------------------------------


@pytest.fixture
def timeline(ssd: Api) -> dict[str, str]:
    """A small timeline; returns name -> statement id."""
    ids = {}
    ids["demand"] = ssd.record(
        "ssd", "demand", RUSSIA, occurred_at="2022-01-10", topics=["nato-enlargement"]
    )["id"]
    # 2022-01-09T22:00Z: earlier than the demand though recorded later.
    ids["eve"] = ssd.record(
        "ssd", "statement", USA, occurred_at="2022-01-10T01:00:00+03:00", topics=["arms-control"]
    )["id"]
    ids["nato"] = ssd.record("ssd", "statement", NATO, occurred_at="2022-01-10")["id"]
    ids["proposal"] = ssd.record(
        "ssd", "proposal", USA, occurred_at="2022-01-12", topics=["arms-control", "missiles"]
    )["id"]
    ids["answer"] = ssd.record(
        "ssd",
        "response",
        RUSSIA,
        occurred_at="2022-01-11T12:00:00Z",
        responds_to=ids["proposal"],
        position="reject",
    )["id"]
    ids["gone"] = ssd.record("ssd", "statement", RUSSIA, occurred_at="2022-01-11")["id"]
    ssd.retract("ssd", ids["gone"])
    return ids


def names(ids: dict[str, str], found: list[str]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[i] for i in found]


def test_the_timeline_is_ordered_by_occurred_at_then_version_and_hides_retracted_ones(
    ssd: Api, timeline: dict[str, str]
) -> None:
    page = ssd.timeline("ssd")
    assert set(page) == {"items", "next_cursor"}
    assert page["next_cursor"] is None
    assert names(timeline, [s["id"] for s in page["items"]]) == [
        "eve",
        "demand",
        "nato",
        "answer",
        "proposal",
    ]
    items = ssd.timeline("ssd", include_retracted="true")["items"]
    assert names(timeline, [s["id"] for s in items]) == [
        "eve",
        "demand",
        "nato",
        "gone",
        "answer",
        "proposal",
    ]
    assert [s["retracted"] for s in items] == [False, False, False, True, False, False]


def test_the_timeline_filters_by_type_party_and_topic(ssd: Api, timeline: dict[str, str]) -> None:
    assert names(timeline, ssd.timeline_ids("ssd", type="statement")) == ["eve", "nato"]
    assert names(timeline, ssd.timeline_ids("ssd", type="demand")) == ["demand"]
    assert ssd.timeline_ids("ssd", type="agreement") == []
    assert names(timeline, ssd.timeline_ids("ssd", party=USA)) == ["eve", "proposal"]
    assert names(timeline, ssd.timeline_ids("ssd", party=RUSSIA)) == ["demand", "answer"]
    assert ssd.timeline_ids("ssd", party="Ukraine") == []
    assert names(timeline, ssd.timeline_ids("ssd", topic="arms-control")) == ["eve", "proposal"]
    assert names(timeline, ssd.timeline_ids("ssd", topic="missiles")) == ["proposal"]
    assert ssd.timeline_ids("ssd", topic="sanctions") == []
    assert names(timeline, ssd.timeline_ids("ssd", type="statement", party=NATO)) == ["nato"]
    assert names(
        timeline, ssd.timeline_ids("ssd", type="statement", party=RUSSIA, include_retracted="true")
    ) == ["gone"]


def test_the_timeline_filters_by_since_and_until_inclusive_a_date_until_meaning_that_day(
    ssd: Api, timeline: dict[str, str]
) -> None:
    assert names(timeline, ssd.timeline_ids("ssd", since="2022-01-10")) == [
        "demand",
        "nato",
        "answer",
        "proposal",
    ]
    assert names(timeline, ssd.timeline_ids("ssd", since="2022-01-10T00:00:00+03:00")) == [
        "eve",
        "demand",
        "nato",
        "answer",
        "proposal",
    ]
    assert names(timeline, ssd.timeline_ids("ssd", since="2022-01-11T12:00:00Z")) == [
        "answer",
        "proposal",
    ]
    assert names(timeline, ssd.timeline_ids("ssd", until="2022-01-10")) == ["eve", "demand", "nato"]
    assert names(timeline, ssd.timeline_ids("ssd", until="2022-01-09T23:00:00Z")) == ["eve"]
    assert names(timeline, ssd.timeline_ids("ssd", until="2022-01-11T12:00:00Z")) == [
        "eve",
        "demand",
        "nato",
        "answer",
    ]
    assert names(
        timeline, ssd.timeline_ids("ssd", party=USA, since="2022-01-11", until="2022-01-12")
    ) == ["proposal"]


def pages(api: Api, limit: int, **filters: Any) -> list[list[str]]:
    """Every page of the timeline, following next_cursor."""
    found: list[list[str]] = []
    page = api.timeline("ssd", limit=limit, **filters)
    for _ in range(100):
        found.append([s["id"] for s in page["items"]])
        if page["next_cursor"] is None:
            return found
        page = api.timeline("ssd", limit=limit, cursor=page["next_cursor"], **filters)
    raise AssertionError("the cursor never ends")


def flat(found: list[list[str]]) -> list[str]:
    return [statement_id for page in found for statement_id in page]


def test_the_timeline_pages_through_everything_with_limit_and_cursor(ssd: Api) -> None:
    days = [14, 3, 9, 3, 21, 1, 9, 30, 3, 17, 12, 5]  # ties on purpose: broken by version
    recorded = ssd.batch(
        "ssd",
        [statement("statement", occurred_at=f"2022-01-{d:02d}", summary=f"day {d}") for d in days],
    )["items"]
    expected = [s["id"] for s in sorted(recorded, key=lambda s: (s["occurred_at"], s["version"]))]
    assert ssd.timeline_ids("ssd") == expected
    by_five = pages(ssd, 5)
    assert [len(p) for p in by_five] == [5, 5, 2]
    assert flat(by_five) == expected
    by_four = pages(ssd, 4)  # the last page is full and has no next_cursor
    assert [len(p) for p in by_four] == [4, 4, 4]
    assert flat(by_four) == expected


def test_paging_keeps_the_filters_and_the_limit_defaults_to_100_up_to_500(ssd: Api) -> None:
    bodies = [
        statement(
            "demand" if n % 3 == 0 else "statement",
            RUSSIA,
            occurred_at=f"2022-01-{1 + n % 28:02d}",
            summary=f"n{n}",
        )
        for n in range(101)
    ]
    ssd.batch("ssd", bodies)
    demands = ssd.timeline_ids("ssd", type="demand")
    assert len(demands) == 34
    assert flat(pages(ssd, 10, type="demand")) == demands
    first = ssd.timeline("ssd")
    assert len(first["items"]) == 100 and first["next_cursor"]
    assert len(ssd.timeline("ssd", limit=500)["items"]) == 101
    assert_problem(ssd.get("/v1/tracks/ssd/statements", {"limit": 501}), 422)
    assert_problem(ssd.get("/v1/tracks/ssd/statements", {"limit": 0}), 422)


# -- one statement ----------------------------------------------------------------------------


def test_one_statement_is_read_with_its_responses_and_status_and_an_unknown_one_is_404(
    ssd: Api,
) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA, occurred_at="2022-01-10")
    second = ssd.record(
        "ssd",
        "response",
        NATO,
        occurred_at="2022-01-12",
        responds_to=demand["id"],
        position="partial",
    )
    first = ssd.record(
        "ssd",
        "response",
        USA,
        occurred_at="2022-01-11",
        responds_to=demand["id"],
        position="counter",
    )
    view = ssd.statement("ssd", demand["id"])
    assert view["id"] == demand["id"]
    assert view["status"] == "partially_accepted"
    assert [r["id"] for r in view["responses"]] == [first["id"], second["id"]]
    assert view["responses"][0]["party"] == USA
    response_view = ssd.statement("ssd", first["id"])
    assert response_view["responds_to"] == demand["id"]
    assert response_view["position"] == "counter"
    for unknown in ("00000000-0000-4000-8000-000000000000", "not-an-id"):
        assert_problem(ssd.get(f"/v1/tracks/ssd/statements/{unknown}"), 404)


# -- the demand board -------------------------------------------------------------------------


def test_the_demand_board_lists_demands_with_status_and_filters_by_status(ssd: Api) -> None:
    open_ = ssd.record("ssd", "demand", RUSSIA, occurred_at="2022-01-10")["id"]
    rejected = ssd.record("ssd", "demand", RUSSIA, occurred_at="2022-01-11")["id"]
    withdrawn = ssd.record("ssd", "demand", USA, occurred_at="2022-01-09")["id"]
    retracted = ssd.record("ssd", "demand", USA, occurred_at="2022-01-08")["id"]
    accepted = ssd.record("ssd", "demand", NATO, occurred_at="2022-01-12")["id"]
    ssd.record("ssd", "proposal", USA)  # proposals are not on the demand board
    no = ssd.record("ssd", "response", USA, responds_to=rejected, position="reject")["id"]
    ssd.record("ssd", "withdrawal", USA, withdraws=withdrawn)
    ssd.record("ssd", "response", RUSSIA, responds_to=accepted, position="accept")
    ssd.retract("ssd", retracted)

    board = ssd.demands("ssd")
    assert [d["id"] for d in board] == [withdrawn, open_, rejected, accepted]
    assert [d["status"] for d in board] == ["withdrawn", "open", "rejected", "accepted"]
    assert all(d["type"] == "demand" and "responses" in d for d in board)
    assert [r["id"] for r in board[2]["responses"]] == [no]
    for status, expected in [
        ("open", [open_]),
        ("rejected", [rejected]),
        ("withdrawn", [withdrawn]),
        ("accepted", [accepted]),
        ("countered", []),
        ("partially_accepted", []),
    ]:
        assert [d["id"] for d in ssd.demands("ssd", status)] == expected, status
    assert_problem(ssd.get("/v1/tracks/ssd/demands", {"status": "active"}), 422)


# -- corrections --------------------------------------------------------------------------------


def test_a_correction_answers_201_and_the_statement_shows_the_corrected_fields(ssd: Api) -> None:
    demand = ssd.record(
        "ssd",
        "demand",
        RUSSIA,
        summary="Russia wants guarantees.",
        quote="We need a result.",
        topics=["security"],
    )
    response = ssd.correct(
        "ssd",
        demand["id"],
        {"summary": "Russia wants legal guarantees.", "topics": ["security-guarantees"]},
        reason="the readout says legally binding",
    )
    answer = response.json()
    assert etag_version(response) == demand["track_version"] + 1
    assert answer["track_version"] == demand["track_version"] + 1
    assert answer["id"] == demand["id"]
    assert answer["version"] == demand["version"]
    assert answer["summary"] == "Russia wants legal guarantees."
    assert answer["topics"] == ["security-guarantees"]
    assert answer["quote"] == "We need a result."

    view = ssd.statement("ssd", demand["id"])
    assert view["summary"] == "Russia wants legal guarantees."
    assert view["topics"] == ["security-guarantees"]
    assert len(view["corrections"]) == 1
    correction = view["corrections"][0]
    assert set(correction) == {"recorded_at", "recorded_by", "reason", "changes"}
    assert correction["recorded_by"] == "rita"
    assert correction["reason"] == "the readout says legally binding"
    assert correction["changes"] == {
        "summary": "Russia wants legal guarantees.",
        "topics": ["security-guarantees"],
    }
    assert ssd.track("ssd")["open_demands"][0]["summary"] == "Russia wants legal guarantees."
    assert ssd.timeline_ids("ssd", topic="security-guarantees") == [demand["id"]]
    assert ssd.timeline_ids("ssd", topic="security") == []


def test_corrections_accumulate_and_an_explicit_null_removes_the_quote(ssd: Api) -> None:
    said = ssd.record("ssd", "statement", quote="misheard", source={"publisher": "TASS"})
    ssd.correct("ssd", said["id"], {"quote": None}, reason="not a quote")
    ssd.correct("ssd", said["id"], {"source": {"publisher": "RIA Novosti"}}, reason="source")
    view = ssd.statement("ssd", said["id"])
    assert view.get("quote") is None
    assert view["source"] == {"publisher": "RIA Novosti"}
    assert [c["reason"] for c in view["corrections"]] == ["not a quote", "source"]


def test_correcting_occurred_at_re_sorts_the_timeline_and_re_derives_a_demand_status(
    ssd: Api,
) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA, occurred_at="2022-01-10")["id"]
    reject = ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-12", responds_to=demand, position="reject"
    )["id"]
    accept = ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-11", responds_to=demand, position="accept"
    )["id"]
    assert ssd.timeline_ids("ssd") == [demand, accept, reject]
    assert ssd.status_of("ssd", demand) == "rejected"
    ssd.correct("ssd", accept, {"occurred_at": "2022-01-13"}, reason="later than we thought")
    assert ssd.timeline_ids("ssd") == [demand, reject, accept]
    assert ssd.timeline_ids("ssd", since="2022-01-13") == [accept]
    assert ssd.status_of("ssd", demand) == "accepted"
    assert [d["id"] for d in ssd.demands("ssd", "accepted")] == [demand]


def test_the_history_keeps_the_original_words_of_a_corrected_statement(ssd: Api) -> None:
    said = ssd.record("ssd", "statement", summary="The original words.")
    ssd.correct("ssd", said["id"], {"summary": "The corrected words."}, reason="typo")
    response = ssd.http.get("/v1/tracks/ssd/history", headers=AUDITOR)
    assert response.status_code == 200, response.text
    events = response.json()["items"]
    recorded = next(e for e in events if e["version"] == said["version"])
    assert "The original words." in str(recorded["data"])
    corrected = next(e for e in events if e["version"] == said["version"] + 1)
    assert corrected["type"] == "StatementCorrected"
    assert "The corrected words." in str(corrected["data"])
    assert corrected["recorded_by"] == "rita"


INVALID_CHANGES: list[dict[str, Any]] = [
    {},
    {"summary": None},
    {"occurred_at": None},
    {"party": "Nobody"},  # v1.1 corrects a party, to one of the track's only
    {"party": None},
    {"type": "demand"},
    {"responds_to": "00000000-0000-4000-8000-000000000000"},
    {"red_line": True},  # a field of another type
    {"summary": ""},
    {"occurred_at": "2022-01-10T09:00:00"},
    {"occurred_at": "2099-01-01"},
    {"topics": [f"t{i}" for i in range(21)]},
    {"source": {"url": "ftp://example.org"}},
]


def test_a_correction_without_valid_changes_or_a_reason_is_422_and_of_nothing_404(ssd: Api) -> None:
    said = ssd.record("ssd", "statement")
    for changes in INVALID_CHANGES:
        response = ssd.correct("ssd", said["id"], changes, expect=None)
        assert response.status_code == 422, changes
        assert_problem(response, 422)
    assert_problem(
        ssd.post(
            f"/v1/tracks/ssd/statements/{said['id']}/corrections", {"changes": {"summary": "x"}}
        ),
        422,
    )
    assert_problem(
        ssd.correct("ssd", "00000000-0000-4000-8000-000000000000", {"summary": "x"}, expect=404),
        404,
    )
    assert ssd.statement("ssd", said["id"])["corrections"] == []
    assert ssd.track("ssd")["version"] == said["track_version"]


# -- retractions ------------------------------------------------------------------------------


def test_a_retraction_answers_200_and_the_statement_leaves_counts_and_boards(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)
    warning = ssd.record("ssd", "sanction_warning", USA, target=RUSSIA)
    meeting = ssd.record(
        "ssd", "meeting_scheduled", NATO, meeting_at="2022-01-12", location="Brussels"
    )
    kept = ssd.record("ssd", "demand", USA)
    before = ssd.track("ssd")
    assert before["statement_count"] == 4
    assert before["next_meeting"]["id"] == meeting["id"]

    response = ssd.retract("ssd", demand["id"], reason="misattributed")
    assert response.json()["retracted"] is True
    assert response.json()["track_version"] == kept["track_version"] + 1
    assert etag_version(response) == kept["track_version"] + 1
    ssd.retract("ssd", warning["id"])
    ssd.retract("ssd", meeting["id"])

    state = ssd.track("ssd")
    assert state["statement_count"] == 1
    assert state["counts_by_type"] == {"demand": 1}
    assert [d["id"] for d in state["open_demands"]] == [kept["id"]]
    assert state["active_sanction_warnings"] == []
    assert state["next_meeting"] is None
    assert [d["id"] for d in ssd.demands("ssd")] == [kept["id"]]
    assert ssd.timeline_ids("ssd") == [kept["id"]]


def test_a_retracted_statement_stays_readable_but_cannot_be_retracted_or_corrected_again(
    ssd: Api,
) -> None:
    said = ssd.record("ssd", "statement")
    assert_problem(ssd.post(f"/v1/tracks/ssd/statements/{said['id']}/retraction", {}), 422)
    assert_problem(
        ssd.post(f"/v1/tracks/ssd/statements/{said['id']}/retraction", {"reason": ""}), 422
    )
    ssd.retract("ssd", said["id"])
    view = ssd.statement("ssd", said["id"])
    assert view["retracted"] is True
    assert view["summary"] == said["summary"]
    assert_problem(ssd.retract("ssd", said["id"], expect=409), 409)
    assert_problem(ssd.correct("ssd", said["id"], {"summary": "x"}, expect=409), 409)
    assert ssd.track("ssd")["version"] == said["track_version"] + 1


# -- demand status, end to end ------------------------------------------------------------------


STATUS_FOR_POSITION = {
    "accept": "accepted",
    "reject": "rejected",
    "partial": "partially_accepted",
    "counter": "countered",
    "noncommittal": "open",
}


def test_a_response_by_another_party_sets_the_demand_and_proposal_status(ssd: Api) -> None:
    answered = {}
    for position in STATUS_FOR_POSITION:
        demand = ssd.record("ssd", "demand", RUSSIA, summary=f"demand {position}")["id"]
        proposal = ssd.record("ssd", "proposal", RUSSIA, summary=f"proposal {position}")["id"]
        ssd.record("ssd", "response", USA, responds_to=demand, position=position)
        ssd.record("ssd", "response", NATO, responds_to=proposal, position=position)
        answered[position] = (demand, proposal)
    open_ids = [d["id"] for d in ssd.track("ssd")["open_demands"]]
    for position, (demand, proposal) in answered.items():
        status = STATUS_FOR_POSITION[position]
        assert ssd.status_of("ssd", demand) == status, position
        assert ssd.status_of("ssd", proposal) == status, position
        assert (demand in open_ids) == (status == "open"), position


def test_only_responses_by_another_party_count_not_the_authors_own_or_concessions(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)["id"]
    own = ssd.record("ssd", "response", RUSSIA, responds_to=demand, position="accept")["id"]
    ssd.record("ssd", "concession", USA, responds_to=demand)
    assert ssd.status_of("ssd", demand) == "open"
    assert [d["id"] for d in ssd.track("ssd")["open_demands"]] == [demand]
    ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-11", responds_to=demand, position="reject"
    )
    ssd.record(
        "ssd", "response", RUSSIA, occurred_at="2022-01-12", responds_to=demand, position="accept"
    )
    assert ssd.status_of("ssd", demand) == "rejected"
    assert own in [r["id"] for r in ssd.statement("ssd", demand)["responses"]]


def test_the_latest_response_by_occurred_at_decides_and_ties_go_to_the_later_recorded(
    ssd: Api,
) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)["id"]
    ssd.record(
        "ssd",
        "response",
        USA,
        occurred_at="2022-01-12T10:00:00+01:00",
        responds_to=demand,
        position="reject",
    )
    # Recorded later but said earlier (08:00Z < 09:00Z): it does not decide.
    ssd.record(
        "ssd",
        "response",
        USA,
        occurred_at="2022-01-12T08:00:00Z",
        responds_to=demand,
        position="accept",
    )
    assert ssd.status_of("ssd", demand) == "rejected"
    # Said at the same instant as the reject (09:00Z), recorded after it: it decides.
    ssd.record(
        "ssd",
        "response",
        NATO,
        occurred_at="2022-01-12T09:00:00Z",
        responds_to=demand,
        position="counter",
    )
    assert ssd.status_of("ssd", demand) == "countered"


def test_a_withdrawal_by_the_author_makes_a_demand_withdrawn_whatever_else(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA, occurred_at="2022-01-10")["id"]
    ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-11", responds_to=demand, position="accept"
    )
    ssd.record("ssd", "withdrawal", RUSSIA, occurred_at="2022-01-10T12:00:00Z", withdraws=demand)
    ssd.record(
        "ssd", "response", NATO, occurred_at="2022-01-13", responds_to=demand, position="reject"
    )
    assert ssd.status_of("ssd", demand) == "withdrawn"
    assert ssd.track("ssd")["open_demands"] == []
    assert [d["id"] for d in ssd.demands("ssd", "withdrawn")] == [demand]


def test_a_proposal_and_a_sanction_warning_can_be_withdrawn_by_their_author(ssd: Api) -> None:
    proposal = ssd.record("ssd", "proposal", USA)["id"]
    warning = ssd.record("ssd", "sanction_warning", USA, target=RUSSIA)["id"]
    assert [w["id"] for w in ssd.track("ssd")["active_sanction_warnings"]] == [warning]
    ssd.record("ssd", "withdrawal", USA, withdraws=proposal)
    ssd.record("ssd", "withdrawal", USA, withdraws=warning)
    assert ssd.status_of("ssd", proposal) == "withdrawn"
    assert ssd.track("ssd")["active_sanction_warnings"] == []


def test_a_retracted_response_falls_back_to_the_one_before_or_reopens_the_demand(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)["id"]
    earlier = ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-11", responds_to=demand, position="counter"
    )["id"]
    latest = ssd.record(
        "ssd", "response", USA, occurred_at="2022-01-12", responds_to=demand, position="accept"
    )["id"]
    assert ssd.status_of("ssd", demand) == "accepted"
    ssd.retract("ssd", latest)
    view = ssd.statement("ssd", demand)
    assert view["status"] == "countered"
    assert [r["id"] for r in view["responses"]] == [earlier]
    assert [d["id"] for d in ssd.demands("ssd", "countered")] == [demand]
    ssd.retract("ssd", earlier)
    assert ssd.status_of("ssd", demand) == "open"
    assert [d["id"] for d in ssd.track("ssd")["open_demands"]] == [demand]


def test_a_retracted_withdrawal_restores_the_status_from_the_responses(ssd: Api) -> None:
    demand = ssd.record("ssd", "demand", RUSSIA)["id"]
    ssd.record("ssd", "response", USA, responds_to=demand, position="partial")
    withdrawal = ssd.record("ssd", "withdrawal", RUSSIA, withdraws=demand)["id"]
    assert ssd.status_of("ssd", demand) == "withdrawn"
    ssd.retract("ssd", withdrawal)
    assert ssd.status_of("ssd", demand) == "partially_accepted"
    ssd.record("ssd", "withdrawal", RUSSIA, withdraws=demand)  # may be withdrawn again
    assert ssd.status_of("ssd", demand) == "withdrawn"


# -- next meeting ------------------------------------------------------------------------------


def test_next_meeting_is_the_earliest_scheduled_when_none_was_held(ssd: Api) -> None:
    assert ssd.track("ssd")["next_meeting"] is None
    ssd.record(
        "ssd",
        "meeting_scheduled",
        NATO,
        occurred_at="2022-01-04",
        meeting_at="2099-06-01T10:00:00+02:00",
        location="Brussels",
    )  # future is fine
    ssd.record(
        "ssd",
        "meeting_scheduled",
        NATO,
        occurred_at="2022-01-04",
        meeting_at="2022-01-20",
        location="Brussels",
    )
    earliest = ssd.record(
        "ssd",
        "meeting_scheduled",
        USA,
        occurred_at="2022-01-05",
        meeting_at="2022-01-15",
        location="Geneva",
    )
    assert ssd.track("ssd")["next_meeting"] == {
        "id": earliest["id"],
        "meeting_at": "2022-01-15",
        "location": "Geneva",
    }


def test_next_meeting_is_the_earliest_strictly_after_the_newest_meeting_held(ssd: Api) -> None:
    on_the_15th = ssd.record(
        "ssd", "meeting_scheduled", USA, meeting_at="2022-01-15", location="Geneva"
    )["id"]
    on_the_20th = ssd.record(
        "ssd",
        "meeting_scheduled",
        NATO,
        meeting_at="2022-01-20T10:00:00+01:00",
        location="Brussels",
    )["id"]
    next_id = lambda: (ssd.track("ssd")["next_meeting"] or {}).get("id")  # noqa: E731
    assert next_id() == on_the_15th
    # Held at 2022-01-14T23:30Z; "2022-01-15" compares as 00:00Z that day, so it is later.
    ssd.record("ssd", "meeting_held", USA, occurred_at="2022-01-15T01:30:00+02:00")
    assert next_id() == on_the_15th
    # Held at exactly 2022-01-15T00:00Z: the meeting on the 15th is no longer later.
    held = ssd.record("ssd", "meeting_held", USA, occurred_at="2022-01-15T00:00:00Z")["id"]
    assert ssd.track("ssd")["next_meeting"] == {
        "id": on_the_20th,
        "meeting_at": "2022-01-20T10:00:00+01:00",
        "location": "Brussels",
    }
    # Recorded last but held earlier: the newest meeting held is still the one of the 15th.
    ssd.record("ssd", "meeting_held", RUSSIA, occurred_at="2022-01-02")
    assert next_id() == on_the_20th
    # Retracting the newest meeting held brings the meeting of the 15th back.
    ssd.retract("ssd", held)
    assert next_id() == on_the_15th
    ssd.record("ssd", "meeting_held", NATO, occurred_at="2022-01-21")
    assert ssd.track("ssd")["next_meeting"] is None


# -- batches ------------------------------------------------------------------------------------


def test_a_batch_records_all_its_statements_with_201(ssd: Api) -> None:
    bodies = [
        statement("demand", RUSSIA, occurred_at="2022-01-10"),
        statement("proposal", USA, occurred_at="2022-01-11"),
        statement("warning", RUSSIA, occurred_at="2022-01-12", category="relations"),
    ]
    response = ssd.post("/v1/tracks/ssd/statements:batch", {"statements": bodies})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) >= {"items", "track_version", "position"}
    assert [s["type"] for s in answer["items"]] == ["demand", "proposal", "warning"]
    assert [s["version"] for s in answer["items"]] == [2, 3, 4]
    assert answer["track_version"] == 4
    assert etag_version(response) == 4
    assert len({s["id"] for s in answer["items"]}) == 3
    assert answer["items"][2]["cameo_code"] == "1313"
    assert answer["items"][0]["status"] == "open"
    state = ssd.track("ssd")
    assert state["statement_count"] == 3
    assert state["version"] == 4
    assert ssd.timeline_ids("ssd") == [s["id"] for s in answer["items"]]


def test_a_batch_of_three_with_one_invalid_statement_records_none(ssd: Api) -> None:
    gone = ssd.record("ssd", "demand", RUSSIA)["id"]
    ssd.retract("ssd", gone)
    kept = ssd.record("ssd", "statement")["id"]
    invalid = [
        statement("proposal", "Ukraine"),  # unknown party
        statement("response", USA, responds_to=gone, position="reject"),  # retracted target
        {"type": "statement", "party": RUSSIA, "occurred_at": "2022-01-10"},  # no summary
    ]
    for bad in invalid:
        for place in range(3):
            bodies = [statement("demand", RUSSIA), statement("statement", USA)]
            bodies.insert(place, bad)
            problem = assert_problem(
                ssd.post("/v1/tracks/ssd/statements:batch", {"statements": bodies}), 422
            )
            if "summary" not in bad:
                assert any(place in e["loc"] for e in problem["errors"]), problem["errors"]
    state = ssd.track("ssd")
    assert (state["version"], state["statement_count"]) == (4, 1)
    assert ssd.timeline_ids("ssd") == [kept]


def test_a_batch_holds_1_to_500_statements(ssd: Api) -> None:
    assert_problem(ssd.post("/v1/tracks/ssd/statements:batch", {"statements": []}), 422)
    too_many = [statement("statement", summary=f"n{i}") for i in range(501)]
    assert_problem(ssd.post("/v1/tracks/ssd/statements:batch", {"statements": too_many}), 422)
    answer = ssd.batch("ssd", too_many[:500])
    assert len(answer["items"]) == 500
    assert answer["track_version"] == 501
    assert ssd.track("ssd")["statement_count"] == 500
