"""The answers of the reads across tracks (API.md v1.1): statements as the per-track reads
answer them (`responses.statements.PUBLIC`), plus their home track's slug and, when searched,
a snippet; and the people named in them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from services.api.responses.base import Public, derive, public_name
from services.api.responses.statements import PUBLIC, REQUESTS, discriminated


def _listed(kind: str) -> type[BaseModel]:
    return derive(
        public_name(REQUESTS[kind], "Listed"),
        (PUBLIC[kind], Public),
        track_slug=(str, Field(description="the slug of the statement's home track")),
        snippet=(
            str | None,
            Field(None, description="with `q`: plain text (<= 200 characters) around the match"),
        ),
    )


LISTED = {kind: _listed(kind) for kind in PUBLIC}


def _of(name: str, kinds: tuple[str, ...], doc: str) -> Any:
    return discriminated(name, [LISTED[k] for k in kinds], doc)


ListedStatement = _of("ListedStatement", tuple(LISTED), "A statement of any track, by its type.")
ListedDemand = _of(
    "ListedDemand", ("demand", "proposal"), "A demand (or proposal) with status and responses."
)
ListedWarning = _of(
    "ListedWarning", ("warning", "sanction_warning"), "A warning or a sanction warning."
)
ListedMeeting = _of(
    "ListedMeeting", ("meeting_scheduled", "meeting_held"), "A scheduled or held meeting."
)
_NEXT = Field(description="pass as `cursor` for the next page; null: the last")


class StatementsPage(Public):
    items: list[ListedStatement]  # type: ignore[valid-type]
    next_cursor: str | None = _NEXT


class DemandsPage(Public):
    items: list[ListedDemand]  # type: ignore[valid-type]
    next_cursor: str | None = _NEXT


class WarningsPage(Public):
    items: list[ListedWarning]  # type: ignore[valid-type]
    next_cursor: str | None = _NEXT


class MeetingsPage(Public):
    items: list[ListedMeeting]  # type: ignore[valid-type]
    next_cursor: str | None = _NEXT


class Actor(Public):
    """A person named as speaker or reported_by, identified by the folded name."""

    name: str = Field(description="as recorded (of several spellings, the first in order)")
    roles: list[str] = Field(description="every role recorded with the name")
    parties: list[str] = Field(description="the parties of the statements naming them")
    statement_count: int = Field(description="live statements naming them")
    tracks: list[str] = Field(description="slugs of the tracks of those statements")


class ActorsPage(Public):
    items: list[Actor]
    next_cursor: str | None = _NEXT
