"""The SQL of the reads across tracks (API.md v1.1): every track's statements, demands,
warnings and meetings, one order for all (a sort key, then the commit position), and the
people named. Each page is read in the order of an index (schema.CURRENT_SHAPE_DDL) with a
LIMIT, so it costs about its length however many statements there are.

The one thing the stores do differently, matching `q`, is `_text_filter` (sqlite.py,
postgres.py), and on PostgreSQL a page of matches is read in the text table's order
(`text_join`); snippets are made here, in Python, so they are the same on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from domain.search import SearchQuery, snippet
from infra.readmodel.rows import WARNINGS, search_fields
from services.queries import (
    ActorQuery,
    DemandQuery,
    MeetingQuery,
    Page,
    PageAfter,
    StatementQuery,
    WarningQuery,
)

_SELECT = "SELECT s.view, t.slug FROM rm_statements s JOIN rm_tracks t ON t.id = s.track_id"


class _Where:
    """AND-ed conditions and their parameters (`?` placeholders)."""

    def __init__(self) -> None:
        self.sql = ""
        self.params: list[Any] = []

    def add(self, sql: str, *params: Any) -> None:
        self.sql += f" AND {sql}"
        self.params += params

    def any_of(self, column: str, values: Sequence[Any]) -> None:
        if values:
            self.add(f"{column} IN {_marks(values)}", *values)

    def parties(self, parties: Sequence[str]) -> None:
        """The author or a joint author (`with_parties`) is one of them."""
        if parties:
            self.add(
                f"(s.party IN {_marks(parties)} OR s.id IN (SELECT statement_id"
                f" FROM rm_joint_parties WHERE party IN {_marks(parties)}))",
                *parties,
                *parties,
            )

    def between(self, column: str, low: str | None, high: str | None) -> None:
        if low is not None:
            self.add(f"{column} >= ?", low)
        if high is not None:
            self.add(f"{column} <= ?", high)

    def after(self, column: str, after: PageAfter | None, position: str = "s.position") -> None:
        # The first comparison alone lets the index seek to the cursor's key (an OR does not).
        if after is not None:
            self.add(
                f"{column} >= ? AND ({column} > ? OR ({column} = ? AND {position} >"
                " (SELECT position FROM rm_statements WHERE id = ?)))",
                after.key,
                after.key,
                after.key,
                after.statement_id,
            )


def _marks(values: Sequence[Any]) -> str:
    return "(" + ", ".join("?" * len(values)) + ")"


class AcrossTracks:
    """The reads across tracks of a read-model store (a mixin of ReadModelStore)."""

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    # Where the store's text table holds each statement's sort key and position, joined as
    # `x`: a page of `q` is then read in its order (PostgreSQL); None, in rm_statements'.
    text_join: str | None = None

    def _text_filter(self, query: SearchQuery) -> tuple[str, list[Any]]:
        """A condition on `s` (rm_statements), or on `x` (`text_join`), that the statement's
        search text matches `query`."""
        raise NotImplementedError

    def _page(
        self, where: _Where, order: str, limit: int, in_order_of: str = "s"
    ) -> tuple[list[dict[str, Any]], bool]:
        join = self.text_join if in_order_of == "x" else ""
        sql = f"{_SELECT}{join} WHERE 1 = 1{where.sql}"
        sql += f" ORDER BY {order}, {in_order_of}.position LIMIT ?"
        rows = self.fetch(sql, [*where.params, limit + 1])
        items = []
        for view, slug in rows[:limit]:
            item = orjson.loads(view)
            item["track_slug"] = slug
            items.append(item)
        return items, len(rows) > limit

    def statements(self, query: StatementQuery) -> Page:
        where = _Where()
        where.any_of("s.track_id", query.tracks)
        where.any_of("s.type", query.types)
        where.parties(query.parties)
        where.any_of("s.speaker_key", query.speakers)
        where.any_of("s.attribution", query.attributions)
        if query.topics:
            where.add(
                "s.id IN (SELECT statement_id FROM rm_statement_topics"
                f" WHERE topic IN {_marks(query.topics)})",
                *query.topics,
            )
        if not query.include_retracted:
            where.add("s.retracted = 0")
        where.between("s.occurred_key", query.since_key, query.until_key)
        table = "s"
        if query.text is not None:
            sql, params = self._text_filter(query.text)
            where.add(sql, *params)
            table = "x" if self.text_join else "s"
        where.after(f"{table}.occurred_key", query.after, f"{table}.position")
        items, more = self._page(where, f"{table}.occurred_key", query.limit, table)
        if query.text is not None:
            for item in items:
                item["snippet"] = snippet(search_fields(item), query.text)
        return items, more

    def all_demands(self, query: DemandQuery) -> Page:
        where = _Where()
        where.any_of("s.type", query.types)
        where.add("s.retracted = 0")
        where.any_of("s.track_id", query.tracks)
        where.any_of("s.status", query.statuses)
        where.parties(query.parties)
        if query.red_line is not None:
            where.add("s.red_line = ?", int(query.red_line))
        where.after("s.occurred_key", query.after)
        return self._page(where, "s.occurred_key", query.limit)

    def warnings(self, query: WarningQuery) -> Page:
        where = _Where()
        where.add("s.board = ?", WARNINGS)
        where.any_of("s.type", query.types)
        where.add("s.retracted = 0")
        where.any_of("s.track_id", query.tracks)
        where.parties(query.parties)
        where.any_of("s.target", query.targets)
        if query.active is not None:
            where.add("s.status = ?" if query.active else "s.status <> ?", "active")
        where.after("s.occurred_key", query.after)
        return self._page(where, "s.occurred_key", query.limit)

    def meetings(self, query: MeetingQuery) -> Page:
        where = _Where()
        where.add("s.meeting_key IS NOT NULL AND s.retracted = 0")
        if query.held is not None:
            where.add("s.type = ?", "meeting_held" if query.held else "meeting_scheduled")
        where.any_of("s.track_id", query.tracks)
        where.any_of("s.meeting_format", query.formats)
        where.between("s.meeting_key", query.from_key, query.to_key)
        where.after("s.meeting_key", query.after)
        return self._page(where, "s.meeting_key", query.limit)

    def actors(self, query: ActorQuery) -> Page:
        """A page of folded names, then their facets (rm_actor_facets: a few rows per
        person, however many statements name them), gathered per person."""
        # One pass over the facets, grouped per person: a subquery per word made PostgreSQL
        # plan a join per word (a `q` of 250 words took 22 s to plan on a tiny model).
        named = "SELECT name_key FROM rm_actor_facets WHERE 1 = 1"
        params: list[Any] = []
        if query.after is not None:
            named += " AND name_key > ?"
            params.append(query.after)
        named += " GROUP BY name_key"
        words = list(dict.fromkeys(query.words))  # a word said twice asks nothing more
        if words:  # each word, in the name or in any of the person's roles
            named += " HAVING " + " AND ".join(
                "MAX(CASE WHEN ' ' || name_key || ' ' || role_key || ' ' LIKE ? THEN 1 ELSE 0 END)"
                " = 1"
                for _ in words
            )
            params.extend(f"% {word} %" for word in words)
        named += " ORDER BY name_key LIMIT ?"
        keys = [row[0] for row in self.fetch(named, [*params, query.limit + 1])]
        page = keys[: query.limit]
        if not page:
            return [], False
        rows = self.fetch(
            "SELECT f.name_key, f.name, f.role, f.party, t.slug, f.statements"
            " FROM rm_actor_facets f JOIN rm_tracks t ON t.id = f.track_id"
            f" WHERE f.name_key IN {_marks(page)}",
            page,
        )
        facets: dict[str, list[tuple[Any, ...]]] = {}
        for row in rows:
            facets.setdefault(row[0], []).append(row)
        return [_person(facets[key]) for key in page], len(keys) > len(page)


def _person(rows: list[tuple[Any, ...]]) -> dict[str, Any]:
    """One person from their facets (the same folded name, however spelled: the first
    spelling in sort order is shown)."""
    return {
        "name": min(r[1] for r in rows),
        "roles": sorted({r[2] for r in rows if r[2]}),
        "parties": sorted({r[3] for r in rows}),
        "statement_count": sum(r[5] for r in rows),
        "tracks": sorted({r[4] for r in rows}),
    }
