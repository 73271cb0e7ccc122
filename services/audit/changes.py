"""What changed in world time in (D1, D2], on one track or many, folded from the event store.

Each track is folded from its first event (`domain.changes`), as `world_on` does: a statement
recorded at any time may be dated in the window. Across tracks the changes are merged in
timeline order: the start of the period of the statement that made each change, then its
commit position (the store's, so it is the order of the read model's timelines too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import errors
from domain.changes import Change, change_item, track_changes
from domain.document import TrackView
from services.application import TrackerApp
from services.ports import ReadModel

# Where a change stands across tracks: (start of period as a sort key, commit position).
Place = tuple[str, int]


@dataclass(frozen=True)
class ChangesPage:
    """A page of changes as answered, and the place of its last item when more follow."""

    items: list[dict[str, Any]]
    next_after: Place | None


def every_track(read_model: ReadModel) -> list[UUID]:
    """The tracks the read model lists: those `/v1/tracks` shows."""
    return [UUID(item["id"]) for item in read_model.list_tracks(None, None, None)]


def changes(
    app: TrackerApp,
    track_ids: Sequence[UUID],
    from_: str,
    to: str,
    *,
    after: Place | None = None,
    limit: int = 100,
) -> ChangesPage:
    """The changes of the tracks in (`from_`, `to`], in timeline order, `limit` of them
    after the place `after`; a track with no events is `TrackNotFound`. Every track is
    folded whole, but only the page's items are rendered."""
    placed: list[tuple[Place, TrackView, Change]] = []
    for track_id in dict.fromkeys(track_ids):
        found = track_changes(app.events.get(track_id), from_, to)
        if found is None:
            raise errors.TrackNotFound(f"no track {track_id}")
        if not found.changes:
            continue
        # Read after the fold, so every version it folded has its position here.
        positions = app.extras.positions_of(track_id)
        placed += [
            ((c.made_by.at, positions[c.made_by.version]), found.view, c) for c in found.changes
        ]
    placed.sort(key=lambda entry: entry[0])
    if after is not None:
        placed = [entry for entry in placed if entry[0] > after]
    page = placed[:limit]
    items = [change_item(view, change) for _, view, change in page]
    return ChangesPage(items, page[-1][0] if len(placed) > limit else None)
