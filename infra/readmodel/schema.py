"""The read model's tables and columns, the same on every store."""

from __future__ import annotations

from typing import Any

import orjson

DDL = [
    """CREATE TABLE IF NOT EXISTS rm_tracking (
        projection TEXT PRIMARY KEY, position BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rm_tracks (
        id TEXT PRIMARY KEY, slug TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
        last_activity_at TEXT NOT NULL, version INTEGER NOT NULL, position BIGINT NOT NULL,
        state TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS rm_track_parties (
        track_id TEXT NOT NULL, party TEXT NOT NULL, PRIMARY KEY (track_id, party))""",
    """CREATE TABLE IF NOT EXISTS rm_statements (
        id TEXT PRIMARY KEY, track_id TEXT NOT NULL, version INTEGER NOT NULL,
        type TEXT NOT NULL, party TEXT NOT NULL, occurred_key TEXT NOT NULL,
        retracted INTEGER NOT NULL, status TEXT, view TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    """CREATE INDEX IF NOT EXISTS rm_statements_timeline
        ON rm_statements (track_id, occurred_key, version)""",
    """CREATE TABLE IF NOT EXISTS rm_statement_topics (
        statement_id TEXT NOT NULL, track_id TEXT NOT NULL, topic TEXT NOT NULL,
        PRIMARY KEY (statement_id, topic))""",
    """CREATE INDEX IF NOT EXISTS rm_statement_topics_by_topic
        ON rm_statement_topics (track_id, topic)""",
    # A statement's place in the timeline of each other track it concerns (`also_concerns`),
    # with its home track's sort key and commit position copied, so a page of them is read
    # in index order.
    """CREATE TABLE IF NOT EXISTS rm_related (
        track_id TEXT NOT NULL, statement_id TEXT NOT NULL, home_track_id TEXT NOT NULL,
        occurred_key TEXT NOT NULL, position BIGINT NOT NULL,
        PRIMARY KEY (track_id, statement_id))""",
    """CREATE INDEX IF NOT EXISTS rm_related_timeline
        ON rm_related (track_id, occurred_key, position)""",
    """CREATE INDEX IF NOT EXISTS rm_related_by_statement ON rm_related (statement_id)""",
    # The other authors of a joint statement (`with_parties`), for `party=` filters.
    """CREATE TABLE IF NOT EXISTS rm_joint_parties (
        statement_id TEXT NOT NULL, track_id TEXT NOT NULL, party TEXT NOT NULL,
        PRIMARY KEY (statement_id, party))""",
    """CREATE INDEX IF NOT EXISTS rm_joint_parties_by_party ON rm_joint_parties (party)""",
]

# The columns the projector writes (and a rebuild copies), with their PostgreSQL types.
TRACK_COLUMNS = {
    "id": "text",
    "slug": "text",
    "kind": "text",
    "status": "text",
    "last_activity_at": "text",
    "version": "integer",
    "position": "bigint",
    "state": "text",
}
PARTY_COLUMNS = {"track_id": "text", "party": "text"}


def track_row(state: dict[str, Any], position: int) -> tuple[Any, ...]:
    """A track document's row, in `TRACK_COLUMNS` order (the projector's and a rebuild's)."""
    return (
        state["id"],
        state["slug"],
        state["kind"],
        state["status"],
        state["last_activity_at"],
        state["version"],
        position,
        dumps(state),
    )


STATEMENT_COLUMNS = {
    "id": "text",
    "track_id": "text",
    "version": "integer",
    "type": "text",
    "party": "text",
    "occurred_key": "text",
    "retracted": "integer",
    "status": "text",
    "view": "text",
    "position": "bigint",  # the commit position of the event that recorded the statement
}
TOPIC_COLUMNS = {"statement_id": "text", "track_id": "text", "topic": "text"}
RELATED_COLUMNS = {
    "track_id": "text",
    "statement_id": "text",
    "home_track_id": "text",
    "occurred_key": "text",
    "position": "bigint",
}
JOINT_PARTY_COLUMNS = {"statement_id": "text", "track_id": "text", "party": "text"}

TABLES = (
    "rm_tracks",
    "rm_track_parties",
    "rm_statements",
    "rm_statement_topics",
    "rm_related",
    "rm_joint_parties",
)
ALL_TABLES = (*TABLES, "rm_tracking")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def listed(view: dict[str, Any], field: str) -> list[str]:
    """A list field of a statement view, without repeats (absent on older statements): the
    rows a view gives rm_statement_topics, rm_joint_parties and rm_related."""
    return list(dict.fromkeys(view.get(field) or []))
