"""End-to-end fixtures: the real FastAPI app over HTTP (TestClient), on SQLite and PostgreSQL.

Every test body runs once per store through the `database_url` fixture of tests/conftest.py.
The app is entered as a context manager, so its lifespan builds the store and starts the
embedded projector, exactly as `ntrack serve` does. Reads of projections pass
`min_position` = the position of the latest write the test made, so they never race the
projector and nothing in this suite sleeps.

`client` is an `Api`: a TestClient plus the recorder's token and helpers to open tracks,
record statements and read projections. `start_app` starts further app instances on the
same store (another configuration, or a restart).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from infra.settings import Settings
from services.api.app import create_app

TOKENS = (
    "rita:recorder:rec-secret,audrey:auditor:aud-secret,ada:admin:adm-secret,rob:reader:read-secret"
)
RECORDER = {"Authorization": "Bearer rec-secret"}
AUDITOR = {"Authorization": "Bearer aud-secret"}
ADMIN = {"Authorization": "Bearer adm-secret"}
READER = {"Authorization": "Bearer read-secret"}
ANONYMOUS: dict[str, str] = {}

RUSSIA, USA, NATO = "Russia", "United States", "NATO"
PARTIES = [RUSSIA, USA, NATO]
PROBLEM_JSON = "application/problem+json"

# The least each statement type needs besides the common fields (references are added by tests).
EXTRAS: dict[str, dict[str, Any]] = {
    "demand": {},
    "proposal": {},
    "response": {"position": "noncommittal"},
    "concession": {},
    "sanction_warning": {"target": RUSSIA},
    "warning": {"category": "military"},
    "meeting_scheduled": {"meeting_at": "2022-01-10", "location": "Geneva"},
    "meeting_held": {},
    "agreement": {},
    "withdrawal": {},
    "statement": {},
}


def statement(
    type_: str,
    party: str = RUSSIA,
    *,
    occurred_at: str = "2022-01-10",
    summary: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A well-formed request body for one statement (API.md's common fields + extras)."""
    body: dict[str, Any] = {
        "type": type_,
        "party": party,
        "occurred_at": occurred_at,
        "summary": f"{party}: a {type_.replace('_', ' ')}" if summary is None else summary,
        **EXTRAS[type_],
    }
    body.update(fields)
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status`; returns its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    for key in ("type", "title", "status", "detail"):
        assert key in body, f"problem body lacks {key!r}: {body}"
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str)
    if status == 422:
        assert isinstance(body.get("errors"), list) and body["errors"], (
            f"a 422 problem needs a non-empty `errors` list: {body}"
        )
    return body


def etag_version(response: httpx.Response) -> int:
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"'), etag
    return int(etag.strip('"'))


def is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


class Api:
    """One running app instance, spoken to over HTTP."""

    def __init__(self, http: TestClient, settings: Settings) -> None:
        self.http = http
        self.settings = settings
        self.position = 0  # the highest write position seen: what reads wait for

    def stop(self) -> None:
        """Shut this instance down now (lifespan shutdown: projector stopped, store closed);
        the store stays, so another `start_app()` is a restart."""
        self.http.__exit__(None, None, None)

    # -- raw requests ------------------------------------------------------------------------

    def post(
        self,
        path: str,
        json: Any = None,
        *,
        headers: dict[str, str] | None = None,
        auth: dict[str, str] = RECORDER,
        expect: int | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        response = self.http.post(path, json=json, headers={**auth, **(headers or {})}, **kwargs)
        self._note_position(response)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        auth: dict[str, str] = ANONYMOUS,
        min_position: int | None = None,
        expect: int | None = None,
    ) -> httpx.Response:
        """A read that waits for the latest write this test made (or `min_position`)."""
        query = {
            "min_position": self.position if min_position is None else min_position,
            **(params or {}),
        }
        response = self.http.get(path, params=query, headers={**auth, **(headers or {})})
        if expect is not None:
            assert response.status_code == expect, response.text
        return response

    def _note_position(self, response: httpx.Response) -> None:
        if response.status_code >= 300 or not response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return
        body = response.json()
        position = body.get("position") if isinstance(body, dict) else None
        if not isinstance(position, int):
            # A write answer without a commit position (e.g. a response statement's own
            # `position` field): wait for the store's head instead.
            position = self.http.get("/readyz").json().get("position", 0)
        self.position = max(self.position, position)

    # -- writes --------------------------------------------------------------------------------

    def open_track(
        self,
        slug: str = "ssd",
        *,
        parties: list[str] | None = None,
        kind: str = "bilateral",
        title: str | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        body = {
            "kind": kind,
            "title": title or f"Track {slug}",
            "slug": slug,
            "parties": list(PARTIES if parties is None else parties),
            **fields,
        }
        return self.post("/v1/tracks", body, expect=201).json()

    def record(
        self,
        track: str,
        type_: str,
        party: str = RUSSIA,
        *,
        headers: dict[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """Record one statement (see `statement`); asserts 201 and returns the answer."""
        return self.record_body(track, statement(type_, party, **fields), headers=headers)

    def record_body(
        self, track: str, body: dict[str, Any], *, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self.post(f"/v1/tracks/{track}/statements", body, headers=headers, expect=201).json()

    def batch(self, track: str, bodies: list[dict[str, Any]]) -> dict[str, Any]:
        return self.post(
            f"/v1/tracks/{track}/statements:batch", {"statements": bodies}, expect=201
        ).json()

    def correct(
        self,
        track: str,
        statement_id: str,
        changes: dict[str, Any],
        reason: str = "misquoted",
        expect: int | None = 201,
    ) -> httpx.Response:
        return self.post(
            f"/v1/tracks/{track}/statements/{statement_id}/corrections",
            {"changes": changes, "reason": reason},
            expect=expect,
        )

    def retract(
        self, track: str, statement_id: str, reason: str = "wrong track", expect: int | None = 200
    ) -> httpx.Response:
        return self.post(
            f"/v1/tracks/{track}/statements/{statement_id}/retraction",
            {"reason": reason},
            expect=expect,
        )

    def set_status(
        self, track: str, status: str, expect: int | None = 200, **fields: Any
    ) -> httpx.Response:
        return self.post(f"/v1/tracks/{track}/status", {"status": status, **fields}, expect=expect)

    # -- reads of projections -------------------------------------------------------------------

    def track(self, track: str) -> dict[str, Any]:
        return self.get(f"/v1/tracks/{track}", expect=200).json()

    def statement(self, track: str, statement_id: str) -> dict[str, Any]:
        return self.get(f"/v1/tracks/{track}/statements/{statement_id}", expect=200).json()

    def timeline(self, track: str, **params: Any) -> dict[str, Any]:
        return self.get(f"/v1/tracks/{track}/statements", params, expect=200).json()

    def timeline_ids(self, track: str, **params: Any) -> list[str]:
        return [item["id"] for item in self.timeline(track, **params)["items"]]

    def demands(self, track: str, status: str | None = None) -> list[dict[str, Any]]:
        params = {"status": status} if status else {}
        return self.get(f"/v1/tracks/{track}/demands", params, expect=200).json()["items"]

    def status_of(self, track: str, statement_id: str) -> str:
        return self.statement(track, statement_id)["status"]


StartApp = Callable[..., Api]


@pytest.fixture
def start_app(
    database_url: str, _clean_environment: None, _quick_listener_stop: None
) -> Iterator[StartApp]:
    """Start an app instance on this test's store; every instance is stopped at teardown.

    `start_app(**settings)` overrides Settings fields (tokens, public reads and the embedded
    projector are set as the suite needs unless given); `start_app(settings=...)` uses
    exactly those Settings. Two instances in a row on the same store = a restart.
    """
    with ExitStack() as stack:

        def start(settings: Settings | None = None, **overrides: Any) -> Api:
            if settings is None:
                fields: dict[str, Any] = {
                    "database_url": database_url,
                    "api_tokens": TOKENS,
                    "embedded_projector": True,
                    "public_reads": True,
                }
                fields.update(overrides)
                settings = Settings(**fields)
            # Black-box: a server error is a 500 answer to assert on, not an exception here.
            http = stack.enter_context(
                TestClient(create_app(settings), raise_server_exceptions=False)
            )
            return Api(http, settings)

        yield start


@pytest.fixture
def client(start_app: StartApp) -> Api:
    """The app on this test's store, spoken to with the recorder's token by default."""
    return start_app()


@pytest.fixture
def store_kind(database_url: str) -> str:
    return "postgres" if database_url.startswith(("postgresql://", "postgres://")) else "sqlite"


def xfail_on(request: pytest.FixtureRequest, store_kind: str, kind: str, reason: str) -> None:
    """Mark this test run as a strict expected failure on one store only."""
    if store_kind == kind:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))


@pytest.fixture
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read NTRACK_*: a developer's environment must not change what tests see."""
    for name in list(os.environ):
        if name.startswith("NTRACK_") and name != "NTRACK_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def _quick_listener_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shutting an app down on PostgreSQL waits up to 1 s for its LISTEN thread, which polls
    `conn.notifies(timeout=1.0)`. The thread is a daemon that holds no locks and ends by
    itself within that second, so the suite does not wait for it (this keeps ~90 PostgreSQL
    app shutdowns from adding ~90 s). Everything else in the shutdown runs unchanged."""
    from infra import coordination

    listener = getattr(coordination, "NotifyListener", None)
    original = getattr(listener, "stop", None)
    if listener is None or original is None:
        return

    def stop(self: Any) -> None:
        event = getattr(self, "_stop", None)
        if event is None:
            original(self)
        else:
            event.set()

    monkeypatch.setattr(listener, "stop", stop)
