"""The orjson transcoder writes what the library's `json` transcoder writes, as far as
reading it back can tell: every event type of a track and a snapshot of it decode to the
same state from either encoder's bytes (infra.transcoder)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import JSONTranscoder, TranscodingNotRegisteredError

from domain.track import Track
from infra.transcoder import OrjsonTranscoder
from services.application import TrackerApp
from tests.unit.builders import (
    RECORDER,
    correct,
    demand,
    hold_meeting,
    open_track,
    respond,
    retract,
    sanction_warning,
    schedule_meeting,
    view_of,
    withdraw,
)


def transcoders() -> tuple[JSONTranscoder, JSONTranscoder]:
    """The library's and ours, with the application's transcodings registered on both."""
    app = TrackerApp({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    library, fast = JSONTranscoder(), OrjsonTranscoder()
    app.register_transcodings(library)
    app.register_transcodings(fast)
    app.close()
    return library, fast


def a_track_with_every_event() -> Track:
    track = open_track()
    demand(
        track,
        "d1",
        summary="No further enlargement",
        topics=["nato"],
        source={"url": "https://example.org/a", "publisher": "TASS"},
    )
    respond(track, "r1", to="d1", position="reject")
    sanction_warning(track, "s1")
    withdraw(track, "w1", target="s1", party="United States")
    schedule_meeting(track, "m1", meeting_at="2022-01-12T10:00:00+01:00")
    hold_meeting(track, "m2", occurred_at="2022-01-12")
    correct(track, "d1", summary="No further NATO enlargement")
    retract(track, "r1")
    track.add_party("OSCE", recorded_by=RECORDER)
    track.change_status(
        "suspended", reason="talks paused", occurred_at="2022-02-24", recorded_by=RECORDER
    )
    return track


def state_of(event: Any) -> dict[str, Any]:
    """What the library's mapper encodes: the event's attributes less its ids."""
    state = dict(vars(event))
    state.pop("originator_id")
    state.pop("originator_version")
    return state


def test_every_event_type_reads_back_the_same_from_either_encoder() -> None:
    library, fast = transcoders()
    events = a_track_with_every_event().collect_events()
    assert len({type(e).__name__ for e in events}) >= 6
    for event in events:
        state = state_of(event)
        assert fast.decode(fast.encode(state)) == library.decode(library.encode(state)), type(
            event
        ).__name__


def test_a_snapshot_reads_back_the_same_from_either_encoder() -> None:
    library, fast = transcoders()
    snapshot = Snapshot.take(a_track_with_every_event())
    state = state_of(snapshot)
    assert fast.decode(fast.encode(state)) == library.decode(library.encode(state))


@pytest.mark.parametrize("value", [2**70, {"amount": Decimal("1.5")}, {1: "int key"}])
def test_what_orjson_cannot_write_is_written_as_the_library_writes_it(value: Any) -> None:
    library, fast = transcoders()
    assert fast.encode(value) == library.encode(value)


def test_an_unregistered_type_is_refused_as_the_library_refuses_it() -> None:
    _, fast = transcoders()
    with pytest.raises(TranscodingNotRegisteredError):
        fast.encode({"odd": object()})


def test_state_holding_a_uuid_would_differ_so_track_state_must_hold_none() -> None:
    """Why the round trips above matter: orjson writes a UUID by itself, as a plain string,
    where the library writes its transcoding. Track state holds ids as strings."""
    library, fast = transcoders()
    value = {"id": uuid.uuid4()}
    assert fast.decode(fast.encode(value)) != library.decode(library.encode(value))


def test_objects_after_the_first_and_lookalike_keys_are_read_back_as_written() -> None:
    """The decoder stops walking once it has met as many "_type_" keys as the bytes hold:
    objects deep in a list after the first must still be revived, text that spells the key
    must not count as one, and a dict that merely has the key is left as it is."""
    library, fast = transcoders()
    track = open_track()
    demand(track, "d1", summary='he said "_type_" twice: "_type_"')
    demand(track, "d2")
    records = view_of(track).statements
    when = track.created_on
    value = {
        "when": when,
        "plain": [{"a": 1}, {"_type_": "not one", "x": 2}],
        "records": [records["d1"], {"deep": [records["d2"]]}],
        "last": track.modified_on,
    }
    for encoded in (library.encode(value), fast.encode(value)):
        decoded = fast.decode(encoded)
        assert decoded == library.decode(encoded)
        assert decoded["records"][1]["deep"][0] == records["d2"]
        assert decoded["plain"][1] == {"_type_": "not one", "x": 2}
        assert decoded["last"] == track.modified_on


def test_a_view_checkpoint_reads_back_the_same_from_either_encoder() -> None:
    """View checkpoints hold statement records (the "statement_record" transcoding)."""
    library, fast = transcoders()
    state = view_of(a_track_with_every_event()).checkpoint()
    assert state["records"]
    assert fast.decode(fast.encode(state)) == library.decode(library.encode(state))
