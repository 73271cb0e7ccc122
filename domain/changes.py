"""What changed in world time between two dates (API.md v1.1, "World time" and "Changes").

The state of a track "on D" holds the statements whose start of period is not after the
end of D (`domain.world_time`). What changed in (D1, D2] is therefore the difference between
the track's world view on D1 and on D2: the statements admitted on D2 and not on D1, and
what they did to statements already there. Both views are the ordinary fold, taken as the
record stands now (later corrections and retractions apply), so a statement whose corrected
`occurred_at` left the window is not a change of it, nor is a retracted one. Only the
track's own (home) statements are folded: one that merely concerns it (`also_concerns`)
belongs to the changes of its home track.

Each statement new in the window gives one change. A response or withdrawal that gives a
demand or proposal another status than it had on D1 (a new one counts as open then) gives
`demand_status_changed`, and a withdrawal that withdraws a warning `warning_withdrawn`;
each shows the statement it changed, and names itself as the `cause`. Any other statement
gives the effect of its type; what has no effect of its own (a response that changes no
status, a claimed or unconfirmed one, a concession, a statement) gives `other`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal, get_args

from domain import statuses, views
from domain.document import TrackView
from domain.records import StatementRecord
from domain.statement_types import STATEMENT_TYPE_SPECS
from domain.values import STATUS_BEARING_TYPES
from domain.world_time import last_instant_key, world_view

Effect = Literal[
    "new_demand",
    "demand_status_changed",
    "warning_issued",
    "warning_withdrawn",
    "meeting_scheduled",
    "meeting_held",
    "agreement",
    "other",
]
EFFECTS: tuple[str, ...] = get_args(Effect)
NEW_DEMAND, STATUS_CHANGED, WARNING_ISSUED, WARNING_WITHDRAWN = EFFECTS[:4]
OTHER = EFFECTS[-1]

# The effect a new statement has by its type alone (types not listed: `other`); the
# meeting and agreement effects are named after their types.
EFFECT_OF_TYPE: Mapping[str, str] = MappingProxyType(
    {
        **{kind: NEW_DEMAND for kind in STATUS_BEARING_TYPES},
        **{kind: WARNING_ISSUED for kind in views.WARNING_TYPES},
        **{kind: kind for kind in (*statuses.MEETINGS, "agreement")},
    }
)


def _check_effects() -> None:
    """Caught on import: a type renamed in the registry, or an effect that is not one."""
    if not set(EFFECT_OF_TYPE) <= set(STATEMENT_TYPE_SPECS):
        raise ValueError("EFFECT_OF_TYPE names a statement type that does not exist")
    if not set(EFFECT_OF_TYPE.values()) <= set(EFFECTS):
        raise ValueError("EFFECT_OF_TYPE gives an effect that is not one of EFFECTS")


_check_effects()


@dataclass(frozen=True)
class Change:
    """One change: `effect`, on `statement_id`, made by the statement `made_by` (itself,
    or for a status change or a withdrawn warning the `cause`)."""

    effect: str
    statement_id: str
    made_by: StatementRecord
    from_status: str | None = None
    to_status: str | None = None

    @property
    def order(self) -> tuple[str, int]:
        """Where the change stands in the track's timeline: that of the statement making
        it (start of its period, then its version, i.e. commit order within a track)."""
        return self.made_by.at, self.made_by.version

    @property
    def cause(self) -> str | None:
        return None if self.made_by.id == self.statement_id else self.made_by.id


@dataclass(frozen=True)
class TrackChanges:
    """A track's changes in (D1, D2], in timeline order, and its world view on D2 (which
    the items show their statements from)."""

    view: TrackView
    changes: list[Change]


def window_is_inverted(from_: str, to: str) -> bool:
    """Whether `from_` ends after `to` does: (D1, D2] would run backwards. Dates that end
    together (2021-12-31 and 2021-12) give an empty window, not an inverted one."""
    return last_instant_key(from_) > last_instant_key(to)


def track_changes(events: Iterable[Any], from_: str, to: str) -> TrackChanges | None:
    """What changed on a track (its events, from its first) in world time in (`from_`,
    `to`]: the statements admitted on `to` and not on `from_`. None if there are no events."""
    events = list(events)
    before, after = world_view(events, from_), world_view(events, to)
    if before is None or after is None:
        return None
    new = [
        r for r in after.statements.values() if r.id not in before.statements and not r.retracted
    ]
    caused = _caused_changes(before, after, new)
    changes = [caused.get(r.id) or _change_of_type(r) for r in new]
    return TrackChanges(after, sorted(changes, key=lambda c: c.order))


def _change_of_type(record: StatementRecord) -> Change:
    return Change(EFFECT_OF_TYPE.get(record.type, OTHER), record.id, record)


def _caused_changes(
    before: TrackView, after: TrackView, new: list[StatementRecord]
) -> dict[str, Change]:
    """The changes the new statements made to others, by the id of the one that made each."""
    targets: dict[str, StatementRecord] = {}
    for record in new:  # only what a new statement answers or withdraws can change
        for ref in (record.fields.get("responds_to"), record.fields.get("withdraws")):
            if ref is not None and ref in after.statements:
                targets[str(ref)] = after.statements[str(ref)]
    caused: dict[str, Change] = {}
    for target in targets.values():
        change = _change_to(before, after, target)
        if change is not None and change.made_by.id not in before.statements:
            caused[change.made_by.id] = change
    return caused


def _change_to(before: TrackView, after: TrackView, target: StatementRecord) -> Change | None:
    """How `target` (live on D2) changed between the two dates, if it did."""
    if target.retracted:
        return None
    known = target.id in before.statements
    if target.type in STATUS_BEARING_TYPES:
        old = views.status_of(before, target.id) if known else "open"
        now = views.status_of(after, target.id)
        cause = statuses.status_decided_by(after.statements, target)
        if old == now or cause is None:
            return None
        return Change(STATUS_CHANGED, target.id, cause, old, now)
    if target.type in views.WARNING_TYPES:
        withdrawal = statuses.withdrawn_by(after.statements, target)
        if withdrawal is None or (known and views.is_withdrawn(before, target.id)):
            return None
        return Change(WARNING_WITHDRAWN, target.id, withdrawal)
    return None


def change_item(view: TrackView, change: Change) -> dict[str, Any]:
    """A change as answered: its statement as the timeline shows it on D2 (`statement_view`
    of the world view), and when the change occurred (the `occurred_at` of what made it)."""
    item: dict[str, Any] = {
        "track_id": str(view.id),
        "track_slug": view.slug,
        "effect": change.effect,
        "occurred_at": change.made_by.fields["occurred_at"],
        "statement": views.statement_view(view, change.statement_id),
    }
    if change.cause is not None:
        item["cause"] = change.cause
    if change.effect == STATUS_CHANGED:
        item["from"], item["to"] = change.from_status, change.to_status
    return item
