"""The statement types, each defined once: its event, extra fields, default CAMEO code and
behaviour. Everything else (the event classes, the request models, the scenario loader's
references, `ntrack types`, docs/statement-types.md) is derived from `STATEMENT_TYPE_SPECS`.

Adding a type is one entry in `_SPECS` (see docs/adding-a-statement-type.md). The event
name is stored in every event's topic: never rename one, never reuse one for another type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

# A response's stance towards what it answers (the demand's status follows from it).
Position = Literal["accept", "reject", "partial", "counter", "noncommittal"]
POSITIONS: tuple[str, ...] = get_args(Position)
WarningCategory = Literal["military", "relations", "other"]
WARNING_CATEGORIES: tuple[str, ...] = get_args(WarningCategory)
MeetingFormat = Literal["in_person", "phone", "video", "other"]
MEETING_FORMATS: tuple[str, ...] = get_args(MeetingFormat)
# How a statement reached the record (API.md v1.1): only `direct` and `reported` words of a
# party decide a status or withdraw; `claimed` needs `claimed_by`.
Attribution = Literal["direct", "reported", "claimed", "unconfirmed"]
ATTRIBUTIONS: tuple[str, ...] = get_args(Attribution)
HEARSAY: tuple[str, ...] = ("claimed", "unconfirmed")
SourceRole = Literal["original", "report", "translation", "archive"]
SOURCE_ROLES: tuple[str, ...] = get_args(SourceRole)

FieldKind = Literal["text", "bool", "ref", "enum", "moment", "instant", "text_list"]
FIELD_KINDS: tuple[str, ...] = get_args(FieldKind)
# The parts of a track's current-state document that show statements of a type.
Board = Literal["open_demands", "active_sanction_warnings", "next_meeting"]
BOARDS: tuple[str, ...] = get_args(Board)
# The fields the domain resolves to a statement of the same track (`domain.records`).
REFERENCE_FIELDS = ("responds_to", "withdraws")

NAME_LENGTH = 200  # the longest name of a party, a target or a place
# The fields every statement may have (the request models' shared base; a unit test holds
# the two together): what a correction may touch besides its type's own fields.
COMMON_FIELDS = (
    "party",
    "occurred_at",
    "summary",
    "quote",
    "addressee",
    "source",
    "sources",
    "topics",
    "cameo_code",
    "speaker",
    "reported_by",
    "attribution",
    "claimed_by",
    "also_concerns",
    "with_parties",
)


@dataclass(frozen=True)
class FieldSpec:
    """An extra field of a statement type.

    `kind`: `text` (a non-empty string of at most `max_length`), `bool`, `ref` (the id of a
    statement on the same track), `enum` (one of `values`), `moment` (a year, a month, a
    date or a date-time with an offset; may lie in the future), `instant` (a date-time with
    an offset) or `text_list` (at most `max_length` non-empty
    strings of at most `item_max_length`). An optional field's default follows its kind:
    false for a bool, [] for a list, absent otherwise."""

    name: str
    kind: FieldKind
    required: bool = False
    values: tuple[str, ...] = ()
    max_length: int | None = None
    item_max_length: int | None = None
    note: str = ""

    def __post_init__(self) -> None:
        # Caught when the module is imported, so a malformed entry never reaches a request.
        if self.kind not in FIELD_KINDS:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        if (self.kind == "enum") != bool(self.values):
            raise ValueError(f"{self.name}: values belong to, and are needed by, enums only")
        if self.kind in ("text", "text_list") and self.max_length is None:
            raise ValueError(f"{self.name}: a {self.kind} field needs max_length")
        if (self.kind == "text_list") != (self.item_max_length is not None):
            raise ValueError(f"{self.name}: item_max_length belongs to text lists only")
        if self.kind == "ref" and self.name not in REFERENCE_FIELDS:
            raise ValueError(f"{self.name}: the domain resolves only {REFERENCE_FIELDS}")

    @property
    def default(self) -> bool | list[str] | None:
        """What an optional field holds when not given (None: absent from the record)."""
        if self.required:
            raise AttributeError(f"{self.name} is required: it has no default")
        if self.kind == "bool":
            return False
        if self.kind == "text_list":
            return []
        return None


@dataclass(frozen=True)
class CameoByField:
    """A default CAMEO code chosen by the value of one enum field, `otherwise` for the rest."""

    field: str
    codes: Mapping[str, str]
    otherwise: str

    def code_for(self, value: object) -> str:
        return self.codes.get(value, self.otherwise) if isinstance(value, str) else self.otherwise


@dataclass(frozen=True)
class StatementTypeSpec:
    """One statement type. `event` is its event class in `domain.events` (past tense).

    Behaviour: `withdrawable` (a withdrawal by its author may name it), `has_status`
    (open/accepted/... from the responses to it, API.md's demand status), `board` (the part
    of the current-state document its statements feed). Which other statements it names is
    given by its `ref` fields (`references`)."""

    name: str
    event: str
    description: str
    cameo: str | CameoByField
    fields: tuple[FieldSpec, ...] = ()
    withdrawable: bool = False
    has_status: bool = False
    board: Board | None = None
    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", tuple(f.name for f in self.fields))
        if len(set(self.field_names)) != len(self.fields):
            raise ValueError(f"{self.name}: a field is defined twice")
        if isinstance(self.cameo, CameoByField):
            chooser = self.field_spec(self.cameo.field)
            if chooser.kind != "enum" or not set(self.cameo.codes) <= set(chooser.values):
                raise ValueError(f"{self.name}: CAMEO codes must follow values of an enum field")

    def field_spec(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def references(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.kind == "ref")

    def default_cameo(self, fields: Mapping[str, object]) -> str:
        if isinstance(self.cameo, CameoByField):
            return self.cameo.code_for(fields.get(self.cameo.field))
        return self.cameo


def _name(name: str, *, required: bool = False) -> FieldSpec:
    return FieldSpec(name, "text", required=required, max_length=NAME_LENGTH)


CONDITION_LENGTH = 2000
# The v1.1 fields some types share (API.md, "More fields on a statement").
_CONDITION = FieldSpec(
    "condition", "text", max_length=CONDITION_LENGTH, note="what it depends on: 'if ...'"
)
_ANSWERS = FieldSpec("responds_to", "ref")
_FORMAT = FieldSpec("format", "enum", values=MEETING_FORMATS, note="absent: in_person")


_SPECS = (
    StatementTypeSpec(
        "demand",
        "DemandMade",
        "a party asks for something",
        "100",
        (FieldSpec("red_line", "bool", note="the party calls it non-negotiable"),),
        withdrawable=True,
        has_status=True,
        board="open_demands",
    ),
    StatementTypeSpec(
        "proposal",
        "ProposalTabled",
        "a party puts an offer on the table",
        "030",
        (_ANSWERS, _CONDITION),
        withdrawable=True,
        has_status=True,
    ),
    StatementTypeSpec(
        "response",
        "ResponseGiven",
        "an answer to another statement; decides a demand's or proposal's status",
        CameoByField("position", {"accept": "080", "reject": "120"}, otherwise="040"),
        (
            FieldSpec("responds_to", "ref", required=True),
            FieldSpec(
                "position",
                "enum",
                required=True,
                values=POSITIONS,
                note="or sent as `stance`, not both; answers show both",
            ),
        ),
    ),
    StatementTypeSpec(
        "concession",
        "ConcessionMade",
        "a party gives ground, possibly in answer to a statement",
        "080",
        (_ANSWERS, _CONDITION),
    ),
    StatementTypeSpec(
        "sanction_warning",
        "SanctionWarningIssued",
        "a party threatens sanctions against a target",
        "1312",
        (
            _name("target", required=True),
            FieldSpec("measures", "text_list", max_length=50, item_max_length=300),
            _ANSWERS,
            _CONDITION,
        ),
        withdrawable=True,
        board="active_sanction_warnings",
    ),
    StatementTypeSpec(
        "warning",
        "WarningIssued",
        "a warning other than of sanctions",
        CameoByField(
            "category", {"military": "138", "relations": "1313", "other": "130"}, otherwise="130"
        ),
        (
            FieldSpec("category", "enum", required=True, values=WARNING_CATEGORIES),
            _ANSWERS,
            _CONDITION,
        ),
        withdrawable=True,
    ),
    StatementTypeSpec(
        "meeting_scheduled",
        "MeetingScheduled",
        "a meeting is announced",
        CameoByField("format", {"phone": "041"}, otherwise="036"),
        (
            FieldSpec("meeting_at", "moment", required=True, note="may lie in the future"),
            _name("location", required=True),
            _FORMAT,
        ),
        board="next_meeting",
    ),
    StatementTypeSpec(
        "meeting_held",
        "MeetingHeld",
        "a meeting took place",
        CameoByField("format", {"phone": "041"}, otherwise="046"),
        (
            _name("location"),
            _FORMAT,
            FieldSpec("ended_at", "instant", note="not before occurred_at"),
        ),
        board="next_meeting",
    ),
    StatementTypeSpec(
        "agreement", "AgreementReached", "the parties agree on something", "057", (_CONDITION,)
    ),
    StatementTypeSpec(
        "withdrawal",
        "Withdrawn",
        "a party withdraws its own earlier statement",
        "0832",
        (FieldSpec("withdraws", "ref", required=True),),
    ),
    StatementTypeSpec(
        "statement", "StatementMade", "anything else said on the record", "010", (_ANSWERS,)
    ),
)

STATEMENT_TYPE_SPECS: Mapping[str, StatementTypeSpec] = MappingProxyType(
    {spec.name: spec for spec in _SPECS}
)


def _check_registry() -> None:
    events = [spec.event for spec in _SPECS]
    if len(STATEMENT_TYPE_SPECS) != len(_SPECS) or len(set(events)) != len(events):
        raise ValueError("statement type and event names must each be unique")


_check_registry()
