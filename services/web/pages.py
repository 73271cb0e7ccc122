"""Rendering pages: the Jinja2 templates (package data), who wants HTML, and problems as pages.

A refusal is the same RFC 9457 problem everywhere (services.api.problems decides status and
wording from one table); outside `/v1`, a client whose `Accept` prefers `text/html` (a
browser) gets that problem rendered as a page, with the same status and headers -- except
a page refused for want of a token, which sends the browser to sign in (303).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from services.api.auth import SESSION_COOKIE
from services.api.exports import accept_quality

STATIC = Path(__file__).parent / "static"
HTML = "text/html"
_JSON_TYPES = ("application/problem+json", "application/json")
_BODY_HEADERS = ("content-type", "content-length")
SIGNIN = "/signin"

environment = Environment(
    loader=PackageLoader("services.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Whether the browser keeps a sign-in for this session (the header offers to sign out).
environment.globals["signed_in"] = lambda request: SESSION_COOKIE in request.cookies


@dataclass(frozen=True)
class Link:
    """A link as a page shows it."""

    href: str
    label: str


# Where each page lives, written once: the Python that gathers a page and the templates
# (as globals) both build their links with these.
def track_href(track: str) -> str:
    return f"/tracks/{quote(track, safe='')}"


def statement_href(track: str, statement_id: str) -> str:
    return f"{track_href(track)}/statements/{quote(str(statement_id), safe='')}"


environment.globals.update(track_href=track_href, statement_href=statement_href)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = environment.get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status)


def wants_html(request: Request) -> bool:
    """`Accept` names HTML and ranks it above JSON (a browser's `text/html,...,*/*;q=0.8`);
    no `Accept` or `*/*` alone (curl, scripts, test clients) keeps problem+json."""
    accept = request.headers.get("accept", "")
    html = accept_quality(accept, HTML)
    json = max(accept_quality(accept, kind) for kind in _JSON_TYPES)
    return html[0] > 0 and html > json


def problem_page(request: Request, answer: Response) -> Response:
    """`answer` (a problem+json response), as a page when the client is a person."""
    if request.url.path.startswith("/v1") or not wants_html(request):
        return answer
    if answer.status_code == 401 and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{SIGNIN}?next={quote(target, safe='')}", status_code=303)
    problem = orjson.loads(bytes(answer.body))
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in _BODY_HEADERS}
    page = render(request, "problem.html", status=answer.status_code, problem=problem)
    page.headers.update(kept)
    return page
