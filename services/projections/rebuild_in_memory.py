"""The fast path of a rebuild: fold every track in memory, then write each row once.

The live projector works a batch at a time: it re-writes a track's document and the views
its batch touched at every batch, so a long track's rows are written many times over a whole
log, and a track that drops out of its cache is loaded from the store again. A rebuild sees
the whole log, so it can do better: read the log in large pages, fold each track from its
first event (nothing is loaded from the store), and only when the log is read write each
track document and each statement view once, in bulk.

The rows are the projector's own: the same view functions, the same columns, and the same
positions (a track document carries the notification id of the track's last event; the
tracking row, the last notification read). They go to fresh, empty tables that nothing else
writes, so they are plain appends (the read model's bulk writer: COPY on PostgreSQL) instead
of the projector's upserts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from domain import views
from domain.document import TrackView
from domain.events import StatementRecorded
from infra.readmodel import (
    FACET_COLUMNS,
    PARTY_COLUMNS,
    STATEMENT_CHILDREN,
    STATEMENT_COLUMNS,
    TRACK_COLUMNS,
    Facets,
    child_rows,
    count_facets,
    facet_rows,
    statement_row,
    track_row,
)
from services.application import TrackerApp
from services.ports import RebuildableReadModel
from services.projections.projector import PROJECTION

PAGE = 5000  # notifications per query: large pages cost fewer round trips than the 500 live

Progress = Callable[[int, int], None]  # (position reached, position to reach)

# The live projector's columns (ReadModelTx's upserts): the rows here must equal its rows,
# which tests/integration/test_rebuild.py checks on both stores.
_TRACK_COLUMNS = tuple(TRACK_COLUMNS)
_PARTY_COLUMNS = tuple(PARTY_COLUMNS)
_STATEMENT_COLUMNS = tuple(STATEMENT_COLUMNS)


class LogFold:
    """Every track of the log up to `position`, folded in memory from its first event."""

    def __init__(self, app: TrackerApp) -> None:
        self.app = app
        self.tracks: dict[int, TrackView] = {}  # by the track id's integer
        self.last_event: dict[int, int] = {}  # the notification id of each track's last event
        self.recorded_at: dict[str, int] = {}  # the notification id that recorded a statement
        self.position = 0  # the last notification folded
        self.events = 0

    def advance(self, stop: int, progress: Progress | None = None) -> int:
        """Fold the notifications after `position` up to `stop`; returns how many."""
        folded = 0
        for page in _pages(self.app.recorder, self.position, stop):
            for notification in page:
                self._apply(self.app.mapper.to_domain_event(notification), notification.id)
            self.position = page[-1].id
            folded += len(page)
            if progress is not None:
                progress(self.position, stop)
        self.events += folded
        return folded

    def _apply(self, event: Any, notification_id: int) -> None:
        # Keyed by the id's integer: a dict look-up by UUID compares them in Python (see
        # benchmarks/README.md).
        key: int = event.originator_id.int
        if event.originator_version == 1:
            self.tracks[key] = TrackView.opened(event)
        else:
            # The view checks the event follows its version, so a fold that missed an event
            # cannot go unnoticed.
            self.tracks[key].apply(event)
            if isinstance(event, StatementRecorded):
                self.recorded_at[event.statement_id] = notification_id
        self.last_event[key] = notification_id


def _pages(recorder: Any, start: int, stop: int) -> Iterator[Sequence[Any]]:
    """The notifications after `start` up to `stop`, a page at a time. (Asking for the next
    page from a thread while this one is folded was no faster: the fetch needs the GIL too.)

    `stop` is applied here, not in the query: with both bounds, and statistics not yet
    gathered on a freshly written log, PostgreSQL estimated a few thousand rows, read the
    whole rest of the log and sorted it on disk for every page (160 ms a page instead of
    10; a third of a 100k-event rebuild). With the lower bound alone it walks the index."""
    while start < stop:
        page = recorder.select_notifications(start, limit=PAGE, inclusive_of_start=False)
        if not page:
            return
        if page[-1].id > stop:
            page = [notification for notification in page if notification.id <= stop]
            if page:
                yield page
            return
        start = page[-1].id
        yield page


# -- writing ------------------------------------------------------------------------------


def write(fold: LogFold, store: RebuildableReadModel) -> None:
    """Write every folded track into `store`'s fresh, empty tables, then the position."""
    with store.bulk_writer() as append:
        tracks = list(fold.tracks.values())
        append(
            "rm_tracks", _TRACK_COLUMNS, [_track_row(t, fold.last_event[t.id.int]) for t in tracks]
        )
        append(
            "rm_track_parties",
            _PARTY_COLUMNS,
            [(str(t.id), party) for t in tracks for party in t.parties],
        )
        extra: dict[str, list[tuple[Any, ...]]] = {table: [] for table in STATEMENT_CHILDREN}
        facets: Facets = {}
        append("rm_statements", _STATEMENT_COLUMNS, _statement_rows(tracks, fold, extra, facets))
        for table, columns in STATEMENT_CHILDREN.items():  # gathered by the line above
            append(table, tuple(columns), extra[table])
        append("rm_actor_facets", tuple(FACET_COLUMNS), facet_rows(facets))
        if fold.position:  # the projector makes no tracking row before its first event
            append("rm_tracking", ("projection", "position"), [(PROJECTION, fold.position)])


def _track_row(track: TrackView, position: int) -> tuple[Any, ...]:
    return track_row(views.track_state(track, position), position)


def _statement_rows(
    tracks: list[TrackView],
    fold: LogFold,
    extra: dict[str, list[tuple[Any, ...]]],
    facets: Facets,
) -> Iterator[tuple[Any, ...]]:
    """Every statement's row, made as it is written (views are not all held at once); the
    rows hanging off it go to `extra` meanwhile, and what the live ones count for to
    `facets`."""
    for track in tracks:
        for statement_id, record in track.statements.items():
            view = views.statement_view(track, statement_id)
            position = fold.recorded_at[statement_id]
            # The record's "at" is sort_key(occurred_at), kept up to date by the view:
            # the key the projector computes from the view, without parsing the instant again.
            key = record.at
            children = child_rows(view, key, position)
            for table, rows in children.items():
                extra[table].extend(rows)
            if not view["retracted"]:
                count_facets(facets, children["rm_actors"])
            yield statement_row(view, key, position)
