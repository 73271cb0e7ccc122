"""The recording form (`/tracks/{track}/record`), its panel, and signing in for pages when
reads need a token: the form follows the statement-type registry, the panel follows the
writes, and the sign-in cookie is a credential for pages only, never for `/v1`."""

from __future__ import annotations

from html.parser import HTMLParser

from domain.statement_types import COMMON_FIELDS, STATEMENT_TYPE_SPECS
from services.api.auth import SESSION_COOKIE
from services.web.record import LEFT_OUT
from tests.e2e.conftest import READER, RUSSIA, USA, Api, StartApp, assert_problem

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class Controls(HTMLParser):
    """The form's fields (`data-loc` wrappers) and the kind and options of each control."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.fields: dict[str, dict[str, str | None]] = {}
        self.options: dict[str, list[str]] = {}
        self._field: str | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if "data-loc" in found:
            self._field = str(found["data-loc"])
            self.fields[self._field] = found
        elif "data-kind" in found and self._field is not None:
            self.fields[self._field]["kind"] = found["data-kind"]
            if tag == "select":
                self._select = self._field
                self.options[self._field] = []
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(str(found["value"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def record_form(client: Api, track: str = "ssd") -> Controls:
    client.get("/v1/tracks", expect=200)  # the read model has applied this test's writes
    page = client.http.get(f"/tracks/{track}/record", headers=BROWSER)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    return Controls(page.text)


def test_the_form_has_every_types_fields_with_their_kinds_from_the_registry(client: Api) -> None:
    client.open_track("ssd", parties=[RUSSIA, USA])
    demand = client.record("ssd", "demand", summary="no NATO enlargement")
    form = record_form(client)
    for type_name, spec in STATEMENT_TYPE_SPECS.items():
        for field in spec.fields:
            shown = form.fields[field.name]
            assert type_name in str(shown["data-types"]).split(), (type_name, field.name)
            assert shown["kind"] == field.kind, field.name
            required = str(shown.get("data-required-for") or "").split()
            assert (type_name in required) == field.required, (type_name, field.name)
            if field.kind == "enum":
                assert form.options[field.name] == ["", *field.values]
            if field.kind == "ref":
                assert form.options[field.name] == ["", demand["id"]]
    for name in set(COMMON_FIELDS) - set(LEFT_OUT):
        locs = [loc for loc in form.fields if loc == name or loc.startswith(f"{name}.")]
        assert locs, name
        assert all("data-types" not in form.fields[loc] for loc in locs), name  # every type
    assert form.options["party"] == ["", RUSSIA, USA]


def test_the_panel_shows_a_write_once_the_read_model_has_applied_its_position(
    client: Api,
) -> None:
    client.open_track("ssd", parties=[RUSSIA, USA])
    demand = client.record("ssd", "demand", summary="no NATO enlargement")
    panel = client.http.get("/tracks/ssd/record/panel", params={"min_position": client.position})
    assert panel.status_code == 200
    assert "no NATO enlargement" in panel.text and 'data-field="status">open<' in panel.text
    client.record("ssd", "response", USA, responds_to=demand["id"], position="reject")
    panel = client.http.get("/tracks/ssd/record/panel", params={"min_position": client.position})
    assert 'data-field="status">rejected<' in panel.text
    assert f'href="/tracks/ssd/statements/{demand["id"]}"' in panel.text
    assert "<html" not in panel.text  # a fragment the page's script puts in place
    assert_problem(client.http.get("/tracks/none/record/panel"), 404)


def test_a_sign_in_cookie_opens_the_pages_and_never_the_api(start_app: StartApp) -> None:
    client = start_app(public_reads=False)
    client.open_track("ssd", parties=[RUSSIA, USA])
    http = client.http
    refused = http.get("/tracks/ssd/record", headers=BROWSER, follow_redirects=False)
    assert refused.status_code == 303
    assert refused.headers["location"] == "/signin?next=%2Ftracks%2Fssd%2Frecord"
    assert http.get(refused.headers["location"], headers=BROWSER).status_code == 200

    signed_in = http.post(
        "/signin",
        params={"next": "/tracks/ssd/record"},
        data={"token": "read-secret"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/tracks/ssd/record"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=read-secret;")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert attributes == {"httponly", "path", "samesite"}  # no max-age, expires or secure
    assert "SameSite=strict" in cookie and "Path=/" in cookie

    assert http.get("/tracks/ssd/record", headers=BROWSER).status_code == 200
    assert "Sign out" in http.get("/", headers=BROWSER).text
    assert_problem(http.get("/v1/tracks"), 401)  # the cookie is sent, and not taken
    assert_problem(http.post("/v1/tracks/ssd/statements", json={}), 401)

    signed_out = http.post("/signout", follow_redirects=False)
    assert signed_out.status_code == 303
    assert SESSION_COOKIE not in http.cookies
    assert http.get("/", headers=BROWSER, follow_redirects=False).status_code == 303


def test_a_wrong_token_shows_the_sign_in_page_with_the_reason(start_app: StartApp) -> None:
    client = start_app(public_reads=False)
    wrong = client.http.post("/signin", data={"token": "nope"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert wrong.headers["content-type"].startswith("text/html")
    assert "the token is not valid" in wrong.text and 'aria-invalid="true"' in wrong.text
    assert "set-cookie" not in wrong.headers
    empty = client.http.post("/signin", data={"token": " "}, follow_redirects=False)
    assert empty.status_code == 422 and "Enter your token" in empty.text
    # Only pages of this site are gone back to; over https the cookie is Secure.
    away = client.http.post(
        "https://testserver/signin",
        params={"next": "//elsewhere.example/"},
        data={"token": READER["Authorization"].split()[1]},
        follow_redirects=False,
    )
    assert away.headers["location"] == "/"
    assert "secure" in away.headers["set-cookie"].lower()
