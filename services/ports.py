"""What the application needs from its stores, as small protocols (infra/ implements them).

Services and routes speak to stores only through these: which store is configured (SQLite,
PostgreSQL, in memory) is decided once, by `infra.factory.open_stores`, and nothing here or
in services/ asks. The value types that cross the boundary live here too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from services.queries import AcrossReads

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

# An announcement's track list when every track may have changed (a rebuild's swap).
EVERYTHING = "*"


@dataclass(frozen=True)
class TimelineCursor:
    """Where a timeline page ends: at the statement of version `version` of track
    `home_track_id` (None: the timeline's own track), whose sort key was `occurred_key`.
    The next page starts after that statement's place, (occurred_key, commit position)."""

    occurred_key: str
    version: int
    home_track_id: str | None = None


@dataclass(frozen=True)
class TimelineFilter:
    type: str | None = None
    party: str | None = None  # the author, or one of its joint authors (`with_parties`)
    topic: str | None = None
    since_key: str | None = None
    until_key: str | None = None
    include_retracted: bool = False
    include_related: bool = True  # also statements of other tracks that concern this one
    after: TimelineCursor | None = None
    limit: int = 100


# -- the read model ---------------------------------------------------------------------------


class ReadModelWrites(Protocol):
    """One projector transaction: rows, the announcement, and the tracking compare-and-set."""

    def upsert_tracks(self, rows: list[tuple[dict[str, Any], int]]) -> None: ...

    def replace_parties(self, track_id: str, parties: list[str]) -> None: ...

    def upsert_statements(
        self,
        rows: list[tuple[dict[str, Any], str, int]],
        corrected: Collection[str] | None = None,
    ) -> None:
        """(view, sort key, commit position that recorded it: 0 when the row exists)."""
        ...

    def announce(self, position: int, track_ids: Collection[str] | None) -> None: ...

    def advance(self, projection: str, old: int, new: int) -> bool: ...


class ReadModel(AcrossReads, Protocol):
    """What the projector writes and the routes read (across tracks: `AcrossReads`)."""

    def transaction(self) -> AbstractContextManager[ReadModelWrites]: ...

    def position(self, projection: str) -> int: ...

    def wait_for(self, projection: str, position: int, timeout: float) -> int | None:
        """Blocks its thread while it polls: for tools and tests. The API waits on the event
        loop instead (services.api.progress)."""
        ...

    def track_document(self, track_id: str, projection: str) -> tuple[str | None, int]: ...

    def has_track(self, track_id: str) -> bool: ...

    def get_track(self, track_id: str) -> dict[str, Any] | None: ...

    def list_tracks(
        self, kind: str | None, status: str | None, party: str | None
    ) -> list[dict[str, Any]]: ...

    def get_statement(self, track_id: str, statement_id: str) -> dict[str, Any] | None: ...

    def latest_occurred(self) -> dict[str, str]:
        """Per track id, the sort key (UTC) of its latest live statement in world time."""
        ...

    def refresh_statistics(self) -> None:
        """Update what the store's query planner knows of the tables (after bulk writes)."""
        ...

    def timeline(self, track_id: str, f: TimelineFilter) -> tuple[list[dict[str, Any]], bool]:
        """A page of the track's timeline by (occurred_key, commit position), and whether
        more follow."""
        ...

    def demands(
        self,
        track_id: str,
        statuses: Sequence[str] | None = None,
        *,
        parties: Sequence[str] = (),
        types: Sequence[str] = ("demand",),
    ) -> list[dict[str, Any]]:
        """The track's live statements of `types` (demands, proposals) by `occurred_at`;
        each filter that is given keeps those matching any of its values, and a party
        matches the author or a joint author (`with_parties`)."""
        ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


class Append(Protocol):
    """Appends rows to one table of a fresh copy (bulk: COPY where the store has it)."""

    def __call__(
        self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None: ...


class TableRows(Protocol):
    """Reads of one consistent snapshot of the database (a check compares two copies)."""

    def rows(self, table: str) -> list[dict[str, Any]]: ...


class RebuildableReadModel(ReadModel, Protocol):
    """A rebuild builds a copy beside the live tables (`prefix` instead of `rm_`), then swaps
    it in, in one transaction."""

    def sibling(self, prefix: str) -> RebuildableReadModel: ...

    def create_tables(self) -> None: ...

    def drop_tables(self) -> None: ...

    def bulk_writer(self) -> AbstractContextManager[Append]: ...

    def swap_in(self, prefix: str, projection: str) -> None: ...

    def outdated(self) -> bool:
        """True when the live tables are of an older shape than the projector writes, which
        only a rebuild from the log can fill (rm_statements without commit positions)."""
        ...

    def snapshot(self) -> AbstractContextManager[TableRows]: ...


# -- coordination ------------------------------------------------------------------------------


class Election(Protocol):
    """One active projector per projection (on PostgreSQL, an advisory lock)."""

    def hold(self) -> bool: ...

    def release(self) -> None: ...


class WakeUps(Protocol):
    """Calls `wake` whenever events were committed (PostgreSQL: LISTEN on the event table)."""

    def start(self, wake: Callable[[], None]) -> None: ...

    def stop(self) -> None: ...


class ChangeFeed(Protocol):
    """The read model's change announcements (PostgreSQL NOTIFY), for a document cache."""

    def listen(
        self,
        listening: Callable[[], None],
        announced: Callable[[str], None],
        stop: threading.Event,
    ) -> None:
        """Call `listening()` once announcements are being received, then `announced(payload)`
        for each, until `stop` is set; raises when the feed is lost."""
        ...


# -- the event store, beyond the library's recorders ------------------------------------------


class EventStoreExtras(Protocol):
    def position_of(self, track_id: UUID, version: int) -> int | None:
        """The commit position (notification id) of a stored track event, if stored."""
        ...

    def positions_of(self, track_id: UUID) -> dict[int, int]:
        """Version -> commit position of every stored event of a track (one query)."""
        ...

    def latest_rows(
        self, originator_ids: Sequence[UUID], *, gte: int, lte: int
    ) -> list[StoredEvent]:
        """Snapshot store: each originator's row with the highest version in [gte, lte]."""
        ...

    def row_versions(self, originator_ids: Sequence[UUID]) -> list[tuple[UUID, int]]:
        """Snapshot store: every stored (originator, version) of the originators."""
        ...

    def delete_rows(self, originator_ids: Sequence[UUID]) -> None:
        """Snapshot store: delete every row of the originators (derived rows only)."""
        ...


# -- API tokens --------------------------------------------------------------------------------


class StoredToken(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def digest(self) -> str: ...  # hex sha256 of the secret
    @property
    def principal(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def revoked_at(self) -> str | None: ...


class TokenStore(Protocol):
    def create(self, principal: str, role: str) -> tuple[StoredToken, str]: ...

    def all(self) -> Sequence[StoredToken]: ...

    def active(self) -> Sequence[StoredToken]: ...

    def revoke(self, token_id: str) -> StoredToken | None: ...


# -- the stores of one configuration ------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionLimits:
    """A database server's connection slots."""

    max_connections: int
    reserved: int  # for superusers and other reserved uses


class Stores(Protocol):
    """The adapters for the configured store; `infra.factory.open_stores` makes them."""

    @property
    def keeps_data(self) -> bool:
        """False for the in-memory store."""
        ...

    @property
    def library_env(self) -> Mapping[str, str]:
        """The eventsourcing application's persistence settings."""
        ...

    def creating_tables(self) -> AbstractContextManager[None]:
        """Around opening the stores: one process at a time creates or finds the tables."""
        ...

    def exists(self, application_name: str) -> bool:
        """The store has been made (its event table is there); creates nothing."""
        ...

    def open_read_model(self) -> RebuildableReadModel: ...

    def adopt_event_store(self, recorder: Any) -> None:
        """Tune the application's own connections once it is open (e.g. outage handling)."""
        ...

    def election(self, projection: str) -> Election | None: ...

    def wake_ups(self, application_name: str) -> WakeUps | None: ...

    def change_feed(self) -> ChangeFeed | None: ...

    def token_store(self, read_model: RebuildableReadModel) -> TokenStore: ...

    def connection_limits(self) -> ConnectionLimits | None:
        """The server's connection limits (None: a store without a connection budget)."""
        ...
