"""The search page's content: the read of `GET /v1/statements` (the same filters, turned
into the same query by services.api.routes.across), the form's choices, and links to the
same query as CSV and to the meetings calendar with the filters that calendar takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from domain import errors
from domain.search import SearchQuery, fold, highlight
from domain.statement_types import ATTRIBUTIONS
from domain.values import STATEMENT_TYPES
from services.api.paging import page
from services.api.problems import ApiProblem, describe
from services.api.routes.across import StatementFilters, statement_query
from services.bootstrap import Tracker
from services.ports import ReadModel
from services.queries import ActorQuery
from services.web.pages import statement_href

DEFAULT_LIMIT = 100  # the API's default page
_ACTOR_PAGE = 500

Pieces = list[tuple[str, bool]]  # a snippet cut into text and marked matches


@dataclass(frozen=True)
class Result:
    id: str
    href: str  # its statement page
    track_slug: str
    type: str
    occurred_at: str
    party: str
    speaker: str | None
    summary: str
    snippet: Pieces | None  # with q only
    retracted: bool


@dataclass(frozen=True)
class Choices:
    types: tuple[str, ...]
    attributions: tuple[str, ...]
    tracks: list[tuple[str, str]]  # slug, title
    parties: list[str]
    speakers: list[str]  # the actors' names: suggestions, any name may be typed


@dataclass(frozen=True)
class Problem:
    status: int
    title: str
    detail: str
    parameter: str | None = None  # the field it names, when it names one


def _refused(e: Exception) -> Problem | None:
    described = describe(e)
    if described is None:
        return None
    parameter = None
    if isinstance(e, errors.RuleViolation):
        parameter = e.field
    elif isinstance(e, ApiProblem) and e.errors:
        parameter = str(e.errors[0]["loc"][-1])
    return Problem(*described, parameter=parameter)


@dataclass(frozen=True)
class SearchPage:
    choices: Choices
    results: list[Result] = field(default_factory=list)
    problem: Problem | None = None
    csv_url: str | None = None  # what is shown, as CSV (the same query on /v1/statements)
    next_url: str | None = None
    calendar_url: str | None = None  # the meetings of the shown tracks and dates


def parameters(f: StatementFilters, limit: int, cursor: str | None) -> list[tuple[str, str]]:
    """The query string a search is, with the API's names, blanks left out."""
    pairs: list[tuple[str, str]] = []
    for name in ("track", "type", "party", "speaker", "topic", "attribution"):
        pairs += [(name, value) for value in getattr(f, name) or ()]
    for name in ("q", "since", "until"):
        if getattr(f, name) is not None:
            pairs.append((name, getattr(f, name)))
    if f.include_retracted:
        pairs.append(("include_retracted", "true"))
    if limit != DEFAULT_LIMIT:
        pairs.append(("limit", str(limit)))
    if cursor is not None:
        pairs.append(("cursor", cursor))
    return pairs


def calendar_parameters(f: StatementFilters) -> list[tuple[str, str]]:
    """The filters `/v1/meetings.ics` shares with the search: the tracks and the dates
    (`since`/`until` are its `from`/`to`); it takes no type, party, speaker or words."""
    pairs = [("track", value) for value in f.track or ()]
    if f.since is not None:
        pairs.append(("from", f.since))
    if f.until is not None:
        pairs.append(("to", f.until))
    return pairs


def search(tracker: Tracker, f: StatementFilters, cursor: str | None, limit: int) -> SearchPage:
    """One page of `/v1/statements` for these filters; a refused query (a bad date, a q with
    nothing to look for, an unknown track or cursor) is the page's `problem` instead."""
    choices = _choices(tracker.read_model)
    try:
        query = statement_query(tracker, f, cursor, limit)
    except (ApiProblem, errors.TrackerError) as e:
        problem = _refused(e)
        if problem is None:
            raise
        return SearchPage(choices=choices, problem=problem)
    items, more = tracker.read_model.statements(query)
    next_cursor = page(items, more)["next_cursor"]
    results = [_result(item, query.text) for item in items]
    asked = parameters(f, limit, cursor)
    following = parameters(f, limit, next_cursor) if next_cursor else None
    return SearchPage(
        choices=choices,
        results=results,
        csv_url="/v1/statements?" + urlencode([*asked, ("format", "csv")]),
        next_url="/search?" + urlencode(following) if following else None,
        calendar_url="/v1/meetings.ics" + _query_string(calendar_parameters(f)),
    )


def _query_string(pairs: list[tuple[str, str]]) -> str:
    return "?" + urlencode(pairs) if pairs else ""


def _result(item: dict[str, Any], words: SearchQuery | None) -> Result:
    snippet = item.get("snippet")
    return Result(
        id=item["id"],
        href=statement_href(item["track_slug"], item["id"]),
        track_slug=item["track_slug"],
        type=item["type"],
        occurred_at=str(item["occurred_at"]),
        party=item["party"],
        speaker=item.get("speaker"),
        summary=item["summary"],
        # marked by the query the read ran: what the search found, in its own words
        snippet=highlight(snippet, words) if words is not None and snippet else None,
        retracted=bool(item.get("retracted")),
    )


def _choices(read_model: ReadModel) -> Choices:
    tracks = read_model.list_tracks(None, None, None)
    return Choices(
        types=STATEMENT_TYPES,
        attributions=ATTRIBUTIONS,
        tracks=sorted((t["slug"], t["title"]) for t in tracks),
        parties=sorted({p for t in tracks for p in t["parties"]}),
        speakers=_actor_names(read_model),
    )


def _actor_names(read_model: ReadModel) -> list[str]:
    """Every name `GET /v1/actors` lists, page by page."""
    names: list[str] = []
    after: str | None = None
    while True:
        items, more = read_model.actors(ActorQuery(after=after, limit=_ACTOR_PAGE))
        names += [item["name"] for item in items]
        if not more or not items:
            return names
        after = fold(items[-1]["name"])  # as the API's cursor: the folded name
