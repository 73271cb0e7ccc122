"""The rows one statement view gives every table: made here once, for the live projector
(`ReadModelTx.upsert_statements`) and for a rebuild (`rebuild_in_memory`), so the two cannot
drift apart (`ntrack rebuild --check` compares them)."""

from __future__ import annotations

from typing import Any

from domain.search import fold
from domain.values import sort_key
from domain.views import WARNING_TYPES
from infra.readmodel.schema import dumps, listed

MEETING_TYPES = ("meeting_scheduled", "meeting_held")
WARNINGS = "warnings"  # rm_statements.board of the statements /v1/warnings lists
RELATIONS = ("speaker", "reported_by")  # the people a statement names, in this order
Row = tuple[Any, ...]
# A person's facet (rm_actor_facets' key and role_key) -> [mentions, statements].
Facets = dict[tuple[str, ...], list[int]]


def _name(person: Any) -> str | None:
    return person.get("name") if isinstance(person, dict) else None


def meeting_key(view: dict[str, Any], occurred_key: str) -> str | None:
    """What meetings are ordered by: a scheduled one's meeting_at, a held one's occurred_at."""
    if view["type"] == "meeting_scheduled":
        return sort_key(view["meeting_at"])
    return occurred_key if view["type"] == "meeting_held" else None


def target_of(view: dict[str, Any]) -> str | None:
    """Whom a warning is aimed at: a sanction warning's target, a warning's addressee."""
    if view["type"] == "sanction_warning":
        return str(view["target"])
    return view.get("addressee") if view["type"] == "warning" else None


def search_fields(view: dict[str, Any]) -> list[str | None]:
    """The texts `q` searches, in the order a snippet looks for the match."""
    titles = [s.get("title") for s in view.get("sources") or [] if isinstance(s, dict)]
    return [
        view.get("summary"),
        view.get("quote"),
        _name(view.get("speaker")),
        _name(view.get("reported_by")),
        *titles,
    ]


def statement_row(view: dict[str, Any], occurred_key: str, position: int) -> Row:
    """The rm_statements row, in STATEMENT_COLUMNS order."""
    speaker = _name(view.get("speaker"))
    return (
        view["id"],
        view["track_id"],
        view["version"],
        view["type"],
        view["party"],
        occurred_key,
        int(view["retracted"]),
        view.get("status"),
        dumps(view),
        position,
        view.get("attribution") or "direct",
        fold(speaker) if speaker else None,
        int(bool(view.get("red_line"))),
        target_of(view),
        meeting_key(view, occurred_key),
        view.get("format") if view["type"] in MEETING_TYPES else None,
        WARNINGS if view["type"] in WARNING_TYPES else None,
    )


def child_rows(view: dict[str, Any], occurred_key: str, position: int) -> dict[str, list[Row]]:
    """The rows of each table in STATEMENT_CHILDREN, in its columns' order."""
    sid, home = view["id"], view["track_id"]
    actors = []
    for relation in RELATIONS:
        person = view.get(relation) or {}
        name = _name(person)
        if name:
            role = person.get("role")
            key = (fold(name), name, role, fold(role) if role else None)
            actors.append((sid, home, *key, view["party"], relation))
    body = fold(" ".join(f for f in search_fields(view) if f))
    return {
        "rm_statement_topics": [(sid, home, t) for t in listed(view, "topics")],
        "rm_joint_parties": [(sid, home, p) for p in listed(view, "with_parties")],
        "rm_related": [
            (other, sid, home, occurred_key, position)
            for other in listed(view, "also_concerns")
            if other != home  # never twice in its own timeline
        ],
        "rm_actors": actors,
        "rm_statement_text": [(sid, occurred_key, position, body)],
    }


def count_facets(facets: Facets, actors: list[Row], sign: int = 1) -> None:
    """Add (`sign` 1) or take away (-1) what rm_actors rows of live statements count for in
    rm_actor_facets: a mention per row, and per statement and person one statement, on the
    facet of its first relation (the same whichever order the rows come in)."""
    first: set[tuple[str, str]] = set()
    for sid, track, name_key, name, role, role_key, party, _ in sorted(
        actors, key=lambda row: (row[0], RELATIONS.index(row[7]))
    ):
        facet = (name_key, name, role or "", role_key or "", party, track)
        counts = facets.setdefault(facet, [0, 0])
        counts[0] += sign
        if (sid, name_key) not in first:
            first.add((sid, name_key))
            counts[1] += sign


def facet_rows(facets: Facets) -> list[Row]:
    """rm_actor_facets rows (changes to them, for the projector), in FACET_COLUMNS order."""
    return [(*key, *counts) for key, counts in facets.items() if any(counts)]
