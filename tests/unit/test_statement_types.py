"""Every entry of the statement-type registry is complete, and the domain and the request
models agree with it: event classes, request models, CAMEO defaults, references, boards,
withdrawals (enumerations, CLI and docs: test_statement_type_derivations.py)."""

from __future__ import annotations

import re
import typing
from typing import Any

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from domain import errors, events, views
from domain.records import references
from domain.statement_types import (
    BOARDS,
    COMMON_FIELDS,
    POSITIONS,
    REFERENCE_FIELDS,
    STATEMENT_TYPE_SPECS,
    CameoByField,
    FieldSpec,
    StatementTypeSpec,
)
from domain.track import Track
from domain.values import (
    DEMAND_STATUSES,
    EVENT_FOR_TYPE,
    STATEMENT_TYPES,
    STATUS_BEARING_TYPES,
    WITHDRAWABLE_TYPES,
    default_cameo,
    status_for_position,
)
from services import scenarios
from services.api.schemas import STATEMENT_MODELS, StatementBase, StatementIn
from tests.unit.builders import (
    RUSSIA,
    open_track,
    proposal,
    record,
    schedule_meeting,
    view_of,
)

SPECS = list(STATEMENT_TYPE_SPECS.values())
CAMEO = re.compile(r"^\d{2,4}$")

# Types and event names already in stored events: renaming one orphans what was recorded.
RELEASED_EVENTS = {
    "demand": "DemandMade",
    "proposal": "ProposalTabled",
    "response": "ResponseGiven",
    "concession": "ConcessionMade",
    "sanction_warning": "SanctionWarningIssued",
    "warning": "WarningIssued",
    "meeting_scheduled": "MeetingScheduled",
    "meeting_held": "MeetingHeld",
    "agreement": "AgreementReached",
    "withdrawal": "Withdrawn",
    "statement": "StatementMade",
}


def by_name(spec: StatementTypeSpec) -> str:
    return spec.name


# -- events -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_every_type_has_an_event_class_of_its_name_in_domain_events_that_maps_back(
    spec: StatementTypeSpec,
) -> None:
    cls = getattr(events, spec.event)
    assert issubclass(cls, events.StatementRecorded)
    assert get_topic(cls) == f"domain.events:{spec.event}"
    assert resolve_topic(f"domain.events:{spec.event}") is cls
    assert events.STATEMENT_EVENTS[spec.name] is cls
    assert EVENT_FOR_TYPE[spec.name] == spec.event


def test_domain_events_has_no_statement_event_the_registry_does_not_name() -> None:
    classes = {
        name
        for name, value in vars(events).items()
        if isinstance(value, type)
        and issubclass(value, events.StatementRecorded)
        and value is not events.StatementRecorded
    }
    assert classes == {spec.event for spec in SPECS}


def test_the_released_types_keep_their_event_names_so_stored_events_still_load() -> None:
    assert {name: EVENT_FOR_TYPE.get(name) for name in RELEASED_EVENTS} == RELEASED_EVENTS


# -- request models -----------------------------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_every_type_has_a_strict_request_model_with_exactly_its_fields(
    spec: StatementTypeSpec,
) -> None:
    model = STATEMENT_MODELS[spec.name]
    assert model.model_config.get("extra") == "forbid"
    assert typing.get_args(model.model_fields["type"].annotation) == (spec.name,)
    assert not set(spec.field_names) & set(StatementBase.model_fields), "shadows a common field"
    extras = {n: f for n, f in model.model_fields.items() if n not in StatementBase.model_fields}
    # A stance may also be sent as `stance` (v1.1), next to the registry's `position`.
    stance = ["stance"] if "position" in spec.field_names else []
    assert list(extras) == ["type", *spec.field_names, *stance]
    for field in spec.fields:
        info = extras[field.name]
        if field.name == "position":  # required, as `position` or as `stance`
            continue
        assert info.is_required() == field.required, field.name
        if not field.required:
            assert info.default == field.default, field.name


def test_the_statement_union_holds_the_registrys_models_in_its_order() -> None:
    union, discriminator = typing.get_args(StatementIn)
    assert typing.get_args(union) == tuple(STATEMENT_MODELS.values())
    assert discriminator.discriminator == "type"
    assert list(STATEMENT_MODELS) == list(STATEMENT_TYPES)


# -- CAMEO defaults, references, behaviour --------------------------------------------------


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_a_default_cameo_code_exists_for_every_value_of_the_field_it_depends_on(
    spec: StatementTypeSpec,
) -> None:
    if isinstance(spec.cameo, CameoByField):
        chooser = spec.field_spec(spec.cameo.field)
        assert chooser.kind == "enum"
        if not chooser.required:
            assert default_cameo(spec.name, {}) == spec.cameo.otherwise
        for value in chooser.values:
            assert CAMEO.match(default_cameo(spec.name, {spec.cameo.field: value})), value
    assert CAMEO.match(default_cameo(spec.name, {}))


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_every_reference_is_a_field_the_domain_resolves(spec: StatementTypeSpec) -> None:
    for ref in spec.references:
        assert ref.name in REFERENCE_FIELDS
        assert references({ref.name: "s1"}) == ["s1"]
    assert set(REFERENCE_FIELDS) <= set(scenarios._REF_FIELDS)


def test_a_malformed_entry_is_refused_when_the_registry_is_built() -> None:
    with pytest.raises(ValueError, match="values"):
        FieldSpec("position", "enum")
    with pytest.raises(ValueError, match="resolves only"):
        FieldSpec("answers", "ref")
    with pytest.raises(KeyError):
        StatementTypeSpec("x", "XMade", "x", CameoByField("tone", {}, "010"))


def test_withdrawable_and_status_bearing_types_are_the_registrys() -> None:
    assert tuple(s.name for s in SPECS if s.withdrawable) == WITHDRAWABLE_TYPES
    assert tuple(s.name for s in SPECS if s.has_status) == STATUS_BEARING_TYPES


def test_every_response_position_gives_a_demand_status() -> None:
    assert {status_for_position(p) for p in POSITIONS} | {"withdrawn"} == set(DEMAND_STATUSES)


def _example(spec: StatementTypeSpec, ref: str) -> dict[str, Any]:
    """Every extra field filled with a well-formed value of its kind."""
    values = {
        "text": "Geneva",
        "bool": True,
        "ref": ref,
        "moment": "2022-01-05",
        "instant": "2022-01-11T18:00:00+01:00",
    }
    fields = {}
    for f in spec.fields:
        fields[f.name] = f.values[0] if f.kind == "enum" else values.get(f.kind, ["x"])
    return fields


def _a_track_with_a_proposal_and_a_meeting() -> Track:
    track = open_track()
    proposal(track, "p1", RUSSIA)
    schedule_meeting(track, "m0", "2022-01-10", party=RUSSIA)
    return track


def _boards(track: Track) -> dict[str, Any]:
    state = views.track_state(view_of(track), None)
    return {board: state[board] for board in BOARDS}


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_recording_a_type_changes_exactly_the_board_the_registry_names(
    spec: StatementTypeSpec,
) -> None:
    track = _a_track_with_a_proposal_and_a_meeting()
    before = _boards(track)

    record(track, "s1", spec.name, RUSSIA, "2022-01-11", **_example(spec, "p1"))

    after = _boards(track)
    assert {b for b in BOARDS if before[b] != after[b]} == ({spec.board} - {None})
    view = views.statement_view(view_of(track), "s1")
    assert view["responses"] == []  # every type lists what answers it (v1.1)
    assert ("claimed_status" in view) == spec.has_status


@pytest.mark.parametrize("spec", SPECS, ids=by_name)
def test_a_withdrawal_may_name_exactly_the_types_the_registry_calls_withdrawable(
    spec: StatementTypeSpec,
) -> None:
    track = _a_track_with_a_proposal_and_a_meeting()
    record(track, "s1", spec.name, RUSSIA, "2022-01-11", **_example(spec, "p1"))

    if spec.withdrawable:
        record(track, "w1", "withdrawal", RUSSIA, "2022-01-12", withdraws="s1")
        assert views.is_withdrawn(view_of(track), "s1")
    else:
        with pytest.raises(errors.UnresolvableReference):
            record(track, "w1", "withdrawal", RUSSIA, "2022-01-12", withdraws="s1")


def test_the_domain_knows_every_common_field_of_the_request_models() -> None:
    # What a correction may change besides a type's own fields (domain.statement_checks).
    assert set(COMMON_FIELDS) == set(StatementBase.model_fields)
