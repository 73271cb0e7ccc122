"""An event type gains a field: the eventsourcing way is `class_version` plus an upcaster
(`upcast_v1_v2`) on the class stored under the old topic. Old events then still load,
replay and verify, and new ones carry the field.

The v1 class is the domain's `PartyAdded`; the v2 class below takes over its topic for the
duration of a test (what deploying a new `domain/events.py` would do).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing import utils

from domain import events
from domain.hashchain import hash_of_event
from domain.track import Track
from services import audit
from services.bootstrap import Tracker

TOPIC = "domain.events:PartyAdded"


class PartyAdded(events.PartyAdded):
    """v2: a party has a role (`party`, `observer`, `mediator`); v1 events had none. (The
    same event class evolved: here a subclass, so the v1 class stays for the other tests.)"""

    class_version = 2
    role: str

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        # Every party added before roles existed was a full party.
        state["role"] = "party"

    def apply_to(self, track: Track) -> None:
        track.parties.append(self.name)


def use_for_topic(monkeypatch: pytest.MonkeyPatch, cls: type) -> None:
    """Resolve the stored topic to `cls` and store `cls` under it (undone after the test)."""
    monkeypatch.setitem(utils._topic_cache, TOPIC, cls)
    monkeypatch.setitem(utils._type_cache, cls, TOPIC)


@pytest.fixture
def v1_track(tracker: Tracker) -> Iterator[uuid.UUID]:
    """A track written by today's (v1) code: opened, a party added, a statement."""
    app = tracker.app
    track_id = app.open_track(
        slug=f"evolve-{uuid.uuid4().hex[:8]}",
        kind="osce",
        title="OSCE Permanent Council",
        venue="Vienna",
        parties=["Russia", "United States"],
        opened_at="2022-01-13",
        recorded_by="tester",
    ).track.id
    app.add_party(track_id, "France", recorded_by="tester")
    app.record_statements(
        track_id,
        [
            {
                "type": "statement",
                "party": "France",
                "occurred_at": "2022-01-13",
                "summary": "Dialogue must continue",
            }
        ],
        recorded_by="tester",
    )
    yield track_id


def test_old_events_load_replay_and_verify_after_the_event_gains_a_field(
    tracker: Tracker, v1_track: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_for_topic(monkeypatch, PartyAdded)

    history = audit.history(tracker.app, v1_track)["items"]
    replayed = audit.as_of(tracker.app, v1_track, version=2)

    assert history[1]["type"] == "PartyAdded"
    assert history[1]["data"]["name"] == "France"
    assert history[1]["data"]["role"] == "party"  # supplied by the upcaster
    assert replayed["parties"] == ["Russia", "United States", "France"]
    assert audit.as_of(tracker.app, v1_track)["statement_count"] == 1
    assert audit.verify(tracker.app, v1_track) == {
        "valid": True,
        "events_checked": 3,
        "first_invalid_version": None,
        "head_hash": history[-1]["hash"],
        "snapshots_checked": 0,
        "invalid_snapshots": [],
        "checkpoints_checked": 0,
        "invalid_checkpoints": [],
    }


def test_new_events_carry_the_field_and_the_chain_stays_valid(
    tracker: Tracker, v1_track: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_for_topic(monkeypatch, PartyAdded)
    track = tracker.app.get_track(v1_track)
    # What a v2 `Track.add_party(name, role=...)` would do.
    track._record(PartyAdded, "tester", None, None, name="OSCE Chair", role="mediator")
    tracker.app.save(track)

    (stored,) = tracker.app.recorder.select_events(v1_track, gt=3, lte=4)
    history = audit.history(tracker.app, v1_track)["items"]

    assert stored.topic == TOPIC and b'"class_version":2' in stored.state
    assert [
        (i["data"].get("name"), i["data"].get("role")) for i in history if i["type"] == "PartyAdded"
    ] == [("France", "party"), ("OSCE Chair", "mediator")]
    assert audit.as_of(tracker.app, v1_track)["parties"][-1] == "OSCE Chair"
    assert audit.verify(tracker.app, v1_track)["valid"] is True


def test_the_chain_covers_what_was_stored_not_what_the_upcaster_added(
    tracker: Tracker, v1_track: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_for_topic(monkeypatch, PartyAdded)

    (stored,) = tracker.app.recorder.select_events(v1_track, gt=1, lte=2)
    upcast = tracker.app.mapper.to_domain_event(stored)

    # Hashing the upcast event would call an untouched row tampered; verify hashes the row.
    assert hash_of_event(upcast) != upcast.hash
    assert audit.verify(tracker.app, v1_track)["valid"] is True


def test_without_an_upcaster_old_events_lack_the_new_field(
    tracker: Tracker, v1_track: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    class PartyAdded(events.PartyAdded):  # a v2 shipped without class_version / upcaster
        role: str

    use_for_topic(monkeypatch, PartyAdded)

    (stored,) = tracker.app.recorder.select_events(v1_track, gt=1, lte=2)
    event = tracker.app.mapper.to_domain_event(stored)

    assert "role" not in vars(event)  # rebuilt from the stored dict: no dataclass default
