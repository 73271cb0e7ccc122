"""The recording form is derived from the statement-type registry, and refuses to be built
from one it cannot show: a common field without a control, or a field name whose kind
differs between types (the form shows one control per name)."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from domain.statement_types import STATEMENT_TYPE_SPECS, FieldSpec, StatementTypeSpec
from services.web import record
from services.web.record import Choices, extra_controls

NO_CHOICES = Choices(parties=("Russia",), statements=(("s1", "a demand"),), tracks=())


def test_each_extra_field_name_is_one_control_shown_for_the_types_that_take_it() -> None:
    controls = {c.loc: c for c in extra_controls(NO_CHOICES)}
    responds_to = controls["responds_to"]
    assert "response" in responds_to.types and "demand" not in responds_to.types
    assert responds_to.required_for == ("response",)
    assert responds_to.choices == NO_CHOICES.statements
    assert controls["measures"].widget == "lines"
    assert controls["condition"].widget == "textarea"  # long text
    assert controls["target"].widget == "text"
    names = {f.name for spec in STATEMENT_TYPE_SPECS.values() for f in spec.fields}
    assert set(controls) == names


def test_a_common_field_without_a_control_stops_the_form_from_loading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(record, "COMMON_FIELDS", (*record.COMMON_FIELDS, "mood"))
    with pytest.raises(ValueError, match="common fields"):
        record._check_layout()


def test_a_field_name_with_two_kinds_stops_the_form_from_loading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    odd = StatementTypeSpec("odd", "OddSaid", "a test type", "010", (FieldSpec("target", "bool"),))
    specs = MappingProxyType({**STATEMENT_TYPE_SPECS, "odd": odd})
    monkeypatch.setattr(record, "STATEMENT_TYPE_SPECS", specs)
    with pytest.raises(ValueError, match="target"):
        record._check_registry_shapes()
