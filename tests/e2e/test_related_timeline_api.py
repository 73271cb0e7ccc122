"""GET /v1/tracks/{track}/statements shows the statements of other tracks that concern it
(`include_related`, default true), each with its home `track_id`; `party=` matches joint
authors; paging crosses home and related statements. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.e2e.conftest import Api, assert_problem, statement


def record_through_the_application(api: Api, track: str, **fields: Any) -> str:
    """Record one statement with v1.1 fields (`also_concerns` as track ids, `with_parties`)
    through the application's use case, as the API will once its request schema takes them;
    returns its id. Reads then wait for its position, as after any write of the suite."""
    tracker = api.http.app.state.tracker  # type: ignore[attr-defined]
    track_id = uuid.UUID(api.track(track)["id"])
    body = statement(fields.pop("type", "statement"), **fields)
    result = tracker.app.record_statements(track_id, [body], recorded_by="rita")
    api.position = max(api.position, result.position)
    tracker.after_write()
    return str(result.targets[0])


def _two_tracks(client: Api) -> tuple[str, str]:
    return client.open_track("ssd")["id"], client.open_track("nrc", kind="nato")["id"]


def test_a_statement_of_another_track_that_concerns_this_one_is_in_its_timeline(
    client: Api,
) -> None:
    ssd, nrc = _two_tracks(client)
    own = client.record("nrc", "demand", occurred_at="2022-01-12")["id"]
    joint = record_through_the_application(
        client, "ssd", type="demand", occurred_at="2022-01-10", also_concerns=[nrc]
    )

    page = client.timeline("nrc")
    assert [(s["id"], s["track_id"]) for s in page["items"]] == [(joint, ssd), (own, nrc)]
    assert page["items"][0] == client.statement("ssd", joint)  # its own view, as at home
    assert client.timeline_ids("nrc", include_related="false") == [own]
    assert client.timeline_ids("ssd") == [joint]


def test_counts_boards_and_single_reads_of_a_concerned_track_stay_its_own(client: Api) -> None:
    _, nrc = _two_tracks(client)
    own = client.record("nrc", "demand")["id"]
    joint = record_through_the_application(client, "ssd", type="demand", also_concerns=[nrc])

    document = client.track("nrc")
    assert (document["statement_count"], document["counts_by_type"]) == (1, {"demand": 1})
    assert [d["id"] for d in document["open_demands"]] == [own]
    assert [d["id"] for d in client.demands("nrc")] == [own]
    assert_problem(client.get(f"/v1/tracks/nrc/statements/{joint}"), 404)


def test_party_matches_the_joint_authors_of_a_statement(client: Api) -> None:
    _, nrc = _two_tracks(client)
    joint = record_through_the_application(
        client, "ssd", party="Russia", with_parties=["NATO"], also_concerns=[nrc]
    )
    client.record("ssd", "statement", "United States")

    for track in ("ssd", "nrc"):
        assert client.timeline_ids(track, party="NATO") == [joint]
        assert client.timeline_ids(track, party="NATO", include_related="false") == (
            [joint] if track == "ssd" else []
        )


def test_paging_crosses_home_and_related_statements_without_a_gap_or_a_repeat(
    client: Api,
) -> None:
    _, nrc = _two_tracks(client)
    written: list[tuple[str, str]] = []
    for n in range(9):
        day = f"2022-01-{10 + n % 3:02d}"
        if n % 2:
            id_ = record_through_the_application(
                client, "ssd", occurred_at=day, also_concerns=[nrc]
            )
        else:
            id_ = client.record("nrc", "statement", occurred_at=day)["id"]
        written.append((day, id_))
    everything = client.timeline("nrc", limit=500)["items"]
    # by day, then in the order written (a stable sort keeps it within a day)
    assert [s["id"] for s in everything] == [i for _, i in sorted(written, key=lambda w: w[0])]

    for limit in (1, 2, 4):
        seen: list[str] = []
        page = client.timeline("nrc", limit=limit)
        while True:
            seen += [s["id"] for s in page["items"]]
            if page["next_cursor"] is None:
                break
            page = client.timeline("nrc", limit=limit, cursor=page["next_cursor"])
        assert seen == [s["id"] for s in everything], limit


def test_a_cursor_naming_no_track_is_refused_as_a_problem(client: Api) -> None:
    client.open_track("ssd")
    for raw in ("2022-01-10T00:00:00.000000Z|3|not-a-track", "2022-01-10T00:00:00.000000Z|3|a|b"):
        cursor = base64.urlsafe_b64encode(raw.encode()).decode()
        problem = assert_problem(client.get("/v1/tracks/ssd/statements", {"cursor": cursor}), 422)
        assert problem["title"] == "Invalid cursor"
