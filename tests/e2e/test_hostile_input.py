"""Hostile input: a seeded run of random junk against every write endpoint.

No request may cause a 5xx, every refusal is a problem+json, a refused request records
nothing (the track's version only moves with accepted writes), and afterwards the log still
verifies and still projects.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.hashchain import GENESIS_HASH, hash_of_event
from infra.settings import Settings
from services.api.app import create_app
from services.bootstrap import Tracker
from services.projections.projector import Projector
from tests.conftest import replayed_view

SEED = 20220110
REQUESTS = 400
SECRET = "hostile-recorder-secret-0123456789"
AUTH = {"Authorization": f"Bearer {SECRET}"}
PARTIES = ["United States", "Russia"]
MIB = 1024 * 1024

JUNK_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0644\u0627",
    "🙂" * 50,
    "\ud7ff",
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "${jndi:ldap://x}",
    "%s%s%n",
    "../../etc/passwd",
    "\\",
    "null",
    "NaN",
    "-1",
    "9" * 30,
    "2022-13-45",
    "2022-01-10T10:00:00",
    "9999-12-31",
    "2022-01-10T25:61:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
    "\r\nX-Injected: 1",
    "\t\n\v\f",
    "ǅ" * 3,
    "x" * 201,
]


def junk_text(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.5:
        return rng.choice(JUNK_TEXT)
    if choice < 0.7:
        alphabet = string.printable + "äöü€𝄞\x00\x7f\u2028"
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
    if choice < 0.9:
        return rng.choice("ab\x00🙂") * rng.choice([199, 200, 201, 2000, 2001, 10001, 50_000])
    return (
        "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(1, 20)))
        .encode("utf-8", "replace")
        .decode("utf-8", "replace")
    )


def junk_json(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["null", "bool", "int", "float", "text"]
    if depth < 4:
        kinds += ["list", "dict"] * 2
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 1, 2**31, 2**63, -(2**63) - 1, 10**30, rng.randint(-9, 9)])
    if kind == "float":
        return rng.choice([0.5, -0.0, 1e308, -1e-308, 3.14])
    if kind == "text":
        return junk_text(rng)
    if kind == "list":
        return [junk_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    keys = [
        "type",
        "party",
        "summary",
        "occurred_at",
        "statements",
        "changes",
        "reason",
        "status",
        "name",
        "kind",
        "title",
        "parties",
        "topics",
        "source",
        "url",
    ]
    return {
        (rng.choice(keys) if rng.random() < 0.7 else junk_text(rng)): junk_json(rng, depth + 1)
        for _ in range(rng.randint(0, 6))
    }


def statement(rng: random.Random) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": rng.choice(
            ["statement", "demand", "proposal", "warning", "meeting_held", "meeting_scheduled"]
        ),
        "party": rng.choice(PARTIES),
        "occurred_at": rng.choice(["2022-01-10", "2022-01-12T09:00:00+01:00"]),
        "summary": "Security guarantees were discussed.",
    }
    if body["type"] == "warning":
        body["category"] = "military"
    if body["type"] == "meeting_scheduled":
        body.update(meeting_at="2022-01-12", location="Geneva")
    return body


def mutated(rng: random.Random, body: dict[str, Any]) -> dict[str, Any]:
    """A near-valid body with one or two fields spoilt (or nothing, now and then)."""
    body = dict(body)
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        field = rng.choice(
            [
                *body.keys(),
                "topics",
                "source",
                "quote",
                "cameo_code",
                "extra",
                "responds_to",
                "withdraws",
                "red_line",
                "addressee",
            ]
        )
        body[field] = rng.choice(
            [
                junk_json(rng),
                junk_text(rng),
                None,
                {"url": junk_text(rng)},
                [junk_text(rng)] * rng.randint(0, 30),
            ]
        )
    return body


def deep(levels: int, rng: random.Random) -> str:
    opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
    return opener * levels + "1" + closer * levels


class Hostile:
    """Builds one random request against the write endpoints of one seeded track."""

    def __init__(self, rng: random.Random, track_id: str, slug: str, statement_id: str) -> None:
        self.rng = rng
        self.track_id, self.slug, self.statement_id = track_id, slug, statement_id

    def track_ref(self) -> str:
        rng = self.rng
        return rng.choice(
            [
                self.track_id,
                self.slug,
                self.track_id,
                self.slug,
                str(uuid4()),
                "%00",
                "..%2F..",
                "a" * 300,
                "%F0%9F%99%82",
                "UPPER-Case",
                "-",
                "%20",
            ]
        )

    def statement_ref(self) -> str:
        return self.rng.choice(
            [self.statement_id, self.statement_id, str(uuid4()), "not-an-id", "%00", "x" * 500]
        )

    def path_and_body(self) -> tuple[str, Any]:
        rng = self.rng
        endpoint = rng.choice(
            [
                "tracks",
                "statement",
                "statement",
                "batch",
                "party",
                "status",
                "correction",
                "retraction",
            ]
        )
        t = self.track_ref()
        if endpoint == "tracks":
            return "/v1/tracks", mutated(
                rng, {"kind": "bilateral", "title": junk_text(rng), "parties": [junk_text(rng)]}
            )
        if endpoint == "statement":
            return f"/v1/tracks/{t}/statements", mutated(rng, statement(rng))
        if endpoint == "batch":
            items = [mutated(rng, statement(rng)) for _ in range(rng.choice([0, 1, 3, 501]))]
            return f"/v1/tracks/{t}/statements:batch", rng.choice(
                [{"statements": items}, items, {"statements": junk_json(rng)}]
            )
        if endpoint == "party":
            return f"/v1/tracks/{t}/parties", rng.choice(
                [{"name": junk_text(rng)}, {"name": rng.choice(PARTIES)}, junk_json(rng)]
            )
        if endpoint == "status":
            # Never a valid suspend/conclude: that would close the track for the rest of the run.
            return f"/v1/tracks/{t}/status", rng.choice(
                [
                    {"status": "active", "reason": junk_text(rng)},
                    {"status": junk_text(rng)},
                    junk_json(rng),
                ]
            )
        s = self.statement_ref()
        if endpoint == "correction":
            return f"/v1/tracks/{t}/statements/{s}/corrections", rng.choice(
                [
                    {"changes": mutated(rng, {"summary": "corrected"}), "reason": junk_text(rng)},
                    {"changes": {}, "reason": "r"},
                    {"changes": junk_json(rng)},
                    junk_json(rng),
                ]
            )
        return f"/v1/tracks/{t}/statements/{s}/retraction", rng.choice(
            [{"reason": junk_text(rng)}, junk_json(rng), {"reason": None}]
        )

    def request(self) -> dict[str, Any]:
        rng = self.rng
        path, body = self.path_and_body()
        headers: dict[str, str] = (
            dict(AUTH)
            if rng.random() < 0.9
            else rng.choice(
                [{}, {"Authorization": "Bearer wrong"}, {"Authorization": junk_text(rng)[:100]}]
            )
        )
        content: bytes
        encoding = rng.random()
        if encoding < 0.6:
            content = json.dumps(body).encode()
        elif encoding < 0.7:
            content = rng.randbytes(rng.randint(0, 3000))
        elif encoding < 0.75:
            content = deep(rng.choice([50, 1000, 100_000]), rng).encode()
        elif encoding < 0.8:
            filler = "x" * rng.choice([MIB - 200, MIB + 10, 3 * MIB])
            content = json.dumps({**statement(rng), "summary": filler}).encode()
        elif encoding < 0.85:
            content = json.dumps(body)[: rng.randint(0, 40)].encode()  # truncated JSON
        elif encoding < 0.9:
            content = json.dumps(body, ensure_ascii=False).encode("utf-16")
        else:
            content = rng.choice(
                [
                    b"",
                    b"null",
                    b"[]",
                    b"{}",
                    b"\x00" * 10,
                    b"NaN",
                    b'{"summary": "\\ud800"}',
                    b'{"a": 1, "a": 2}',
                    b"1" * 5000,
                    b"\xef\xbb\xbf{}",
                ]
            )
        headers["Content-Type"] = rng.choice(
            ["application/json"] * 6
            + [
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/xml",
                "application/json; charset=latin-1",
                "*/*",
                "",
                "\x01",
            ]
        )
        if rng.random() < 0.3:
            headers["If-Match"] = rng.choice(
                [
                    '"1"',
                    "1",
                    "garbage",
                    '"999999999999999999999"',
                    "*",
                    'W/"2"',
                    '"-1"',
                    '""',
                    "\u00e9",
                    " " * 10,
                    '"1", "2"',
                ]
            )
        if rng.random() < 0.3:
            headers["Idempotency-Key"] = rng.choice(
                [
                    "k" * 200,
                    "k" * 201,
                    "",
                    " ",
                    "\u00e9\u00e8",
                    "key-" + str(rng.randint(0, 5)),
                    "x" * 5000,
                ]
            )
        if rng.random() < 0.05:
            headers["Content-Length"] = rng.choice(["-1", "abc", "99999999999", "0"])
        # Raw bytes on the wire, as a client may send them (no CR/LF: no server passes those).
        wire = {
            name: value.replace("\r", "").replace("\n", "").encode("utf-8")
            for name, value in headers.items()
        }
        return {"method": "POST", "url": path, "content": content, "headers": wire}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url, api_tokens=f"fuzzer:recorder:{SECRET}", embedded_projector=False
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def chain_is_intact(tracker: Tracker, track_id: UUID) -> int:
    """Recompute the hash chain over the decoded events; the number of events."""
    prev = GENESIS_HASH
    events = list(tracker.app.repository.event_store.get(track_id))
    for number, event in enumerate(events, start=1):
        assert event.originator_version == number
        assert event.prev_hash == prev
        assert event.hash == hash_of_event(event)
        prev = event.hash
    return len(events)


def test_four_hundred_random_junk_writes_cause_no_server_error_and_record_nothing_refused(
    client: TestClient,
) -> None:
    tracker: Tracker = client.app.state.tracker
    opened = client.post(
        "/v1/tracks",
        headers=AUTH,
        json={
            "kind": "bilateral",
            "title": "Strategic Stability Dialogue",
            "slug": "ssd",
            "parties": PARTIES,
        },
    )
    assert opened.status_code == 201, opened.text
    track_id = UUID(opened.json()["id"])
    first = client.post(
        f"/v1/tracks/{track_id}/statements", headers=AUTH, json=statement(random.Random(1))
    )
    assert first.status_code == 201, first.text

    rng = random.Random(SEED)
    hostile = Hostile(rng, str(track_id), "ssd", first.json()["id"])
    statuses: dict[int, int] = {}
    server_errors = []
    version = tracker.app.get_track(track_id).version
    for number in range(REQUESTS):
        request = hostile.request()
        answer = client.request(**request)
        statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
        if answer.status_code >= 500:
            server_errors.append(
                (
                    number,
                    request["url"],
                    request["headers"],
                    request["content"][:300],
                    answer.text[:300],
                )
            )
            continue
        if answer.status_code >= 400:
            assert answer.headers["content-type"].startswith("application/problem+json"), (
                number,
                answer.status_code,
                answer.text[:200],
            )
            problem = answer.json()
            assert {"type", "title", "status", "detail"} <= problem.keys()
            assert problem["status"] == answer.status_code
            if answer.status_code == 422:
                assert "errors" in problem
        now = tracker.app.get_track(track_id).version
        if answer.status_code >= 300 or "/v1/tracks/" not in request["url"]:
            assert now == version, (number, request["url"], answer.status_code)
        else:
            assert now >= version
            if answer.headers.get("idempotent-replayed") != "true":
                assert int(answer.headers["etag"].strip('"')) == now
        version = now

    assert not server_errors, server_errors
    assert sum(statuses.values()) == REQUESTS
    assert statuses.get(413, 0) > 0 and statuses.get(422, 0) > 0 and statuses.get(400, 0) > 0

    # The log still verifies, and the read model still follows it.
    events = chain_is_intact(tracker, track_id)
    assert events == tracker.app.get_track(track_id).version
    Projector(tracker.app, tracker.read_model).catch_up()
    track = replayed_view(tracker, track_id)
    live = [s for s in track.statements.values() if not s.retracted]
    state = tracker.read_model.get_track(str(track_id))
    assert state is not None
    assert state["version"] == track.version
    assert state["statement_count"] == len(live)
    for other in tracker.read_model.list_tracks(None, None, None):
        assert chain_is_intact(tracker, UUID(other["id"])) == other["version"]


HOSTILE_READS = [
    "/v1/tracks?party=%00",
    "/v1/tracks?party=" + "p" * 201,
    "/v1/tracks?kind=%00",
    "/v1/tracks/ssd/statements?topic=a%00b",
    "/v1/tracks/ssd/statements?party=%00",
    "/v1/tracks/ssd/statements?since=0001-01-01T00:00:00%2B01:00",
    "/v1/tracks/ssd/statements?until=9999-12-31T23:59:59-01:00",
    "/v1/tracks/ssd/statements?since=2022-01-10T00:00:00%2B25:00",
    "/v1/tracks/ssd/statements?since=%00",
    "/v1/tracks/ssd/statements?limit=0",
    "/v1/tracks/ssd/statements?limit=99999999999999999999999",
    "/v1/tracks/ssd/statements?include_retracted=maybe",
    "/v1/tracks/ssd/statements?cursor=AA%3D%3D",
    "/v1/tracks/ssd/statements?cursor=%00",
    # base64 of "0001-01-01T00:00:00+01:00|1" and of "2022-01-01T00:00:00Z|" + 23 nines
    "/v1/tracks/ssd/statements?cursor=MDAwMS0wMS0wMVQwMDowMDowMCswMTowMHwx",
    "/v1/tracks/ssd/statements?cursor=MjAyMi0wMS0wMVQwMDowMDowMFp8OTk5OTk5OTk5OTk5OTk5OTk5OTk5OTk%3D",
    "/v1/tracks/ssd/statements/%00",
    "/v1/tracks/ssd/statements/" + "x" * 5000,
    "/v1/tracks/ssd/demands?status=%00",
    "/v1/tracks/%00",
    "/v1/tracks/" + "a" * 5000,
    "/v1/tracks/ssd?min_position=-1",
    "/v1/tracks/ssd?min_position=99999999999999999999999",
    # reads across tracks: full text an engine could take for its own syntax, long queries
    '/v1/statements?q="',
    "/v1/statements?q=" + "-x " * 300 + "y",
    "/v1/statements?q=" + "a OR " * 150 + "b",
    "/v1/statements?q=" + " ".join(f"w{n}" for n in range(200)),
    "/v1/statements?q=NEAR(a b) * ^c : d AND OR NOT",
    "/v1/statements?q=%27%3A*%20%26%20!%7C",
    "/v1/statements?q=" + "q" * 1001,
    "/v1/statements?speaker=%00&track=ssd",
    "/v1/statements?track=" + "t" * 101,
    "/v1/statements?since=0001-01-01T00:00:00%2B01:00",
    "/v1/statements?cursor=MDAwMS0wMS0wMVQwMDowMDowMCswMTowMHwx",
    "/v1/demands?red_line=maybe&status=nonsense",
    "/v1/warnings?active=%00&target=" + "t" * 201,
    "/v1/meetings?from=2022-13&to=9999-12-31T23:59:59-01:00&meeting_format=fax",
    "/v1/actors?q=" + "w " * 100,
    "/v1/actors?cursor=QQ%3D%3D",
]


@pytest.mark.parametrize("path", HOSTILE_READS)
def test_hostile_query_parameters_and_paths_on_reads_are_refused_not_crashed(
    client: TestClient, path: str
) -> None:
    opened = client.post(
        "/v1/tracks",
        headers=AUTH,
        json={
            "kind": "bilateral",
            "title": "Strategic Stability Dialogue",
            "slug": "ssd",
            "parties": PARTIES,
        },
    )
    assert opened.status_code == 201
    tracker: Tracker = client.app.state.tracker
    Projector(tracker.app, tracker.read_model).catch_up()
    answer = client.get(path)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "bilateral", "title": "t", "parties": ["A\x00B", "C"]},
        {"kind": "bilateral", "title": "t", "parties": ["A", "B"], "venue": "Gen\x00eva"},
    ],
    ids=["nul-in-party", "nul-in-venue"],
)
def test_a_nul_character_is_refused_or_projected_but_never_poisons_the_read_model(
    client: TestClient, body: dict[str, Any]
) -> None:
    answer = client.post("/v1/tracks", headers=AUTH, json=body)
    assert answer.status_code in (201, 422), answer.text
    tracker: Tracker = client.app.state.tracker
    Projector(tracker.app, tracker.read_model).catch_up()
    if answer.status_code == 201:
        track = answer.json()["id"]
        topic = client.post(
            f"/v1/tracks/{track}/statements",
            headers=AUTH,
            json={**statement(random.Random(2)), "party": body["parties"][1], "topics": ["a\x00b"]},
        )
        assert topic.status_code in (201, 422), topic.text
        Projector(tracker.app, tracker.read_model).catch_up()
        assert tracker.read_model.get_track(track) is not None


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
@pytest.mark.parametrize("field", ["occurred_at", "meeting_at"])
def test_a_moment_at_the_edge_of_the_calendar_is_refused_or_projected(
    client: TestClient, moment: str, field: str
) -> None:
    opened = client.post(
        "/v1/tracks",
        headers=AUTH,
        json={"kind": "bilateral", "title": "t", "slug": "edge", "parties": PARTIES},
    )
    body = {
        "type": "meeting_scheduled",
        "party": PARTIES[0],
        "occurred_at": "2022-01-10",
        "summary": "a meeting",
        "meeting_at": "2022-01-12",
        "location": "Geneva",
        field: moment,
    }
    answer = client.post(f"/v1/tracks/{opened.json()['id']}/statements", headers=AUTH, json=body)
    assert answer.status_code in (201, 422), answer.text
    tracker: Tracker = client.app.state.tracker
    Projector(tracker.app, tracker.read_model).catch_up()
    state = tracker.read_model.get_track(opened.json()["id"])
    assert state is not None
    assert state["version"] == tracker.app.get_track(UUID(opened.json()["id"])).version
