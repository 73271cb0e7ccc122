"""The reads across tracks (API.md v1.1) of the ReadModel port (services.ports), and the
queries they take. Each filter is a tuple of values, any of which matches
(empty: no filter); the filters of one query combine with AND. Tracks are ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from domain.search import SearchQuery


@dataclass(frozen=True)
class PageAfter:
    """Where a page across tracks ended: the last item's sort key and its id. (Views carry no
    commit position; the store looks it up by id, and positions never change.)"""

    key: str
    statement_id: str


@dataclass(frozen=True)
class StatementQuery:
    tracks: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()  # the author, or a joint author (`with_parties`)
    speakers: tuple[str, ...] = ()  # folded names (domain.search.fold)
    topics: tuple[str, ...] = ()
    attributions: tuple[str, ...] = ()
    text: SearchQuery | None = None  # `q`; items then carry a `snippet`
    since_key: str | None = None
    until_key: str | None = None
    include_retracted: bool = False
    after: PageAfter | None = None
    limit: int = 100


@dataclass(frozen=True)
class DemandQuery:
    tracks: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    parties: tuple[str, ...] = ()
    red_line: bool | None = None
    types: tuple[str, ...] = ("demand",)
    after: PageAfter | None = None
    limit: int = 100


@dataclass(frozen=True)
class WarningQuery:
    tracks: tuple[str, ...] = ()
    types: tuple[str, ...] = ()  # warning, sanction_warning (empty: both)
    parties: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # a sanction warning's target, a warning's addressee
    active: bool | None = None
    after: PageAfter | None = None
    limit: int = 100


@dataclass(frozen=True)
class MeetingQuery:
    tracks: tuple[str, ...] = ()
    held: bool | None = None  # True: meeting_held only; False: meeting_scheduled only
    formats: tuple[str, ...] = ()
    from_key: str | None = None
    to_key: str | None = None
    after: PageAfter | None = None  # its key: the meeting's sort key
    limit: int = 100


@dataclass(frozen=True)
class ActorQuery:
    words: tuple[str, ...] = ()  # folded; each must be a word of the name or of a role
    after: str | None = None  # the folded name the last page ended at
    limit: int = 100


Page = tuple[list[dict[str, Any]], bool]  # items, and whether more follow


class AcrossReads(Protocol):
    """The reads across tracks: each answers a page of items (every item with its home
    `track_slug`) and whether more follow."""

    def statements(self, query: StatementQuery) -> Page:
        """Every track's statements by (occurred_key, commit position), each with its
        `track_slug` (and `snippet` when searched)."""
        ...

    def all_demands(self, query: DemandQuery) -> Page:
        """Every track's live demands (or proposals) in the timeline order."""
        ...

    def warnings(self, query: WarningQuery) -> Page:
        """Every track's live warnings and sanction warnings in the timeline order."""
        ...

    def meetings(self, query: MeetingQuery) -> Page:
        """Every track's live meetings, scheduled ones by meeting_at, held by occurred_at."""
        ...

    def actors(self, query: ActorQuery) -> Page:
        """The people named as speaker or reported_by in live statements, by folded name."""
        ...
