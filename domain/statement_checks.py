"""The rules a statement's fields must keep on a track, on recording and after a correction
(API.md v1.1): who may claim it, who acts with its party, which other tracks it concerns,
when a meeting ended, and which fields its type takes. Pure: the `Track` aggregate calls
them with what it knows (its id and parties)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain import errors
from domain.names import find_party
from domain.statement_types import COMMON_FIELDS, HEARSAY, STATEMENT_TYPE_SPECS
from domain.values import instant_of

# Fields a correction may not change: they decide what the statement is and what it names.
FIXED_FIELDS = ("type", "responds_to", "withdraws")


def is_hearsay(fields: Mapping[str, Any]) -> bool:
    """Claimed or unconfirmed: listed where it belongs, but it decides no status and
    withdraws nothing."""
    return fields.get("attribution") in HEARSAY


# The fields that name a party of the track.
_PARTY_FIELDS = ("party", "claimed_by")


def in_track_spelling(fields: Mapping[str, Any], parties: list[str]) -> dict[str, Any]:
    """`fields` with each party they name spelt as the track spells it: a name that differs
    only in its Unicode form or by invisible characters (`domain.names`) names the same
    party, so a track's statements keep one spelling of each party, whatever a client
    sent. Names of no party are left for `check_statement` to refuse."""
    spelt = dict(fields)
    for name in _PARTY_FIELDS:
        value = spelt.get(name)
        if isinstance(value, str):
            spelt[name] = find_party(value, parties) or value
    joint = spelt.get("with_parties")
    if isinstance(joint, list):
        spelt["with_parties"] = [find_party(p, parties) or p for p in joint]
    return spelt


def check_statement(fields: Mapping[str, Any], parties: list[str], track_id: str) -> None:
    """Every rule of a whole statement's fields (a recorded one, or one as corrected)."""
    party = fields["party"]
    if party not in parties:
        raise errors.UnknownParty(
            f"{party!r} is not a party to this track (parties: {', '.join(parties)})", "party"
        )
    _check_claim(fields, parties)
    joint = fields.get("with_parties") or []
    for other in joint:
        if other not in parties:
            raise errors.UnknownParty(
                f"with_parties names {other!r}, not a party to this track", "with_parties"
            )
        if other == party:
            raise errors.RuleViolation(
                "with_parties lists the other parties acting with `party`, not itself",
                "with_parties",
            )
    if len(set(joint)) != len(joint):
        raise errors.RuleViolation("with_parties names a party twice", "with_parties")
    concerns = [str(t) for t in fields.get("also_concerns") or []]
    if track_id in concerns:
        raise errors.RuleViolation(
            "also_concerns names other tracks: this is the statement's home track",
            "also_concerns",
        )
    ended_at = fields.get("ended_at")
    occurred_at = fields.get("occurred_at")
    if ended_at is not None and occurred_at and instant_of(ended_at) < instant_of(occurred_at):
        raise errors.RuleViolation("ended_at lies before occurred_at", "ended_at")


def _check_claim(fields: Mapping[str, Any], parties: list[str]) -> None:
    claimed_by = fields.get("claimed_by")
    claimed = fields.get("attribution") == "claimed"
    if claimed and claimed_by is None:
        raise errors.RuleViolation(
            "a claimed statement names who claims it: claimed_by", "claimed_by"
        )
    if claimed_by is None:
        return
    if not claimed:
        raise errors.RuleViolation("claimed_by goes with attribution `claimed` only", "claimed_by")
    if claimed_by not in parties:
        raise errors.UnknownParty(
            f"claimed_by names {claimed_by!r}, not a party to this track", "claimed_by"
        )
    if claimed_by == fields["party"]:
        raise errors.RuleViolation(
            "claimed_by is another party than the one the claim is about", "claimed_by"
        )


def corrected(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The statement's fields once `changes` apply (null removes a field), after checking
    that its type takes each changed field and keeps its required ones."""
    kind = current["type"]
    spec = STATEMENT_TYPE_SPECS[kind]
    for name, value in changes.items():
        if name in FIXED_FIELDS:
            raise errors.RuleViolation(f"{name} cannot be corrected", name)
        if name not in COMMON_FIELDS and name not in spec.field_names:
            raise errors.RuleViolation(f"a {kind} has no field {name}", name)
        if value is None and name in spec.field_names and spec.field_spec(name).required:
            raise errors.RuleViolation(f"{name} of a {kind} cannot be removed", name)
    merged = {**current, **changes}
    # One of `source` (v1) and `sources` (v1.1) holds the sources: the newer one sent.
    if "sources" in changes:
        merged.pop("source", None)
    elif "source" in changes:
        merged.pop("sources", None)
    return {name: value for name, value in merged.items() if value is not None}
