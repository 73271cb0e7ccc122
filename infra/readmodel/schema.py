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
        position BIGINT NOT NULL, attribution TEXT NOT NULL, speaker_key TEXT,
        red_line INTEGER NOT NULL, target TEXT, meeting_key TEXT, meeting_format TEXT,
        board TEXT)""",
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
    """CREATE INDEX IF NOT EXISTS rm_statement_topics_across ON rm_statement_topics (topic)""",
    # The people named as speaker or reported_by (`/v1/actors`), one row per statement and
    # relation; `name_key` is the folded name that identifies a person.
    """CREATE TABLE IF NOT EXISTS rm_actors (
        statement_id TEXT NOT NULL, track_id TEXT NOT NULL, name_key TEXT NOT NULL,
        name TEXT NOT NULL, role TEXT, role_key TEXT, party TEXT NOT NULL,
        relation TEXT NOT NULL, PRIMARY KEY (statement_id, relation))""",
    """CREATE INDEX IF NOT EXISTS rm_actors_by_name ON rm_actors (name_key)""",
    # What `/v1/actors` reads: per person (name_key) and each spelling, role, party and track
    # they are named with, how many live rows of rm_actors name them so (`mentions`: the
    # facet exists while it is above 0) and how many live statements they count for there
    # (`statements`: a statement naming someone twice counts once, on its first relation).
    # Kept by the projector in its transaction: a page of people reads a few rows per
    # person, not every row naming them. `role` and `role_key` are '' for no role (a key
    # column cannot be NULL).
    """CREATE TABLE IF NOT EXISTS rm_actor_facets (
        name_key TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, role_key TEXT NOT NULL,
        party TEXT NOT NULL, track_id TEXT NOT NULL, mentions INTEGER NOT NULL,
        statements INTEGER NOT NULL, PRIMARY KEY (name_key, name, role, party, track_id))""",
]

# Indexes over columns added to rm_statements since release 1.1's first shape: made only on
# tables of the current shape (an older one is rebuilt, in fresh tables that get them).
CURRENT_SHAPE_DDL = [
    # Every track's statements in one order (`/v1/statements`, `/v1/demands`, ...).
    """CREATE INDEX IF NOT EXISTS rm_statements_across
        ON rm_statements (occurred_key, position)""",
    """CREATE INDEX IF NOT EXISTS rm_statements_by_type
        ON rm_statements (type, occurred_key, position)""",
    """CREATE INDEX IF NOT EXISTS rm_statements_meetings
        ON rm_statements (meeting_key, position)""",
    # A speaker's statements in the order of a page, so a page needs no sort of all of them
    # (SQLite, without statistics, picks an equality index over the order one whatever its
    # size).
    """CREATE INDEX IF NOT EXISTS rm_statements_by_speaker_at
        ON rm_statements (speaker_key, occurred_key, position)""",
    # The same for warnings, two types: an IN on by_type reads both and sorts them.
    """CREATE INDEX IF NOT EXISTS rm_statements_by_board
        ON rm_statements (board, occurred_key, position)""",
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
    # What the filters across tracks look at, taken from the view (infra.readmodel.rows).
    "attribution": "text",
    "speaker_key": "text",  # the folded speaker name
    "red_line": "integer",
    "target": "text",  # a sanction warning's target, a warning's addressee
    "meeting_key": "text",  # sort key of a scheduled meeting's meeting_at, a held one's occurred_at
    "meeting_format": "text",
    "board": "text",  # `warnings` for both warning types (one equality, in index order)
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
ACTOR_COLUMNS = {
    "statement_id": "text",
    "track_id": "text",
    "name_key": "text",
    "name": "text",
    "role": "text",
    "role_key": "text",
    "party": "text",
    "relation": "text",
}
FACET_COLUMNS = {
    "name_key": "text",
    "name": "text",
    "role": "text",
    "role_key": "text",
    "party": "text",
    "track_id": "text",
    "mentions": "integer",
    "statements": "integer",
}
FACET_KEY = "name_key, name, role, party, track_id"
# The folded words a statement is found by (`q`); the table is the store's (FTS5, tsvector).
# The statement's sort key and commit position are copied beside them, so a store can read
# a page of matches in the text table's own order (PostgreSQL: postgres.py, `_TEXT_DDL`).
TEXT_COLUMNS = {
    "statement_id": "text",
    "occurred_key": "text",
    "position": "bigint",
    "body": "text",
}

# The rows hanging off a statement, with their columns (infra.readmodel.rows makes them).
STATEMENT_CHILDREN = {
    "rm_statement_topics": TOPIC_COLUMNS,
    "rm_joint_parties": JOINT_PARTY_COLUMNS,
    "rm_related": RELATED_COLUMNS,
    "rm_actors": ACTOR_COLUMNS,
    "rm_statement_text": TEXT_COLUMNS,
}

TABLES = (
    "rm_tracks",
    "rm_track_parties",
    "rm_statements",
    *STATEMENT_CHILDREN,
    "rm_actor_facets",
)
ALL_TABLES = (*TABLES, "rm_tracking")


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def listed(view: dict[str, Any], field: str) -> list[str]:
    """A list field of a statement view, without repeats (absent on older statements): the
    rows a view gives rm_statement_topics, rm_joint_parties and rm_related."""
    return list(dict.fromkeys(view.get(field) or []))
