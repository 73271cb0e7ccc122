"""Consistency, concurrency and idempotency over HTTP: write positions and ETags, reads at a
`min_position`, `If-Match`, and `Idempotency-Key` (also across a restart)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import (
    RECORDER,
    RUSSIA,
    USA,
    Api,
    StartApp,
    assert_problem,
    etag_version,
    statement,
)

STATEMENTS = "/v1/tracks/ssd/statements"


@pytest.fixture
def ssd(client: Api) -> Api:
    opened = client.open_track("ssd")
    # The track is readable once the projector applied its opening (else a read is 404).
    client.get("/v1/tracks/ssd", min_position=opened["position"], expect=200)
    return client


# -- positions and ETags ------------------------------------------------------------------------


def test_every_write_answers_its_position_and_the_track_version_as_etag(ssd: Api) -> None:
    answers = []
    said = ssd.post(STATEMENTS, statement("demand"), expect=201)
    answers.append(said)
    answers.append(
        ssd.post(f"{STATEMENTS}:batch", {"statements": [statement("statement")] * 2}, expect=201)
    )
    answers.append(ssd.post("/v1/tracks/ssd/parties", {"name": "OSCE"}, expect=201))
    answers.append(ssd.correct("ssd", said.json()["id"], {"summary": "corrected"}))
    answers.append(ssd.retract("ssd", said.json()["id"]))
    answers.append(ssd.set_status("ssd", "suspended"))
    versions = [etag_version(r) for r in answers]
    positions = [r.json()["position"] for r in answers]
    assert versions == [2, 4, 5, 6, 7, 8]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert answers[0].json()["track_version"] == 2
    assert answers[1].json()["track_version"] == 4
    state = ssd.track("ssd")
    assert state["version"] == 8
    assert state["position"] == positions[-1]


def test_a_read_answers_an_x_projection_position_at_least_the_min_position(ssd: Api) -> None:
    written = ssd.record("ssd", "demand")
    for path in (
        "/v1/tracks",
        "/v1/tracks/ssd",
        STATEMENTS,
        f"{STATEMENTS}/{written['id']}",
        "/v1/tracks/ssd/demands",
    ):
        response = ssd.get(path, min_position=written["position"], expect=200)
        assert int(response.headers["x-projection-position"]) >= written["position"], path
    without = ssd.http.get("/v1/tracks")
    assert int(without.headers["x-projection-position"]) >= 0
    for n in range(2, 6):  # each read sees the write whose position it passes
        written = ssd.record("ssd", "statement", summary=f"number {n}")
        state = ssd.get("/v1/tracks/ssd", min_position=written["position"], expect=200).json()
        assert state["statement_count"] == n
        assert state["version"] >= written["track_version"]


def test_a_plain_read_soon_shows_a_write_and_never_claims_a_position_it_does_not_show(
    ssd: Api,
) -> None:
    """Without `min_position` a read may lag (on PostgreSQL it may come from the API's
    document cache), but the position it reports is one its document reflects."""
    for n in range(1, 6):
        written = ssd.record("ssd", "demand", summary=f"demand {n}")
        deadline = time.monotonic() + 5
        while True:
            response = ssd.http.get("/v1/tracks/ssd")
            assert response.status_code == 200, response.text
            shown = response.json()["statement_count"]
            if int(response.headers["x-projection-position"]) >= written["position"]:
                assert shown == n
                break
            assert shown == n - 1 and time.monotonic() < deadline
            time.sleep(0.005)


def test_a_min_position_never_reached_is_503_with_retry_after(start_app: StartApp) -> None:
    api = start_app(min_position_wait_seconds=0.2)
    api.open_track("ssd")
    for path in ("/v1/tracks/ssd", STATEMENTS):
        response = api.get(path, min_position=api.position + 1_000_000)
        assert_problem(response, 503)
        assert int(response.headers["retry-after"]) >= 0, path
    assert api.get("/v1/tracks/ssd").status_code == 200


# -- If-Match --------------------------------------------------------------------------------------


def test_if_match_with_the_current_version_succeeds_and_a_stale_one_is_412(ssd: Api) -> None:
    first = ssd.post(STATEMENTS, statement("statement"), headers={"If-Match": '"1"'})
    assert first.status_code == 201, first.text
    assert etag_version(first) == 2
    stale = ssd.post(STATEMENTS, statement("statement"), headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    current = ssd.post(
        STATEMENTS, statement("statement"), headers={"If-Match": first.headers["etag"]}
    )
    assert current.status_code == 201, current.text
    assert ssd.track("ssd")["version"] == 3


def test_if_match_guards_every_write_and_a_value_that_is_no_version_is_412(ssd: Api) -> None:
    said = ssd.record("ssd", "demand")  # version 2
    stale = {"If-Match": '"1"'}
    for path, body in [
        (f"{STATEMENTS}:batch", {"statements": [statement("statement")]}),
        ("/v1/tracks/ssd/parties", {"name": "OSCE"}),
        ("/v1/tracks/ssd/status", {"status": "suspended"}),
        (f"{STATEMENTS}/{said['id']}/corrections", {"changes": {"summary": "x"}, "reason": "x"}),
        (f"{STATEMENTS}/{said['id']}/retraction", {"reason": "x"}),
    ]:
        assert_problem(ssd.post(path, body, headers=stale), 412)
    for value in ('"abc"', "yesterday", '"1.5"'):  # not a version at all
        assert_problem(
            ssd.post(STATEMENTS, statement("statement"), headers={"If-Match": value}), 412
        )
    assert ssd.track("ssd")["version"] == 2
    ok = ssd.post("/v1/tracks/ssd/parties", {"name": "OSCE"}, headers={"If-Match": '"2"'})
    assert ok.status_code == 201, ok.text


def test_concurrent_writes_without_if_match_are_all_recorded(ssd: Api) -> None:
    def write(n: int) -> int:
        response = ssd.http.post(
            STATEMENTS, json=statement("statement", summary=f"w{n}"), headers=RECORDER
        )
        assert response.status_code == 201, response.text
        ssd.position = max(ssd.position, response.json()["position"])
        return response.json()["track_version"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        versions = list(pool.map(write, range(16)))
    assert sorted(versions) == list(range(2, 18))
    state = ssd.track("ssd")
    assert state["statement_count"] == 16
    assert state["version"] == 17


def test_concurrent_writes_with_the_same_if_match_record_exactly_one(ssd: Api) -> None:
    def write(n: int) -> int:
        return ssd.http.post(
            STATEMENTS,
            json=statement("statement", summary=f"w{n}"),
            headers={**RECORDER, "If-Match": '"1"'},
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(write, range(6)))
    assert sorted(statuses) == [201] + [412] * 5
    ssd.position = ssd.http.get("/readyz").json()["position"]
    assert ssd.track("ssd")["statement_count"] == 1


# -- Idempotency-Key -----------------------------------------------------------------------------


def test_the_same_idempotency_key_and_body_replays_the_first_answer_and_records_nothing(
    ssd: Api,
) -> None:
    key = {"Idempotency-Key": "load:ru-draft-treaty"}
    body = statement("demand", red_line=True)
    first = ssd.post(STATEMENTS, body, headers=key, expect=201)
    assert "idempotent-replayed" not in first.headers
    replay = ssd.post(STATEMENTS, body, headers=key, expect=201)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["track_version"] == first.json()["track_version"]
    assert replay.headers["etag"] == first.headers["etag"]
    assert replay.json() == first.json()
    state = ssd.track("ssd")
    assert (state["version"], state["statement_count"]) == (2, 1)


def test_a_replay_after_later_writes_still_answers_the_first_answers_version_and_position(
    ssd: Api,
) -> None:
    key = {"Idempotency-Key": "k-1"}
    body = statement("demand")
    first = ssd.post(STATEMENTS, body, headers=key, expect=201)
    ssd.record("ssd", "statement", USA)
    replay = ssd.post(STATEMENTS, body, headers=key, expect=201)
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["track_version"] == first.json()["track_version"]
    assert replay.headers["etag"] == first.headers["etag"]
    assert replay.json()["position"] == first.json()["position"]


def test_the_same_idempotency_key_with_another_body_is_422_and_keys_are_200_chars_at_most(
    ssd: Api,
) -> None:
    key = {"Idempotency-Key": "k-1"}
    ssd.post(STATEMENTS, statement("demand"), headers=key, expect=201)
    assert_problem(ssd.post(STATEMENTS, statement("demand", summary="other"), headers=key), 422)
    assert_problem(
        ssd.post(f"{STATEMENTS}:batch", {"statements": [statement("demand")]}, headers=key), 422
    )
    state = ssd.track("ssd")
    assert (state["version"], state["statement_count"]) == (2, 1)


def test_batches_corrections_retractions_parties_and_status_changes_replay_too(ssd: Api) -> None:
    key = {"Idempotency-Key": "batch-1"}
    body = {"statements": [statement("demand"), statement("proposal", USA)]}
    first = ssd.post(f"{STATEMENTS}:batch", body, headers=key, expect=201)
    replay = ssd.post(f"{STATEMENTS}:batch", body, headers=key, expect=201)
    assert replay.headers["idempotent-replayed"] == "true"
    assert [s["id"] for s in replay.json()["items"]] == [s["id"] for s in first.json()["items"]]
    assert replay.json()["track_version"] == first.json()["track_version"] == 3
    said = first.json()["items"][0]
    for path, body in [
        (f"{STATEMENTS}/{said['id']}/corrections", {"changes": {"summary": "x"}, "reason": "x"}),
        ("/v1/tracks/ssd/parties", {"name": "OSCE"}),
        (f"{STATEMENTS}/{said['id']}/retraction", {"reason": "x"}),
        ("/v1/tracks/ssd/status", {"status": "suspended"}),
    ]:
        key = {"Idempotency-Key": f"once:{path}"}
        first = ssd.post(path, body, headers=key)
        assert first.status_code in (200, 201), first.text
        version = ssd.track("ssd")["version"]
        replay = ssd.post(path, body, headers=key)
        assert replay.status_code == first.status_code, f"{path}: {replay.text}"
        assert replay.headers["idempotent-replayed"] == "true", path
        assert ssd.track("ssd")["version"] == version, path
    assert ssd.track("ssd")["version"] == 7


def test_a_replayed_correction_answers_the_first_answers_track_version(ssd: Api) -> None:
    said = ssd.record("ssd", "demand")
    key = {"Idempotency-Key": "fix-1"}
    path = f"{STATEMENTS}/{said['id']}/corrections"
    body = {"changes": {"summary": "x"}, "reason": "x"}
    first = ssd.post(path, body, headers=key, expect=201)
    replay = ssd.post(path, body, headers=key, expect=201)
    assert first.json()["track_version"] == 3
    assert replay.json()["track_version"] == first.json()["track_version"]


def test_an_idempotency_key_replays_after_the_app_restarts(start_app: StartApp) -> None:
    key = {"Idempotency-Key": "survives-restart"}
    body = statement("demand", RUSSIA, summary="before the restart")
    before = start_app()
    before.open_track("ssd")
    first = before.post(STATEMENTS, body, headers=key, expect=201)
    before.stop()

    after = start_app()  # same store: the SQLite file or the PostgreSQL schema
    after.position = first.json()["position"]
    replay = after.post(STATEMENTS, body, headers=key, expect=201)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    assert_problem(after.post(STATEMENTS, {**body, "summary": "another body"}, headers=key), 422)
    state = after.track("ssd")
    assert (state["version"], state["statement_count"]) == (2, 1)
    assert after.statement("ssd", first.json()["id"])["summary"] == "before the restart"
