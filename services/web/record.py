"""The recording form's content: its controls, derived from the statement-type registry
(`domain.statement_types`), and the panel beside it (the track's demand board and its most
recently recorded statements), read through the ReadModel port.

The form validates nothing itself: the API's problem+json answers are the one judge, and
the page's script shows them next to the control whose `loc` they name. A control's `loc`
is where its value goes in the request body (`speaker.name`, `sources.0.url`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from domain import errors
from domain.statement_types import (
    ATTRIBUTIONS,
    COMMON_FIELDS,
    SOURCE_ROLES,
    STATEMENT_TYPE_SPECS,
    FieldSpec,
)
from domain.values import sort_key
from services.ports import ReadModel, TimelineCursor, TimelineFilter

# How a control is drawn and how the script reads its value into the body.
Widget = Literal[
    "text", "textarea", "checkbox", "select", "multiselect", "moment", "instant", "url", "lines"
]
_LONG_TEXT = 300  # a text field allowed more characters than this gets a text area
_PAGE = 500  # the timeline's largest page
RECENT = 10  # statements shown as the most recently recorded

MOMENT_HINT = "a year (2022), a month (2022-01), a day (2022-01-10) or 2022-01-10T09:00+01:00"
INSTANT_HINT = "a date and time with its offset: 2022-01-10T09:00+01:00"


References = tuple[tuple[str, str], ...]  # (statement id, label) of a reference select


@dataclass(frozen=True)
class Control:
    loc: str  # where the value goes in the body: `summary`, `speaker.name`, `sources.0.url`
    label: str
    widget: Widget
    kind: str  # the registry's field kind (`text`, `enum`, ...), or the common field's
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) of a select
    types: tuple[str, ...] = ()  # the statement types that take it; () = every type
    required_for: tuple[str, ...] = ()  # the types on which the API requires it
    max_length: int | None = None
    hint: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.loc.replace(".", "-")


@dataclass(frozen=True)
class Choices:
    """What the track offers the selects: its parties, its statements, the other tracks."""

    parties: tuple[str, ...]
    statements: References  # for `responds_to` and `withdraws`
    tracks: tuple[tuple[str, str], ...]  # (slug, title) of the other tracks


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _pairs(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    return tuple((value, value.replace("_", " ")) for value in values)


def extra_controls(choices: Choices) -> list[Control]:
    """One control per extra field name of the registry, shown for the types that take it
    (a field shared by types, like `responds_to`, is one control; its kind is the same on
    each, which `_check_registry_shapes` makes sure of)."""
    by_name: dict[str, list[tuple[str, FieldSpec]]] = {}
    for type_name, spec in STATEMENT_TYPE_SPECS.items():
        for field in spec.fields:
            by_name.setdefault(field.name, []).append((type_name, field))
    return [_extra(name, taken, choices) for name, taken in by_name.items()]


def _extra(name: str, taken: list[tuple[str, FieldSpec]], choices: Choices) -> Control:
    field = taken[0][1]
    widget: Widget
    picks: tuple[tuple[str, str], ...] = ()
    hint = field.note
    match field.kind:
        case "text":
            long = (field.max_length or 0) > _LONG_TEXT
            widget = "textarea" if long else "text"
        case "bool":
            widget = "checkbox"
        case "ref":
            widget, picks = "select", choices.statements
        case "enum":
            widget, picks = "select", _pairs(field.values)
        case "moment":
            widget, hint = "moment", "; ".join(filter(None, (MOMENT_HINT, field.note)))
        case "instant":
            widget, hint = "instant", "; ".join(filter(None, (INSTANT_HINT, field.note)))
        case "text_list":
            widget, hint = "lines", f"one per line, at most {field.max_length}"
    return Control(
        loc=name,
        label=_label(name),
        widget=widget,
        kind=field.kind,
        choices=picks,
        types=tuple(type_name for type_name, _ in taken),
        required_for=tuple(type_name for type_name, f in taken if f.required),
        max_length=field.max_length if field.kind == "text" else None,
        hint=hint,
    )


_EVERY_TYPE = tuple(STATEMENT_TYPE_SPECS)
# Common fields the form leaves out, and why (every other one of COMMON_FIELDS has controls).
LEFT_OUT = {"source": "v1's single source: the form sends `sources`, which replaces it"}


def _common(loc: str, widget: Widget, kind: str, *picks: tuple[str, str], **more: Any) -> Control:
    return Control(loc, more.pop("label", _label(loc)), widget, kind, picks, **more)


def common_controls(choices: Choices) -> dict[str, tuple[Control, ...]]:
    """The controls of the fields every statement may have (COMMON_FIELDS), by field."""
    parties = _pairs(choices.parties)
    everywhere = {"required_for": _EVERY_TYPE}

    def person(name: str) -> tuple[Control, ...]:
        who = _label(name)
        return (
            _common(f"{name}.name", "text", "person", label=f"{who}: name", hint="a person"),
            _common(f"{name}.role", "text", "person", label=f"{who}: role", hint="their office"),
        )

    def source(part: str, widget: Widget, *picks: tuple[str, str], **more: Any) -> Control:
        label = f"Source: {more.pop('label', part)}"
        return _common(f"sources.0.{part}", widget, "source", *picks, label=label, **more)

    return {
        "party": (_common("party", "select", "party", *parties, **everywhere),),
        "occurred_at": (
            _common("occurred_at", "moment", "moment", hint=f"when: {MOMENT_HINT}", **everywhere),
        ),
        "summary": (_common("summary", "textarea", "text", **everywhere),),
        "quote": (_common("quote", "textarea", "text", hint="the words verbatim"),),
        "speaker": person("speaker"),
        "attribution": (
            _common(
                "attribution", "select", "enum", *_pairs(ATTRIBUTIONS), hint="none chosen: direct"
            ),
        ),
        "claimed_by": (
            _common("claimed_by", "select", "party", *parties, hint="for attribution: claimed"),
        ),
        "reported_by": person("reported_by"),
        "addressee": (_common("addressee", "text", "text"),),
        "with_parties": (
            _common("with_parties", "multiselect", "party", *parties, hint="acting jointly"),
        ),
        "sources": (
            source("url", "url", label="address", hint="an http(s) URL"),
            source("publisher", "text"),
            source("title", "text"),
            source("role", "select", *_pairs(SOURCE_ROLES)),
        ),
        "topics": (_common("topics", "lines", "text_list", hint="one per line"),),
        "also_concerns": (
            _common("also_concerns", "multiselect", "track", *choices.tracks, hint="other tracks"),
        ),
        "cameo_code": (
            _common("cameo_code", "text", "text", label="CAMEO code", hint="2 to 4 digits"),
        ),
    }


@dataclass(frozen=True)
class Form:
    track: dict[str, Any]
    types: tuple[tuple[str, str], ...]  # (name, description) of every statement type
    head: tuple[Control, ...]  # party, occurred_at, summary
    extras: tuple[Control, ...]  # the types' own fields
    who: tuple[Control, ...]  # who said it, and how it reached the record
    more: tuple[Control, ...]  # sources, quote, topics, other tracks, CAMEO code


_HEAD = ("party", "occurred_at", "summary")
_WHO = ("speaker", "attribution", "claimed_by", "reported_by", "addressee", "with_parties")


def form(read_model: ReadModel, track: dict[str, Any], references: References) -> Form:
    """The form for recording on `track` (its state, as `panel` read it)."""
    choices = Choices(
        parties=tuple(track["parties"]),
        statements=references,
        tracks=tuple(
            (t["slug"], t["title"])
            for t in read_model.list_tracks(None, None, None)
            if t["id"] != track["id"]
        ),
    )
    common = common_controls(choices)
    rest = [name for name in COMMON_FIELDS if name in common and name not in _HEAD + _WHO]
    return Form(
        track=track,
        types=tuple((name, spec.description) for name, spec in STATEMENT_TYPE_SPECS.items()),
        head=tuple(c for name in _HEAD for c in common[name]),
        extras=tuple(extra_controls(choices)),
        who=tuple(c for name in _WHO for c in common[name]),
        more=tuple(c for name in rest for c in common[name]),
    )


def statement_label(statement: dict[str, Any]) -> str:
    when, party, kind = statement["occurred_at"][:10], statement["party"], statement["type"]
    return f"{when} · {party} · {kind.replace('_', ' ')}: {statement['summary']}"


@dataclass(frozen=True)
class Panel:
    track: dict[str, Any]  # the track's current state
    demands: list[dict[str, Any]]  # the demand board: every live demand, with its status
    recent: list[dict[str, Any]]  # the most recently recorded statements, newest first
    references: References  # what `responds_to` and `withdraws` may name, by date


def panel(read_model: ReadModel, track_id: str) -> Panel:
    """What the page shows beside the form; after a write, the script fetches it again
    (rendered by the same template), so the board and the reference selects follow."""
    track = read_model.get_track(track_id)
    if track is None:
        raise errors.TrackNotFound(f"no track {track_id}")
    statements = _timeline(read_model, track_id)
    recent = sorted(statements, key=lambda s: s["version"], reverse=True)[:RECENT]
    references = tuple((s["id"], statement_label(s)) for s in statements)
    return Panel(track, demands=read_model.demands(track_id), recent=recent, references=references)


def _timeline(read_model: ReadModel, track_id: str) -> list[dict[str, Any]]:
    """Every live statement of the track itself (what a reference may name), page by page."""
    found: list[dict[str, Any]] = []
    after: TimelineCursor | None = None
    while True:
        query = TimelineFilter(include_related=False, after=after, limit=_PAGE)
        items, more = read_model.timeline(track_id, query)
        found.extend(items)
        if not more or not items:
            return found
        last = items[-1]
        after = TimelineCursor(sort_key(last["occurred_at"]), last["version"])


def _check_layout() -> None:
    # Caught on import: a common field added to the registry must get a control here (or a
    # reason to leave it out), so the form never silently lacks a field the API takes.
    laid_out = set(common_controls(Choices((), (), ())))
    if laid_out | set(LEFT_OUT) != set(COMMON_FIELDS) or laid_out & set(LEFT_OUT):
        raise ValueError(f"the form's common fields {sorted(laid_out)} != {COMMON_FIELDS}")


def _check_registry_shapes() -> None:
    # One control per field name works only if a name means the same kind on every type.
    shapes: dict[str, tuple[str, tuple[str, ...]]] = {}
    for spec in STATEMENT_TYPE_SPECS.values():
        for field in spec.fields:
            shape = (field.kind, field.values)
            if shapes.setdefault(field.name, shape) != shape:
                raise ValueError(f"{field.name} has different kinds across types")


_check_layout()
_check_registry_shapes()
