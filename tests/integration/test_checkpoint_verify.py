"""`verify` checks every view checkpoint and bucket row against the events, and as-of never
answers from a damaged one."""

from __future__ import annotations

from services import audit, checkpoints
from services.bootstrap import Tracker
from tests.integration.checkpoint_history import (
    a_checkpointed_track,
    bucket_holding,
    copy_row,
    delete_rows,
    edit_row,
    random_history,
    replacing,
    replayed,
    state_of,
)


def test_verify_checks_every_checkpoint_and_bucket_row_against_the_events(
    checkpointed: Tracker,
) -> None:
    track_id, _, _ = a_checkpointed_track(checkpointed)
    random_history(checkpointed, 10, steps=20)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["checkpoints_checked"], report["invalid_checkpoints"]) == (
        True,
        3,
        [],
    )


def test_an_edited_checkpoint_is_reported_at_its_version(checkpointed: Tracker) -> None:
    track_id, _, last = a_checkpointed_track(checkpointed)
    edit_row(
        checkpointed,
        checkpoints.view_stream(track_id),
        last,
        replacing(b"statement number 9", b"statement number 0"),
    )
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["first_invalid_version"], report["invalid_checkpoints"]) == (
        False,
        None,
        [last],
    )
    everything = audit.verify_all(checkpointed.app)
    assert (everything["valid"], everything["items"][0]["invalid_checkpoints"]) == (False, [last])


def test_an_edited_bucket_row_is_reported_at_its_version(checkpointed: Tracker) -> None:
    track_id, statement_id, last = a_checkpointed_track(checkpointed)
    stream = bucket_holding(checkpointed, track_id, statement_id, last)
    edit_row(checkpointed, stream, last, replacing(b"statement number 8", b"statement number 0"))
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last])


def test_a_bucket_row_no_checkpoint_wrote_is_reported(checkpointed: Tracker) -> None:
    track_id, statement_id, last = a_checkpointed_track(checkpointed)
    stream = bucket_holding(checkpointed, track_id, statement_id, last)
    copy_row(checkpointed, stream, last, last + 1)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last + 1])


def test_a_deleted_bucket_row_is_reported_at_the_checkpoints_that_would_read_it(
    checkpointed: Tracker,
) -> None:
    track_id, statement_id, last = a_checkpointed_track(checkpointed)
    stream = bucket_holding(checkpointed, track_id, statement_id, last)
    delete_rows(checkpointed, stream, last)
    report = audit.verify(checkpointed.app, track_id)
    assert (report["valid"], report["invalid_checkpoints"]) == (False, [last])


def test_as_of_folds_from_the_first_event_when_a_checkpoint_cannot_be_read(
    checkpointed: Tracker,
) -> None:
    track_id, _, last = a_checkpointed_track(checkpointed)
    edit_row(
        checkpointed,
        checkpoints.view_stream(track_id),
        last,
        lambda state: b"\x00 not a checkpoint",
    )
    expected = state_of(replayed(checkpointed, track_id, last))
    assert audit.as_of(checkpointed.app, track_id, version=last) == {
        **expected,
        "as_of": {"version": last, "recorded_at": expected["last_activity_at"]},
    }
    assert audit.verify(checkpointed.app, track_id)["invalid_checkpoints"] == [last]
