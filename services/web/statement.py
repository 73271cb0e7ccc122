"""The statement page's content: the statement as `GET /v1/tracks/{track}/statements/{id}`
answers it (the read model), its track and the statements it names, and what only the event
store holds: the retraction's reason and the recorded events of the statement (its history).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain import errors
from domain.statement_types import STATEMENT_TYPE_SPECS
from services.application import resolve_track_ref
from services.audit import history, version_at
from services.audit.recorded import head_version
from services.bootstrap import Tracker
from services.checkpoint_reader import load_view
from services.web.pages import Link, statement_href, track_href

# Events recorded in one write share a timestamp; a correction or retraction is looked for
# among this many events at and before the last one recorded at its instant.
_SAME_INSTANT = 8
_SHOWN_APART = frozenset({"condition"})  # shown beside who said it, not among the details
_UNSET: tuple[Any, ...] = (None, [], False)  # an optional field's defaults: not shown


@dataclass(frozen=True)
class StatementPage:
    statement: dict[str, Any]  # the API's view of it
    track: Link
    details: list[tuple[str, Any]]  # its type's own fields (the registry's), as recorded
    references: list[tuple[str, Link]]  # responds_to, withdraws: the statements it names
    responses: list[Link]
    also_concerns: list[Link]
    retraction: dict[str, Any] | None  # recorded_at, recorded_by, reason
    history: list[dict[str, Any]]  # version, type, recorded_at, recorded_by


def statement_page(tracker: Tracker, track_id: UUID, statement_id: str) -> StatementPage:
    """404 (StatementNotFound, TrackNotFound) for a statement the track does not have."""
    read_model = tracker.read_model
    view = read_model.get_statement(str(track_id), statement_id)
    if view is None:
        if not read_model.has_track(str(track_id)):
            raise errors.TrackNotFound(f"no track {track_id}")
        raise errors.StatementNotFound(f"no statement {statement_id} on this track")
    track = _track_link(tracker, str(track_id))
    slug = track.href.rpartition("/")[2]
    retraction = _retraction(tracker, track_id, statement_id) if view["retracted"] else None
    spec = STATEMENT_TYPE_SPECS[view["type"]]
    return StatementPage(
        statement=view,
        track=track,
        details=[
            (f.name, view[f.name])
            for f in spec.fields
            if f.kind != "ref" and f.name not in _SHOWN_APART and view.get(f.name) not in _UNSET
        ],
        references=[
            (f.name, _statement_link(tracker, track_id, slug, view[f.name]))
            for f in spec.fields
            if f.kind == "ref" and view.get(f.name) is not None
        ],
        responses=[
            Link(statement_href(slug, r["id"]), r["summary"]) for r in view.get("responses") or ()
        ],
        also_concerns=[_track_link(tracker, ref) for ref in view.get("also_concerns") or ()],
        retraction=retraction,
        history=_history(tracker, track_id, view, retraction),
    )


def _track_link(tracker: Tracker, ref: str) -> Link:
    try:
        track = tracker.read_model.get_track(str(resolve_track_ref(ref)))
    except errors.TrackerError:  # a reference the read model cannot resolve: shown as given
        track = None
    if track is None:
        return Link(track_href(ref), ref)
    return Link(track_href(track["slug"]), track["title"])


def _statement_link(tracker: Tracker, track_id: UUID, slug: str, statement_id: str) -> Link:
    other = tracker.read_model.get_statement(str(track_id), statement_id)
    label = other["summary"] if other else statement_id
    return Link(statement_href(slug, statement_id), label)


def _retraction(tracker: Tracker, track_id: UUID, statement_id: str) -> dict[str, Any] | None:
    """Who retracted it, when and why: kept by the track's view (the read model's statement
    says only `retracted`); the view at the head costs the events since its last checkpoint."""
    view = load_view(tracker.app, track_id, head_version(tracker.app, track_id))
    record = view.statements.get(statement_id)
    return dict(record.retraction) if record is not None and record.retraction else None


def _history(
    tracker: Tracker,
    track_id: UUID,
    view: dict[str, Any],
    retraction: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    """The statement's events as recorded: the one that recorded it (its `version`), then each
    correction and the retraction, found by their recorded instant (a binary search over the
    stream, services.audit.version_at), so a long track is not read whole."""
    app = tracker.app
    (first,) = history(app, track_id, after_version=view["version"] - 1, limit=1)["items"]
    events = [first]
    later = [c["recorded_at"] for c in view["corrections"]]
    if retraction is not None:
        later.append(retraction["recorded_at"])
    for instant in dict.fromkeys(later):
        last = version_at(app, track_id, instant)
        after = max(0, last - _SAME_INSTANT)
        items = history(app, track_id, after_version=after, limit=last - after)["items"]
        events += [
            item
            for item in items
            if item["recorded_at"] == instant
            and (item["data"] or {}).get("statement_id") == view["id"]
        ]
    return [
        {k: event[k] for k in ("version", "type", "recorded_at", "recorded_by")} for event in events
    ]
