"""Small builders for the unit tests: open a track and record statements on it, no I/O.

Statements are the plain dicts of API.md (`type`, `party`, `occurred_at`, `summary`, extras);
statement ids are strings chosen by the test, so assertions can name them.
"""

from __future__ import annotations

from typing import Any

from domain.document import TrackView
from domain.hashchain import GENESIS_HASH, hash_of_event
from domain.track import Track

RUSSIA = "Russia"
USA = "United States"
NATO = "NATO"
PARTIES = [RUSSIA, USA, NATO]
RECORDER = "analyst"

# The minimal extra fields each statement type needs to be well-formed.
REQUIRED_EXTRAS: dict[str, dict[str, Any]] = {
    "demand": {},
    "proposal": {},
    "response": {"position": "noncommittal"},  # + responds_to
    "concession": {},
    "sanction_warning": {"target": "Russia"},
    "warning": {"category": "military"},
    "meeting_scheduled": {"meeting_at": "2022-01-10", "location": "Geneva"},
    "meeting_held": {},
    "agreement": {},
    "withdrawal": {},  # + withdraws
    "statement": {},
}


def open_track(
    parties: list[str] | None = None,
    slug: str = "strategic-stability-dialogue",
    kind: str = "bilateral",
) -> Track:
    return Track.open(
        slug=slug,
        kind=kind,
        title="US-Russia Strategic Stability Dialogue",
        venue="Geneva",
        parties=list(parties if parties is not None else PARTIES),
        opened_at="2021-12-01",
        recorded_by=RECORDER,
    )


def view_of(track: Track) -> TrackView:
    """What the track shows: its events, pending since it was opened, folded into a view."""
    view = TrackView.fold(track.pending_events)
    assert view is not None
    return view


def statement(
    kind: str,
    party: str = RUSSIA,
    occurred_at: str = "2021-12-17",
    summary: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind,
        "party": party,
        "occurred_at": occurred_at,
        "summary": summary or f"a {kind} by {party}",
    }
    body.update(extra)
    return body


def record(
    track: Track,
    statement_id: str,
    kind: str,
    party: str = RUSSIA,
    occurred_at: str = "2021-12-17",
    *,
    key: str | None = None,
    digest: str | None = None,
    **extra: Any,
) -> str:
    track.record_statement(
        statement_id,
        statement(kind, party, occurred_at, **extra),
        recorded_by=RECORDER,
        key=key,
        digest=digest,
    )
    return statement_id


def demand(
    track: Track,
    statement_id: str,
    party: str = RUSSIA,
    occurred_at: str = "2021-12-17",
    **extra: Any,
) -> str:
    return record(track, statement_id, "demand", party, occurred_at, **extra)


def proposal(
    track: Track, statement_id: str, party: str = USA, occurred_at: str = "2021-12-17", **extra: Any
) -> str:
    return record(track, statement_id, "proposal", party, occurred_at, **extra)


def respond(
    track: Track,
    statement_id: str,
    to: str,
    position: str,
    party: str = USA,
    occurred_at: str = "2022-01-10",
    **extra: Any,
) -> str:
    return record(
        track,
        statement_id,
        "response",
        party,
        occurred_at,
        responds_to=to,
        position=position,
        **extra,
    )


def withdraw(
    track: Track,
    statement_id: str,
    target: str,
    party: str = RUSSIA,
    occurred_at: str = "2022-01-20",
    **extra: Any,
) -> str:
    return record(track, statement_id, "withdrawal", party, occurred_at, withdraws=target, **extra)


def sanction_warning(
    track: Track,
    statement_id: str,
    party: str = USA,
    occurred_at: str = "2021-12-07",
    target: str = RUSSIA,
    **extra: Any,
) -> str:
    return record(
        track, statement_id, "sanction_warning", party, occurred_at, target=target, **extra
    )


def schedule_meeting(
    track: Track,
    statement_id: str,
    meeting_at: str,
    location: str = "Geneva",
    party: str = USA,
    occurred_at: str = "2021-12-20",
) -> str:
    return record(
        track,
        statement_id,
        "meeting_scheduled",
        party,
        occurred_at,
        meeting_at=meeting_at,
        location=location,
    )


def hold_meeting(
    track: Track, statement_id: str, occurred_at: str, party: str = USA, **extra: Any
) -> str:
    return record(track, statement_id, "meeting_held", party, occurred_at, **extra)


def retract(track: Track, statement_id: str, reason: str = "recorded in error") -> None:
    track.retract_statement(statement_id, reason, recorded_by=RECORDER)


def correct(track: Track, statement_id: str, reason: str = "wrong source", **changes: Any) -> None:
    track.correct_statement(statement_id, changes, reason, recorded_by=RECORDER)


def last_event(track: Track):
    return track.pending_events[-1]


def a_track_with_one_of_each_referable_type() -> Track:
    """Given: a demand and a proposal to answer, and a sanction warning, so that responses,
    concessions and withdrawals have something to name."""
    track = open_track()
    demand(track, "d1", RUSSIA)
    proposal(track, "p1", USA)
    sanction_warning(track, "sw1", USA)
    return track


def record_any(track: Track, statement_id: str, kind: str) -> None:
    """Record a well-formed statement of `kind`, with references that resolve."""
    party, extras = RUSSIA, dict(REQUIRED_EXTRAS[kind])
    if kind == "response":
        party, extras["responds_to"] = USA, "d1"
    if kind == "withdrawal":
        extras["withdraws"] = "d1"
    record(track, statement_id, kind, party, **extras)


class Unchanged:
    """Snapshot of what a refused command must leave alone."""

    def __init__(self, track: Track) -> None:
        self.track = track
        self.version = track.version
        self.pending = len(track.pending_events)
        self.statement_ids = list(track.index)
        self.head_hash = track.head_hash

    def check(self) -> None:
        assert self.track.version == self.version
        assert len(self.track.pending_events) == self.pending
        assert list(self.track.index) == self.statement_ids
        assert self.track.head_hash == self.head_hash


def a_track_with_every_kind_of_event() -> Track:
    """Given: a track whose stream holds every event class of the catalogue."""
    track = open_track(parties=[RUSSIA, USA])
    track.add_party(NATO, recorded_by=RECORDER, key="add-nato", digest="sha-n")
    demand(track, "d1", summary="Ни шагу на восток", quote="«гарантии»", red_line=True)
    proposal(track, "p1", USA, topics=["arms-control", "transparency"])
    respond(track, "r1", "d1", "reject", key="k-r1", digest="sha-r1")
    record(track, "c1", "concession", USA, responds_to="d1")
    sanction_warning(track, "sw1", USA, measures=["export controls", "SWIFT"])
    record(track, "wr1", "warning", RUSSIA, category="military")
    schedule_meeting(track, "m1", "2022-01-12T10:00:00+01:00", location="Brussels")
    hold_meeting(track, "h1", "2022-01-10", location="Geneva")
    record(track, "a1", "agreement", NATO)
    withdraw(track, "w1", "sw1", party=USA)
    record(track, "s1", "statement", NATO, source={"url": "https://nato.int/x"})
    correct(track, "d1", summary="No eastward enlargement", occurred_at="2021-12-16")
    retract(track, "c1")
    track.change_status("suspended", reason="pause", occurred_at="2022-01-14", recorded_by=RECORDER)
    track.change_status("active", reason=None, occurred_at=None, recorded_by=RECORDER)
    return track


def first_invalid_version(events: list[Any]) -> int | None:
    """What `verify` does: walk the chain, recompute, report the first broken link."""
    prev = GENESIS_HASH
    for event in events:
        if event.prev_hash != prev or hash_of_event(event) != event.hash:
            return event.originator_version
        prev = event.hash
    return None
