"""Request bodies, strict: unknown fields, wrong types and out-of-range values are 422."""

from __future__ import annotations

import re
from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    create_model,
    model_validator,
)

from domain.statement_types import (
    NAME_LENGTH,
    STATEMENT_TYPE_SPECS,
    FieldSpec,
    StatementTypeSpec,
)
from domain.values import TrackKind, TrackStatus
from services.api.dates import Moment, PastMoment

Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
Slug = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Topic = Annotated[str, Field(min_length=1, max_length=100)]


# URLs that surely split into an http(s) scheme and a host: no spaces, controls, brackets
# or backslashes, which urlsplit treats specially. Anything else is left to urlsplit, which
# cost a tenth of a batch write's CPU when it judged every source URL.
_PLAIN_HTTP_URL = re.compile(r"(?i:https?)://[^/?#\s\[\]\\]+(?:[/?#][^\s\\]*)?")


def _http_url(value: str) -> str:
    if _PLAIN_HTTP_URL.fullmatch(value):
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http(s) URL")
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any, info: ValidationInfo) -> Any:
        # PostgreSQL text cannot hold NUL, and no name or summary needs one: refuse it here
        # rather than record something the read model could never store. (Each nested model
        # walks its part again: a caller that knows there is none says so, see NUL_FREE.)
        if not (info.context and info.context.get(_NUL_FREE)) and _has_nul(data):
            raise ValueError("text may not contain NUL characters")
        return data


_NUL_FREE = "nul_free"


def nul_free_context(raw_json: bytes) -> dict[str, bool]:
    """Validation context for a model validated from `raw_json`: JSON can carry a NUL only
    as the escape \\u0000 (a raw NUL byte is not JSON), so without one the walks are moot."""
    return {_NUL_FREE: b"\\u0000" not in raw_json}


class Source(Strict):
    url: Annotated[str, Field(max_length=2000), AfterValidator(_http_url)] | None = None
    publisher: Annotated[str, Field(max_length=300)] | None = None
    title: Annotated[str, Field(max_length=500)] | None = None


class StatementBase(Strict):
    party: Name
    occurred_at: PastMoment
    summary: Annotated[str, Field(min_length=1, max_length=2000)]
    quote: Annotated[str, Field(max_length=10000)] | None = None
    addressee: Name | None = None
    source: Source | None = None
    topics: Annotated[list[Topic], Field(max_length=20)] = []
    cameo_code: Annotated[str, Field(pattern=r"^\d{2,4}$")] | None = None


# The OpenAPI names the request models were released under; any other type is named by its
# type in CamelCase (`sanction_warning` -> `SanctionWarning`).
_RELEASED_MODEL_NAMES = {"warning": "Warning_", "statement": "PlainStatement"}


def _model_name(statement_type: str) -> str:
    default = "".join(part.capitalize() for part in statement_type.split("_"))
    return _RELEASED_MODEL_NAMES.get(statement_type, default)


def _text(max_length: int | None) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length)]


def _annotation(spec: FieldSpec) -> Any:
    """The pydantic type of an extra field, as API.md describes its kind."""
    match spec.kind:
        case "text":
            return _text(spec.max_length)
        case "bool":
            return bool
        case "ref":
            return UUID
        case "enum":
            return Literal[spec.values]
        case "moment":
            return Moment  # may lie in the future, unlike `occurred_at`
        case "text_list":
            items = GenericAlias(list, (_text(spec.item_max_length),))  # list[that text]
            return Annotated[items, Field(max_length=spec.max_length)]
    raise AssertionError(f"no request type for field kind {spec.kind!r}")


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    annotation = _annotation(spec)
    if spec.required:
        return annotation, ...
    if spec.default is None:
        return annotation | None, None
    return annotation, spec.default


def _request_model(spec: StatementTypeSpec) -> type[StatementBase]:
    fields: dict[str, Any] = {"type": (Literal[spec.name], ...)}
    fields.update({f.name: _field(f) for f in spec.fields})
    return create_model(
        _model_name(spec.name), __base__=StatementBase, __module__=__name__, **fields
    )


# One strict request model per statement type, made from its entry in the registry.
STATEMENT_MODELS: dict[str, type[BaseModel]] = {
    name: _request_model(spec) for name, spec in STATEMENT_TYPE_SPECS.items()
}

if TYPE_CHECKING:
    StatementIn = StatementBase
else:
    StatementIn = Annotated[
        Union[tuple(STATEMENT_MODELS.values())],  # noqa: UP007 - a Union of a runtime tuple
        Field(discriminator="type"),
    ]


def statement_fields(statement: BaseModel) -> dict[str, Any]:
    """The JSON-native field dict the aggregate records."""
    return statement.model_dump(mode="json", exclude_none=True)


class StatementBatch(Strict):
    statements: Annotated[list[StatementIn], Field(min_length=1, max_length=500)]


class TrackCreate(Strict):
    kind: TrackKind
    title: Annotated[str, Field(min_length=1, max_length=300)]
    slug: Slug | None = None
    venue: Name | None = None
    parties: Annotated[list[Name], Field(min_length=1, max_length=50)]
    opened_at: PastMoment | None = None


class PartyCreate(Strict):
    name: Name


class StatusChange(Strict):
    status: TrackStatus
    reason: Reason | None = None
    occurred_at: PastMoment | None = None


class Changes(Strict):
    summary: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    quote: Annotated[str, Field(max_length=10000)] | None = None
    occurred_at: PastMoment | None = None
    source: Source | None = None
    topics: Annotated[list[Topic], Field(max_length=20)] | None = None

    @model_validator(mode="after")
    def _something_changes(self) -> Changes:
        if not self.model_fields_set:
            raise ValueError("changes must name at least one field")
        for required in ("summary", "occurred_at", "topics"):
            if required in self.model_fields_set and getattr(self, required) is None:
                raise ValueError(f"{required} cannot be removed, only corrected")
        return self

    def as_fields(self) -> dict[str, Any]:
        # Unset fields stay as they were; an explicit null removes quote or source.
        return self.model_dump(mode="json", exclude_unset=True)


class CorrectionCreate(Strict):
    changes: Changes
    reason: Reason


class RetractionCreate(Strict):
    reason: Reason
