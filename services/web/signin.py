"""Signing in for pages (API.md "A page for people"): with NTRACK_PUBLIC_READS=false a page
asks for a token. `/signin` checks it as every request is checked (services.api.deps
.authorize, any role: each includes reader) and keeps it for the browser session in a cookie
that only the pages accept (services.api.auth.credential); `/signout` forgets it."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.api.auth import SESSION_COOKIE
from services.api.deps import authorize
from services.api.problems import ApiProblem
from services.web.pages import SIGNIN, render

router = APIRouter(include_in_schema=False)

Next = Annotated[str, Query(max_length=2000, description="the page to go back to")]
_TOKEN_LENGTH = 1000  # far longer than any token; a longer body is not one


def _local(path: str) -> str:
    """`path` if it is a page of this site, else `/`: never a redirect to another origin."""
    if path.startswith("/") and not path.startswith(("//", "/\\")):
        return path
    return "/"


@router.get(SIGNIN, response_class=Response)
def signin_page(request: Request, next: Next = "/") -> Response:
    return render(request, "signin.html", next=_local(next), error=None)


@router.post(SIGNIN, response_class=Response)
async def sign_in(request: Request, next: Next = "/") -> Response:
    """Keep a valid token for the browser session; a wrong one shows the page again, with
    the reason (the same words as the API's 401 or 403)."""
    body = (await request.body()).decode("utf-8", "replace")
    token = parse_qs(body).get("token", [""])[0].strip()
    target = _local(next)
    if not token or len(token) > _TOKEN_LENGTH:
        return render(request, "signin.html", 422, next=target, error="Enter your token.")
    try:
        await authorize(request, f"Bearer {token}", "reader")
    except ApiProblem as refusal:
        return render(request, "signin.html", refusal.status, next=target, error=refusal.detail)
    answer = RedirectResponse(target, status_code=303)
    # No Max-Age or Expires: the browser forgets it when the session ends.
    answer.set_cookie(SESSION_COOKIE, token, **_cookie_attributes(request))
    return answer


@router.post("/signout", response_class=Response)
def sign_out(request: Request) -> Response:
    answer = RedirectResponse("/", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, **_cookie_attributes(request))
    return answer


def _cookie_attributes(request: Request) -> dict[str, Any]:
    """The cookie's attributes, the same when it is set and when it is deleted (a browser
    deletes only the cookie whose path and flags match): no script may read it, no other
    site's request carries it, and over https it is sent over https only."""
    return {
        "path": "/",
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
    }
