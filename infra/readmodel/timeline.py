"""The SQL of a track's timeline: its own statements and, unless asked without them, those of
other tracks that concern it (rm_related), in one order: the sort key of `occurred_at`, then
the commit position that recorded the statement.

Each part is read in its own index order with its own LIMIT and the two are merged, so a page
costs about its length however long the track is. Within one track, version order is commit
order, so the home part keeps the (track_id, occurred_key, version) index of release 1.
"""

from __future__ import annotations

from typing import Any

from services.ports import TimelineFilter

# Where the page starts: the commit position of the cursor's statement, found by its track and
# version (the version is what a release-1 cursor carries). If that statement has moved to
# another day since, the newest earlier one of its track on the cursor's day stands in for
# it, or 0: positions grow with versions, so the home rows of that day still split exactly.
_START = (
    "WITH start_at(position) AS (SELECT COALESCE(MAX(position), 0) FROM rm_statements"
    " WHERE track_id = ? AND occurred_key = ? AND version <= ?)"
)


def timeline_query(track_id: str, f: TimelineFilter) -> tuple[str, list[Any]]:
    """The statement and its parameters (`?` placeholders, `rm_` tables)."""
    params: list[Any] = []
    prefix = ""
    if f.after is not None:
        prefix = _START + " "
        cursor_track = f.after.home_track_id or track_id
        params += [cursor_track, f.after.occurred_key, f.after.version]
    home_sql, home_params = _part(track_id, f, related=False)
    params += home_params
    if not f.include_related:
        return prefix + home_sql, params
    related_sql, related_params = _part(track_id, f, related=True)
    params += [*related_params, f.limit + 1]
    sql = (
        f"{prefix}SELECT view, occurred_key, position FROM"
        f" (SELECT * FROM ({home_sql}) AS home"
        f" UNION ALL SELECT * FROM ({related_sql}) AS related) AS page"
        " ORDER BY occurred_key, position LIMIT ?"
    )
    return sql, params


def _part(track_id: str, f: TimelineFilter, *, related: bool) -> tuple[str, list[Any]]:
    """One part's page: up to limit + 1 rows after the cursor, in order."""
    if related:
        # The sort key and position are the copies in rm_related, so the page is read in the
        # order of its index; the filters look at the statement itself.
        at = "r"
        sql = (
            "SELECT s.view, r.occurred_key, r.position FROM rm_related r"
            " JOIN rm_statements s ON s.id = r.statement_id WHERE r.track_id = ?"
        )
        order = " ORDER BY r.occurred_key, r.position LIMIT ?"
    else:
        at = "s"
        sql = "SELECT s.view, s.occurred_key, s.position FROM rm_statements s WHERE s.track_id = ?"
        order = " ORDER BY s.occurred_key, s.version LIMIT ?"
    params: list[Any] = [track_id]
    if f.type is not None:
        sql += " AND s.type = ?"
        params.append(f.type)
    if f.party is not None:
        sql += (
            " AND (s.party = ? OR s.id IN"
            " (SELECT statement_id FROM rm_joint_parties WHERE party = ?))"
        )
        params += [f.party, f.party]
    if not f.include_retracted:
        sql += " AND s.retracted = 0"
    if f.since_key is not None:
        sql += f" AND {at}.occurred_key >= ?"
        params.append(f.since_key)
    if f.until_key is not None:
        sql += f" AND {at}.occurred_key <= ?"
        params.append(f.until_key)
    if f.topic is not None:
        if related:  # the topic rows carry the statement's home track
            sql += (
                " AND EXISTS (SELECT 1 FROM rm_statement_topics t"
                " WHERE t.statement_id = s.id AND t.topic = ?)"
            )
            params.append(f.topic)
        else:
            sql += (
                " AND s.id IN (SELECT statement_id FROM rm_statement_topics"
                " WHERE track_id = ? AND topic = ?)"
            )
            params += [track_id, f.topic]
    if f.after is not None:
        # The first comparison alone lets the index seek to the cursor's day (an OR does not).
        sql += (
            f" AND {at}.occurred_key >= ? AND ({at}.occurred_key > ? OR ({at}.occurred_key = ?"
            f" AND {at}.position > (SELECT position FROM start_at)))"
        )
        params += [f.after.occurred_key] * 3
    params.append(f.limit + 1)
    return sql + order, params
