"""Request bodies, strict: unknown fields, wrong types and out-of-range values are 422."""

from __future__ import annotations

from types import GenericAlias
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from domain.statement_types import (
    STATEMENT_TYPE_SPECS,
    Attribution,
    FieldSpec,
    SourceRole,
    StatementTypeSpec,
)
from domain.values import TrackKind, TrackStatus
from services.api.dates import Instant, Moment, PastMoment
from services.api.fields import (
    HttpUrl,
    Name,
    Reason,
    Slug,
    Summary,
    Title,
    Topic,
    one_of_present,
    present,
)
from services.api.text import visible_text


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
    url: HttpUrl | None = None
    publisher: Annotated[str, Field(max_length=300)] | None = None
    title: Annotated[str, Field(max_length=500)] | None = None


class SourceItem(Source):
    """One of a statement's `sources` (v1.1): it must say where, or who, or what."""

    model_config = ConfigDict(json_schema_extra=one_of_present("url", "publisher", "title"))

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


def never_both_sources(schema: dict[str, Any]) -> None:
    """JSON Schema of `_not_both_sources`: not `source` (naming something) with `sources`."""
    named = {"allOf": [{"not": {"type": "null"}}, one_of_present("url", "publisher", "title")]}
    both: dict[str, Any] = {"required": ["source", "sources"]}
    both["properties"] = {"source": named, "sources": {"not": {"type": "null"}}}
    schema.setdefault("allOf", []).append({"not": both})


class StatementFields(Strict):
    """The optional fields every statement may have, also what a correction may change."""

    model_config = ConfigDict(json_schema_extra=never_both_sources)

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
    summary: Summary
    topics: Annotated[list[Topic], Field(max_length=20)] = []


# The OpenAPI names the request models were released under; any other type is named by its
# type in CamelCase (`sanction_warning` -> `SanctionWarning`).
_RELEASED_MODEL_NAMES = {"warning": "Warning_", "statement": "PlainStatement"}


def _model_name(statement_type: str) -> str:
    default = "".join(part.capitalize() for part in statement_type.split("_"))
    return _RELEASED_MODEL_NAMES.get(statement_type, default)


def field_annotation(spec: FieldSpec) -> Any:
    """The pydantic type of an extra field, as API.md describes its kind."""
    match spec.kind:
        case "text":
            return visible_text(spec.max_length)
        case "bool":
            return StrictBool  # JSON true or false only: not "yes", 1 or "true"
        case "ref":
            return UUID
        case "enum":
            return Literal[spec.values]
        case "moment":
            return Moment  # may lie in the future, unlike `occurred_at`
        case "instant":
            return Instant
        case "text_list":
            items = GenericAlias(list, (visible_text(spec.item_max_length),))  # list[that text]
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


def _one_stance(schema: dict[str, Any]) -> None:
    """JSON Schema of `_Stance`'s validators: `position` or `stance`, not both."""
    never_both_sources(schema)
    schema["allOf"].extend(
        [one_of_present("position", "stance"), {"not": present("position", "stance")}]
    )


class _Stance(StatementBase):
    """A statement with a stance: `position` (v1) or `stance` (v1.1), one of them."""

    model_config = ConfigDict(json_schema_extra=_one_stance)

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
    title: Title
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
