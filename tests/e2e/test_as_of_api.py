"""`GET /v1/tracks/{track}/as-of` over HTTP answers the same whether it starts from a view
checkpoint or from the track's snapshot: the service with checkpoints every 5 versions and
one without them, on the same store, agree at every version."""

from __future__ import annotations

from tests.e2e.conftest import AUDITOR, NATO, RUSSIA, USA, statement


def test_as_of_from_checkpoints_equals_as_of_without_them_at_every_version(start_app) -> None:
    checkpointed = start_app(checkpoint_interval=5)
    checkpointed.open_track("geneva")
    demands = [
        checkpointed.record("geneva", "demand", RUSSIA, summary=f"demand {n}")["id"]
        for n in range(6)
    ]
    answers = checkpointed.batch(
        "geneva",
        [
            statement(
                "response",
                USA,
                responds_to=demands[n],
                summary=f"answer {n}",
                position=("reject", "counter", "noncommittal")[n % 3],
            )
            for n in range(4)
        ],
    )
    warning = checkpointed.record("geneva", "sanction_warning", USA, target=RUSSIA)["id"]
    checkpointed.batch(
        "geneva",
        [
            statement("meeting_scheduled", NATO, meeting_at="2022-02-01", location="Brussels"),
            statement("meeting_held", NATO, occurred_at="2022-01-12"),
            statement("withdrawal", USA, withdraws=warning),
            *(statement("statement", NATO, summary=f"remark {n}") for n in range(7)),
        ],
    )
    checkpointed.correct("geneva", demands[5], {"summary": "demand five, as corrected"})
    checkpointed.retract("geneva", answers["items"][1]["id"])  # demand 1 is open again
    checkpointed.record(
        "geneva", "meeting_scheduled", NATO, meeting_at="2022-03-01", location="Vienna"
    )
    head = checkpointed.get("/v1/tracks/geneva").json()["version"]
    assert head > 4 * 5

    plain = start_app(checkpoint_interval=0)
    for version in range(1, head + 1):
        from_checkpoint = checkpointed.get(
            "/v1/tracks/geneva/as-of", {"version": version}, auth=AUDITOR, expect=200
        ).json()
        from_snapshot = plain.get(
            "/v1/tracks/geneva/as-of", {"version": version}, auth=AUDITOR, expect=200
        ).json()
        assert from_checkpoint == from_snapshot, version
    verified = checkpointed.get("/v1/tracks/geneva/verify", auth=AUDITOR, expect=200).json()
    assert verified["valid"] and verified["checkpoints_checked"] >= 3  # the projector's
    last = checkpointed.get("/v1/tracks/geneva/as-of", {"version": head}, auth=AUDITOR).json()
    assert [d["summary"] for d in last["open_demands"]] == [
        "demand 1",
        "demand 2",
        "demand 4",
        "demand five, as corrected",
    ]
