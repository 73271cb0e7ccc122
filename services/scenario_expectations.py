"""A scenario file's `expected` block, compared with what the service shows once it is loaded.

The block holds, per track slug, what the analyst expects the track to show once the file is
loaded into an empty store: `statement_count`, `open_demands` and `active_sanction_warnings`
(refs in board order), `demand_status` / `proposal_status` / `claimed_status` (ref -> status,
null for none), `responses` (ref -> the refs of the statements answering it, in order) and
`next_meeting` (null, or the ref, `meeting_at` and `location` of the meeting); and under
`statements`, fields the service derives for single statements (CAMEO defaults, precisions,
statuses).

`differences` is the one comparison: `ntrack load --check` reads the state from the read
model (`ReadModelState`), the end-to-end tests read it over HTTP; both answer the same
documents, so both ask the same questions of them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from domain import errors
from domain.values import instant_of, track_id_for
from services.ports import RebuildableReadModel
from services.projections.projector import PROJECTION


class TrackState(Protocol):
    """The reads the comparison needs, as `GET /v1/tracks/{track}`, `…/demands` and
    `…/statements/{id}` answer them."""

    def track(self, track: str) -> dict[str, Any]: ...

    def demands(self, track: str, status: str | None = None) -> list[dict[str, Any]]: ...

    def statement(self, track: str, statement_id: str) -> dict[str, Any]: ...


class ReadModelState:
    """The same reads, from the read model the routes answer from."""

    def __init__(self, read_model: RebuildableReadModel) -> None:
        self.read_model = read_model

    def track(self, track: str) -> dict[str, Any]:
        document, _ = self.read_model.track_document(str(track_id_for(track)), PROJECTION)
        if document is None:
            raise errors.TrackNotFound(f"no track {track!r} in the store")
        state: dict[str, Any] = json.loads(document)
        return state

    def demands(self, track: str, status: str | None = None) -> list[dict[str, Any]]:
        return self.read_model.demands(str(track_id_for(track)), (status,) if status else ())

    def statement(self, track: str, statement_id: str) -> dict[str, Any]:
        view = self.read_model.get_statement(str(track_id_for(track)), statement_id)
        if view is None:
            raise errors.StatementNotFound(f"no statement {statement_id} on {track!r}")
        return view


def expected_tracks(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    slugs = [track["slug"] for track in data["tracks"]]
    return {slug: data["expected"][slug] for slug in slugs if slug in data["expected"]}


def statements_by_ref(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {raw["ref"]: raw for raw in data["statements"]}


def board_order(loaded: Sequence[dict[str, Any]], refs: list[str]) -> list[str]:
    """`refs` ordered as boards and timelines order them: by occurred_at (start of the
    period, UTC), then recording order; `loaded` are the files in the order they were loaded."""
    place: dict[str, tuple[Any, int, int]] = {}
    for n, data in enumerate(loaded):
        for i, raw in enumerate(data["statements"]):
            place[raw["ref"]] = (instant_of(raw["occurred_at"]), n, i)
    return sorted(refs, key=place.__getitem__)


class _Differences:
    """What differs, one readable line each: where, what the file expects, what was found."""

    def __init__(self, ids: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.ids = ids
        self.refs = {v: k for k, v in ids.items()}

    def named(self, statement_id: str) -> str:
        """A statement by its ref in the file (by its id if the file does not name it)."""
        return self.refs.get(statement_id, statement_id)

    def compare(self, where: str, expected: Any, found: Any) -> None:
        if expected != found:
            self.lines.append(f"{where}: expected {_shown(expected)}, found {_shown(found)}")


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def differences(state: TrackState, data: dict[str, Any], ids: dict[str, str]) -> list[str]:
    """Every way the loaded state differs from the file's `expected` block (none: it holds);
    `ids` are the statement ids the file's refs were recorded as."""
    found = _Differences(ids)
    for slug, expected in expected_tracks(data).items():
        try:
            _track_differences(found, state, data, slug, expected)
        except errors.TrackerError as e:  # from the read model; over HTTP, a failed read
            found.lines.append(f"{slug}: {e}")
    _derived_fields(found, state, data)
    return found.lines


def statuses_and_responses(
    state: TrackState, slug: str, expected: dict[str, Any], ids: dict[str, str]
) -> list[str]:
    """The part of `differences` about one track's statuses and answers (it holds also
    when other files were loaded onto the same tracks)."""
    found = _Differences(ids)
    _statuses_and_responses(found, state, slug, expected)
    return found.lines


def derived_fields(state: TrackState, data: dict[str, Any], ids: dict[str, str]) -> list[str]:
    """The part of `differences` about fields derived for single statements."""
    found = _Differences(ids)
    _derived_fields(found, state, data)
    return found.lines


def _derived_fields(found: _Differences, state: TrackState, data: dict[str, Any]) -> None:
    recorded = statements_by_ref(data)
    for ref, fields in data["expected"].get("statements", {}).items():
        view = state.statement(recorded[ref]["track"], found.ids[ref])
        found.compare(f"statement {ref}", fields, {key: view.get(key) for key in fields})


def _track_differences(
    found: _Differences, state: TrackState, data: dict[str, Any], slug: str, expected: Any
) -> None:
    track = state.track(slug)
    found.compare(f"{slug}: statement_count", expected["statement_count"], track["statement_count"])
    found.compare(
        f"{slug}: statements counted by type",
        expected["statement_count"],
        sum(track["counts_by_type"].values()),
    )
    for board in ("open_demands", "active_sanction_warnings"):
        # The file lists board entries in the boards' own order.
        found.compare(
            f"{slug}: {board} (order in the file)",
            board_order([data], expected[board]),
            expected[board],
        )
        found.compare(
            f"{slug}: {board}", expected[board], [found.named(e["id"]) for e in track[board]]
        )
    open_board = [found.named(d["id"]) for d in state.demands(slug, status="open")]
    found.compare(f"{slug}: open demands on the demand board", expected["open_demands"], open_board)
    _board_entries(found, track, data)
    _next_meeting(found, slug, track["next_meeting"], expected["next_meeting"])
    _statuses_and_responses(found, state, slug, expected)


def _board_entries(found: _Differences, track: dict[str, Any], data: dict[str, Any]) -> None:
    """A sanction warning on a board shows its condition and speaker, a demand its speaker,
    when the statement has them."""
    recorded = statements_by_ref(data)
    boards = {"open_demands": ("speaker",), "active_sanction_warnings": ("condition", "speaker")}
    for board, fields in boards.items():
        for entry in track[board]:
            raw = recorded.get(found.named(entry["id"]), {})
            for field in fields:
                if field in raw:
                    where = f"{track['slug']}: {board}: {raw['ref']}.{field}"
                    found.compare(where, raw[field], entry.get(field))


def _next_meeting(
    found: _Differences, slug: str, answered: dict[str, Any] | None, expected: Any
) -> None:
    if expected is None or answered is None:
        found.compare(f"{slug}: next_meeting", expected, answered)
        return
    shown = {"ref": found.named(answered["id"]), **answered}
    keys = ("ref", "meeting_at", "location")
    found.compare(
        f"{slug}: next_meeting", {k: expected[k] for k in keys}, {k: shown[k] for k in keys}
    )


def _statuses_and_responses(
    found: _Differences, state: TrackState, slug: str, expected: Any
) -> None:
    ids = found.ids
    board = {d["id"]: d for d in state.demands(slug)}
    for key in ("demand_status", "proposal_status"):
        for ref, status in expected.get(key, {}).items():
            found.compare(
                f"{slug}: {ref}.status", status, state.statement(slug, ids[ref])["status"]
            )
            if key == "demand_status":
                shown = board.get(ids[ref], {}).get("status")
                found.compare(f"{slug}: {ref}.status on the demand board", status, shown)
    for ref, status in expected.get("claimed_status", {}).items():
        view = state.statement(slug, ids[ref])
        found.compare(f"{slug}: {ref}.claimed_status", status, view["claimed_status"])
        shown = board.get(ids[ref], {}).get("claimed_status", "(not on the board)")
        found.compare(f"{slug}: {ref}.claimed_status on the demand board", status, shown)
    answers_to = {
        ids[ref]: [ids[a] for a in answers]
        for ref, answers in expected.get("responses", {}).items()
    }
    for statement_id, answers in answers_to.items():
        view = state.statement(slug, statement_id)
        where = f"{slug}: {found.named(statement_id)}.responses"
        found.compare(
            where, _refs(found, answers), _refs(found, [r["id"] for r in view["responses"]])
        )
        # An answer shown inside what it answers (a view, a board) shows its own answers too.
        for shown in (view, board.get(statement_id)):
            for answer in (shown or {}).get("responses", []):
                if answer["id"] in answers_to:
                    nested = [r["id"] for r in answer["responses"]]
                    inner = f"{where} → {found.named(answer['id'])}.responses"
                    found.compare(
                        inner, _refs(found, answers_to[answer["id"]]), _refs(found, nested)
                    )


def _refs(found: _Differences, statement_ids: list[str]) -> list[str]:
    return [found.named(i) for i in statement_ids]
