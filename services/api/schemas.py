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
    field_validator,
    model_validator,
)

from domain.statement_types import (
    NAME_LENGTH,
    STATEMENT_TYPE_SPECS,
    Attribution,
    FieldSpec,
    SourceRole,
    StatementTypeSpec,
)
from domain.values import TrackKind, TrackStatus
from services.api.dates import Instant, Moment, PastMoment

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


class SourceItem(Source):
    """One of a statement's `sources` (v1.1): it must say where, or who, or what."""

    published_at: Moment | None = None
    role: SourceRole | None = None

    @model_validator(mode="after")
    def _names_something(self) -> SourceItem:
        if self.url is None and self.publisher is None and self.title is None:
            raise ValueError("a source needs at least one of url, publisher and title")
        return self


class Person(Strict):
    name: Name
    role: Name | None = None


def _one_source(source: Source | None) -> Source | None:
    # `source: {}` (some v1 clients send it) means no source at all.
    if source is None or (source.url is None and source.publisher is None and source.title is None):
        return None
    return source


TrackRef = Annotated[str, Field(min_length=1, max_length=100, description="a track id or slug")]


class StatementFields(Strict):
    """The optional fields every statement may have, also what a correction may change."""

    quote: Annotated[str, Field(max_length=10000)] | None = None
    addressee: Name | None = None
    source: Annotated[Source | None, AfterValidator(_one_source)] = Field(
        None, description="v1: one source; becomes the first of `sources`"
    )
    sources: Annotated[list[SourceItem], Field(max_length=10)] | None = None
    cameo_code: Annotated[str, Field(pattern=r"^\d{2,4}$")] | None = None
    speaker: Person | None = Field(None, description="who said or did it for `party`")
    reported_by: Person | None = Field(None, description="who relayed it")
    attribution: Attribution | None = Field(None, description="absent: direct")
    claimed_by: Name | None = Field(
        None, description="the party that asserts it (attribution claimed)"
    )
    also_concerns: Annotated[list[TrackRef], Field(max_length=10)] | None = Field(
        None, description="other tracks it bears on, by id or slug; answered as ids"
    )
    with_parties: Annotated[list[Name], Field(max_length=50)] | None = Field(
        None, description="other parties of the track acting jointly with `party`"
    )

    @field_validator("sources")
    @classmethod
    def _not_both_sources(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("source") is not None:
            raise ValueError("send either source (v1) or sources, not both")
        return value


class StatementBase(StatementFields):
    party: Name
    occurred_at: PastMoment
    summary: Annotated[str, Field(min_length=1, max_length=2000)]
    topics: Annotated[list[Topic], Field(max_length=20)] = []


# The OpenAPI names the request models were released under; any other type is named by its
# type in CamelCase (`sanction_warning` -> `SanctionWarning`).
_RELEASED_MODEL_NAMES = {"warning": "Warning_", "statement": "PlainStatement"}


def _model_name(statement_type: str) -> str:
    default = "".join(part.capitalize() for part in statement_type.split("_"))
    return _RELEASED_MODEL_NAMES.get(statement_type, default)


def _text(max_length: int | None) -> Any:
    return Annotated[str, Field(min_length=1, max_length=max_length)]


def field_annotation(spec: FieldSpec) -> Any:
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
        case "instant":
            return Instant
        case "text_list":
            items = GenericAlias(list, (_text(spec.item_max_length),))  # list[that text]
            return Annotated[items, Field(max_length=spec.max_length)]
    raise AssertionError(f"no request type for field kind {spec.kind!r}")


def _field(spec: FieldSpec) -> tuple[Any, Any]:
    annotation = field_annotation(spec)
    if spec.required:
        return annotation, ...
    if spec.default is None:
        return annotation | None, None
    return annotation, spec.default


def _request_model(spec: StatementTypeSpec) -> type[StatementBase]:
    fields: dict[str, Any] = {"type": (Literal[spec.name], ...)}
    fields.update({f.name: _field(f) for f in spec.fields})
    base: type[StatementBase] = StatementBase
    if "position" in spec.field_names:
        # v1.1: the stance may be sent as `stance` too (stored as `position`, as in v1).
        base = _Stance
        fields["position"] = (fields["position"][0] | None, None)
        fields["stance"] = (fields["position"][0], Field(None, description="as `position`"))
    return create_model(_model_name(spec.name), __base__=base, __module__=__name__, **fields)


class _Stance(StatementBase):
    """A statement with a stance: `position` (v1) or `stance` (v1.1), one of them."""

    @field_validator("stance", check_fields=False)
    @classmethod
    def _not_both_stances(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("position") is not None:
            raise ValueError("send either position or stance, not both")
        return value

    @model_validator(mode="after")
    def _one_stance(self) -> _Stance:
        extra = self.__dict__
        if extra.get("position") is None:
            if extra.get("stance") is None:
                raise ValueError("a response needs its stance: `stance` (or `position`)")
            extra["position"] = extra["stance"]
        extra["stance"] = None  # stored once, as `position`
        return self


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
