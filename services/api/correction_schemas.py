"""The body of a correction (API.md v1.1: any field but `type`, `responds_to` and
`withdraws`, each checked as on recording) and of a retraction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, create_model, model_validator

from domain.statement_types import STATEMENT_TYPE_SPECS
from services.api.dates import PastMoment
from services.api.fields import Name, Reason, Summary, Topic
from services.api.schemas import StatementFields, Strict, field_annotation, never_both_sources

# What a correction may change: every field but `type` and the references (API.md v1.1).
_FIXED = ("type", "responds_to", "withdraws")


def _type_fields() -> dict[str, Any]:
    """Each type-specific field once, optional: which type takes it is the aggregate's check."""
    fields: dict[str, Any] = {}
    for spec in STATEMENT_TYPE_SPECS.values():
        for field in spec.fields:
            if field.name not in _FIXED and field.name not in fields:
                fields[field.name] = (field_annotation(field) | None, None)
                if field.name == "position":
                    fields["stance"] = fields["position"]
    return fields


# Fields every statement has: a correction may change them, never remove them.
_KEPT = ("party", "summary", "occurred_at", "topics")


def _document_rules(schema: dict[str, Any]) -> None:
    """What `_something_changes` checks, in the JSON schema: at least one field, never both
    spellings of the stance, and no null for the fields every statement keeps."""
    never_both_sources(schema)
    schema["minProperties"] = 1
    schema["allOf"].append({"not": {"required": ["position", "stance"]}})
    for name in _KEPT:
        field = schema["properties"][name]
        kinds = [kind for kind in field.pop("anyOf") if kind != {"type": "null"}]
        field.update(kinds[0])


class _ChangesBase(StatementFields):
    model_config = ConfigDict(json_schema_extra=_document_rules)

    party: Name | None = None
    summary: Summary | None = None
    occurred_at: PastMoment | None = None
    topics: Annotated[list[Topic], Field(max_length=20)] | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> _ChangesBase:
        if not self.model_fields_set:
            raise ValueError("changes must name at least one field")
        for required in _KEPT:
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed, only corrected")
        if {"position", "stance"} <= self.model_fields_set:
            raise ValueError("send either position or stance, not both")
        return self

    def as_fields(self) -> dict[str, Any]:
        # Unset fields stay as they were; an explicit null removes an optional field.
        changes = self.model_dump(mode="json", exclude_unset=True)
        if "stance" in changes:
            changes["position"] = changes.pop("stance")
        if "source" in self.model_fields_set and self.source is None:
            changes["source"] = None  # `source: {}` too
        return changes


if TYPE_CHECKING:
    Changes = _ChangesBase
else:
    Changes = create_model("Changes", __base__=_ChangesBase, __module__=__name__, **_type_fields())


class CorrectionCreate(Strict):
    changes: Changes
    reason: Reason


class RetractionCreate(Strict):
    reason: Reason
