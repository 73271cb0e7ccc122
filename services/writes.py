"""The write use cases of the application (`TrackerApp`): each runs a command on the track
through `TrackerApp.write`, and says how its answer is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain import errors
from domain.document import TrackView
from domain.track import Track
from domain.values import track_id_for
from services.checkpoint_reader import load_view
from services.checkpoints import new_statement_id


def resolve_track_ref(ref: str) -> UUID:
    """`{track}` in a path, or a track in `also_concerns`: an id or a slug."""
    try:
        return UUID(ref)
    except ValueError:
        return track_id_for(ref)


@dataclass(frozen=True)
class WriteResult:
    track: Track  # the live cached aggregate: read it only single-threaded
    targets: list[str]  # statement ids the write recorded (or touched)
    position: int
    replayed: bool = False
    version: int = 0  # the track's version right after this write
    answer: Any = None  # what `present` made of the track's view, inside the write's turn


# A command gets the freshly loaded track and returns the statement ids it records.
Command = Callable[[Track], list[str]]
# Shapes the answer from the track's view right after the write (view, statement ids).
Present = Callable[[TrackView, list[str]], Any]


def _keys(options: dict[str, Any]) -> dict[str, Any]:
    """The idempotency key and request digest of a write, for the track's command."""
    return {"key": options.get("key"), "digest": options.get("digest")}


class TrackCommands:
    """Recording statements, corrections and retractions, adding parties, changing status."""

    events: Any  # the application's event store

    def _with_track_ids(self, fields: dict[str, Any]) -> dict[str, Any]:
        """`fields` with `also_concerns` as the ids of existing tracks (sent as ids or slugs).
        Other tracks are not the aggregate's to know: they are looked up here."""
        refs = fields.get("also_concerns")
        if not refs:
            return fields
        ids = []
        for ref in refs:
            track_id = resolve_track_ref(ref)
            if next(iter(self.events.get(track_id, lte=1, limit=1)), None) is None:
                raise errors.RuleViolation(
                    f"also_concerns names no track: {ref!r}", "also_concerns"
                )
            if str(track_id) not in ids:
                ids.append(str(track_id))
        return {**fields, "also_concerns": ids}

    if TYPE_CHECKING:  # a mixin of TrackerApp, whose `write` runs every command below

        def write(
            self,
            track_id: UUID,
            command: Command,
            *,
            if_match: int | None = None,
            key: str | None = None,
            digest: str | None = None,
            present: Present | None = None,
            answer_from_events: bool = False,
        ) -> WriteResult: ...

    def record_statements(
        self, track_id: UUID, statements: list[dict[str, Any]], *, recorded_by: str, **options: Any
    ) -> WriteResult:
        """Record one or more statements atomically (a batch is one save, one transaction)."""

        keys = _keys(options)
        statements = [self._with_track_ids(statement) for statement in statements]

        def command(track: Track) -> list[str]:
            ids = []
            for statement in statements:
                statement_id = new_statement_id(track.version + 1)
                track.record_statement(statement_id, statement, recorded_by=recorded_by, **keys)
                ids.append(statement_id)
            return ids

        return self.write(track_id, command, answer_from_events=True, **options)

    def add_party(
        self, track_id: UUID, name: str, *, recorded_by: str, **options: Any
    ) -> WriteResult:
        def command(track: Track) -> list[str]:
            track.add_party(name, recorded_by=recorded_by, **_keys(options))
            return []

        return self.write(track_id, command, **options)

    def change_status(
        self,
        track_id: UUID,
        status: str,
        *,
        reason: str | None,
        occurred_at: str | None,
        recorded_by: str,
        **options: Any,
    ) -> WriteResult:
        def command(track: Track) -> list[str]:
            track.change_status(
                status,
                reason=reason,
                occurred_at=occurred_at,
                recorded_by=recorded_by,
                **_keys(options),
            )
            return []

        return self.write(track_id, command, **options)

    def correct_statement(
        self,
        track_id: UUID,
        statement_id: str,
        changes: dict[str, Any],
        reason: str,
        *,
        recorded_by: str,
        **options: Any,
    ) -> WriteResult:
        changes = self._with_track_ids(changes)

        def command(track: Track) -> list[str]:
            # The statement's fields as they stand: the corrected whole must keep the rules.
            current: dict[str, Any] = {}
            if statement_id in track.index:
                view = load_view(self, track.id, track.version)
                current = dict(view.statements[statement_id].fields)
            track.correct_statement(
                statement_id,
                changes,
                reason,
                current=current,
                recorded_by=recorded_by,
                **_keys(options),
            )
            return [statement_id]

        return self.write(track_id, command, **options)

    def retract_statement(
        self, track_id: UUID, statement_id: str, reason: str, *, recorded_by: str, **options: Any
    ) -> WriteResult:
        def command(track: Track) -> list[str]:
            track.retract_statement(
                statement_id,
                reason,
                recorded_by=recorded_by,
                **_keys(options),
            )
            return [statement_id]

        return self.write(track_id, command, **options)
