"""Load a scenario file (examples/*.json): tracks, then statements in order, refs -> ids.

Each statement is written with the idempotency key `load:<ref>`, so loading the same file
again records nothing new and resolves the same refs to the same ids; what was new and what
was already recorded is counted apart, so a second load can say it added nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from domain import errors
from domain.hashchain import canonical_bytes
from domain.statement_types import STATEMENT_TYPE_SPECS
from domain.values import sort_key, track_id_for
from services.api.schemas import StatementIn, TrackCreate, statement_fields
from services.application import TrackerApp

_statement = TypeAdapter(StatementIn)
# Fields naming another statement: a scenario names it by its `ref`, resolved to its id here.
_REF_FIELDS = tuple(
    dict.fromkeys(f.name for spec in STATEMENT_TYPE_SPECS.values() for f in spec.references)
)


class ScenarioError(ValueError):
    """The scenario file cannot be loaded as it is."""


@dataclasses.dataclass
class Loaded:
    """What a load recorded: ref -> statement id, and how many tracks and statements were
    new or already recorded (by an earlier load of the same file)."""

    ids: dict[str, str] = dataclasses.field(default_factory=dict)
    new_tracks: int = 0
    known_tracks: int = 0
    new_statements: int = 0
    known_statements: int = 0

    def summary(self) -> str:
        """E.g. "loaded 3 new tracks and 42 new statements", or on a second load of the
        same file "nothing new: 3 tracks and 42 statements already recorded"."""
        new = _counts((self.new_tracks, "new track"), (self.new_statements, "new statement"))
        known = _counts((self.known_tracks, "track"), (self.known_statements, "statement"))
        if not (new or known):
            return "nothing to load: the file has no tracks and no statements"
        if not new:
            return f"nothing new: {known} already recorded"
        return f"loaded {new}" + (f"; {known} already recorded" if known else "")


def _counts(*counts: tuple[int, str]) -> str:
    return " and ".join(_count(n, noun) for n, noun in counts if n)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def read_scenario(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ScenarioError(f"cannot read {path}: {e}") from e
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("tracks"), list)
        or not isinstance(data.get("statements"), list)
    ):
        raise ScenarioError(f"{path} needs a 'tracks' list and a 'statements' list")
    return data


def load_scenario(
    app: TrackerApp,
    data: dict[str, Any],
    *,
    recorded_by: str,
    progress: Callable[[], None] = lambda: None,
) -> Loaded:
    """Record the scenario; says what was new and gives ref -> statement id."""
    loaded = Loaded()
    for raw in data["tracks"]:
        raw = {"opened_at": _first_occurrence(data, raw.get("slug")), **raw}
        try:
            track = TrackCreate.model_validate(raw)
        except ValidationError as e:
            raise ScenarioError(f"track {raw.get('slug')!r}: {e}") from e
        # A track loaded before stays: its statements below replay by their idempotency keys.
        try:
            app.open_track(
                slug=track.slug,
                kind=track.kind,
                title=track.title,
                venue=track.venue,
                parties=track.parties,
                opened_at=track.opened_at or _today(),
                recorded_by=recorded_by,
            )
            loaded.new_tracks += 1
        except errors.SlugTaken:
            loaded.known_tracks += 1
    ids = loaded.ids
    for raw in data["statements"]:
        raw = dict(raw)
        ref, slug = raw.pop("ref", None), raw.pop("track", None)
        if not ref or not slug:
            raise ScenarioError(f"every statement needs 'ref' and 'track': {raw}")
        for field in _REF_FIELDS:
            if field in raw:
                if raw[field] not in ids:
                    raise ScenarioError(f"{ref}: {field} names unknown ref {raw[field]!r}")
                raw[field] = ids[raw[field]]
        try:
            fields = statement_fields(_statement.validate_python(raw))
        except ValidationError as e:
            raise ScenarioError(f"statement {ref!r}: {e}") from e
        digest = hashlib.sha256(canonical_bytes(fields)).hexdigest()
        try:
            result = app.record_statements(
                track_id_for(slug),
                [fields],
                recorded_by=recorded_by,
                key=f"load:{ref}",
                digest=digest,
                if_match=None,
            )
        except errors.TrackerError as e:
            raise ScenarioError(f"statement {ref!r} on {slug!r}: {e}") from e
        ids[ref] = result.targets[0]
        if result.replayed:
            loaded.known_statements += 1
        else:
            loaded.new_statements += 1
        progress()
    return loaded


def _first_occurrence(data: dict[str, Any], slug: str | None) -> str | None:
    """A track without `opened_at` opened when its first statement was made."""
    moments = [
        s["occurred_at"]
        for s in data["statements"]
        if s.get("track") == slug and isinstance(s.get("occurred_at"), str)
    ]
    try:
        return min(moments, key=sort_key, default=None)
    except ValueError:  # a malformed date: the statement's own validation will say so
        return None


def _today() -> str:
    return datetime.now(UTC).date().isoformat()
