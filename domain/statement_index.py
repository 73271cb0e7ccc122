"""The `Track` aggregate's index of its statements (what its invariants read of them), and
the record of its idempotency keys.

Per statement id, a JSON list (a snapshot of a long track stays small): its type, its party,
whether it was retracted, the statement it withdraws (or None), and the live statements that
withdraw it. Enough to check that a reference resolves to a live statement and that a
withdrawal names its party's own withdrawable statement, not yet withdrawn. Also here: how
the records of older snapshots become this index (`Track`'s upcasters).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain import errors
from domain.records import StatementRecord
from domain.statement_types import HEARSAY
from domain.values import WITHDRAWABLE_TYPES

TYPE, PARTY, RETRACTED, WITHDRAWS, WITHDRAWN_BY = range(5)
Index = dict[str, list[Any]]


def add(index: Index, statement_id: str, fields: dict[str, Any]) -> None:
    entry = index[statement_id] = [fields["type"], fields["party"], False, None, []]
    entry[WITHDRAWS] = fields.get("withdraws")
    target = index.get(entry[WITHDRAWS]) if entry[WITHDRAWS] is not None else None
    # A claimed or unconfirmed withdrawal withdraws nothing (API.md v1.1).
    if target is not None and fields.get("attribution") not in HEARSAY:
        target[WITHDRAWN_BY].append(statement_id)


def correct(index: Index, statement_id: str, changes: dict[str, Any]) -> None:
    entry = index[statement_id]
    for name, at in (("type", TYPE), ("party", PARTY)):
        if name in changes:
            entry[at] = changes[name]
    target = index.get(entry[WITHDRAWS]) if entry[WITHDRAWS] is not None else None
    if target is not None and "attribution" in changes:
        withdraws = changes["attribution"] not in HEARSAY
        if withdraws and statement_id not in target[WITHDRAWN_BY]:
            target[WITHDRAWN_BY].append(statement_id)
        elif not withdraws and statement_id in target[WITHDRAWN_BY]:
            target[WITHDRAWN_BY].remove(statement_id)


def retract(index: Index, statement_id: str) -> None:
    entry = index[statement_id]
    entry[RETRACTED] = True
    target = index.get(entry[WITHDRAWS]) if entry[WITHDRAWS] is not None else None
    if target is not None and statement_id in target[WITHDRAWN_BY]:
        target[WITHDRAWN_BY].remove(statement_id)


# -- the checks commands make ---------------------------------------------------------------


def live(index: Index, statement_id: str) -> list[Any]:
    entry = index.get(statement_id)
    if entry is None:
        raise errors.StatementNotFound(f"no statement {statement_id} on this track")
    if entry[RETRACTED]:
        raise errors.AlreadyRetracted(f"statement {statement_id} was retracted")
    return entry


def resolve(index: Index, statement_id: Any, field: str) -> list[Any]:
    entry = index.get(str(statement_id))
    if entry is None:
        raise errors.UnresolvableReference(
            f"{field} names no statement of this track: {statement_id}", field
        )
    if entry[RETRACTED]:
        raise errors.UnresolvableReference(
            f"{field} names a retracted statement: {statement_id}", field
        )
    return entry


_WITHDRAWABLE = ", ".join(t.replace("_", " ") for t in WITHDRAWABLE_TYPES)


def check_withdrawable(
    index: Index, target_id: str, party: str, *, hearsay: bool = False, own: str | None = None
) -> None:
    """A withdrawal by `party` may name its own live withdrawable statement, not withdrawn
    yet (by a withdrawal other than `own`) unless it is hearsay, which withdraws nothing."""
    target = resolve(index, target_id, "withdraws")
    if target[TYPE] not in WITHDRAWABLE_TYPES:
        raise errors.UnresolvableReference(
            f"withdraws must name one of: {_WITHDRAWABLE}", "withdraws"
        )
    if target[PARTY] != party:
        raise errors.UnresolvableReference(
            f"a party can only withdraw its own {_WITHDRAWABLE}", "withdraws"
        )
    if not hearsay and [i for i in target[WITHDRAWN_BY] if i != own]:
        raise errors.UnresolvableReference(
            f"statement {target_id} is already withdrawn", "withdraws"
        )


def check_correction(
    index: Index, statement_id: str, fields: dict[str, Any], changed: Iterable[str]
) -> None:
    """A withdrawal with a corrected party or attribution must still be one it may make."""
    withdraws = index[statement_id][WITHDRAWS]
    if withdraws is not None and {"party", "attribution"} & set(changed):
        hearsay = fields.get("attribution") in HEARSAY
        own = statement_id
        check_withdrawable(index, withdraws, fields["party"], hearsay=hearsay, own=own)


# -- idempotency keys ------------------------------------------------------------------------


def remember_key(
    keys: dict[str, dict[str, Any]], key: str, digest: str, target: str | None, version: int
) -> None:
    """A write with `key` recorded an event: what it touched, and the version it left."""
    entry = keys.setdefault(key, {"digest": digest, "targets": []})
    entry["version"] = version
    if target is not None:
        entry["targets"].append(target)


def replay_for(keys: dict[str, dict[str, Any]], key: str, digest: str) -> list[str] | None:
    seen = keys.get(key)
    if seen is None:
        return None
    if seen["digest"] != digest:
        raise errors.IdempotencyKeyReused(
            "this Idempotency-Key was already used with a different request body"
        )
    return list(seen["targets"])


# -- snapshots of older `Track` class versions ------------------------------------------------


def upcast_v1_v2(state: dict[str, Any]) -> None:
    """Version 1 snapshots held each statement as a dict."""
    state["statements"] = {
        statement_id: StatementRecord.from_dict(record)
        for statement_id, record in state["statements"].items()
    }


def upcast_v2_v3(state: dict[str, Any]) -> None:
    """Version 2 snapshots kept answers and withdrawals in track-wide maps (and the ids by
    type, which version 4 has no use for)."""
    statements: dict[str, StatementRecord] = state["statements"]
    for target_id, ids in state.pop("responses_to").items():
        if target_id in statements:
            statements[target_id].answers = list(ids)
    for target_id, ids in state.pop("withdrawals_of").items():
        if target_id in statements:
            statements[target_id].withdrawals = list(ids)
    del state["by_type"]


def upcast_v3_v4(state: dict[str, Any]) -> None:
    """Version 3 snapshots held every statement's record and the track's view (now folded
    by `domain.document.TrackView`): the index is what the invariants read of them."""
    statements: dict[str, StatementRecord] = state.pop("statements")
    state["index"] = {
        statement_id: [
            record.type,
            record.party,
            record.retracted,
            record.fields.get("withdraws"),
            [i for i in record.withdrawals if not statements[i].retracted],
        ]
        for statement_id, record in statements.items()
    }
    for view_only in ("in_view", "live_counts", "last_activity_at"):
        state.pop(view_only, None)
