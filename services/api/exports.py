"""Content negotiation of the listing endpoints (API.md v1.1, "Exports"), in one place.

A listing route declares `format: format_parameter(LISTING)` and answers with
`list_answer(request, page, position, LISTING)` instead of `read_response(page, position)`:
JSON as before, or CSV / PLOVER JSON lines when `format=` says so or, without `format=`,
when `Accept` prefers their media type. A page with a `next_cursor` gives, in a non-JSON
answer, the next page's URL in `Link: <...>; rel="next"` (the same query, `cursor=` the
next cursor). `calendar_answer` answers meetings as iCalendar.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from services.api.deps import json_response
from services.exports import ics, plover, tabular
from services.exports.listings import CALENDAR_MEDIA_TYPE, MEDIA_TYPES, Listing


def format_parameter(listing: Listing) -> Any:
    """The `format` query parameter of a listing route: only the formats it offers, so any
    other is 422 naming them."""
    offered = ", ".join(listing.formats)
    return Annotated[
        Literal[listing.formats] | None,
        Query(
            description=f"the answer's format: {offered}; without it, `Accept` decides"
            " (`text/csv`), else JSON"
        ),
    ]


def export_responses(listing: Listing) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a listing route: its other media types, and the `Link` header."""
    content = {
        MEDIA_TYPES[f].split(";")[0]: {"schema": {"type": "string"}} for f in listing.formats[1:]
    }
    link = {
        "description": 'in a non-JSON answer with more pages: `<next page URL>; rel="next"`',
        "schema": {"type": "string"},
    }
    return {200: {"content": content, "headers": {"Link": link}}}


def list_answer(
    request: Request, page: dict[str, Any], position: int, listing: Listing
) -> Response:
    """`page` ({"items", "next_cursor"?}) in the format the request asks for."""
    chosen = chosen_format(request, listing)
    headers = {"X-Projection-Position": str(position), "Vary": "Accept"}
    if chosen == "json":
        return json_response(page, headers=headers)
    cursor = page.get("next_cursor")
    if cursor:
        headers["Link"] = f'<{next_page_url(request, cursor)}>; rel="next"'
    body: bytes
    if chosen == "csv":
        body = tabular.render(page["items"], listing.columns).encode()
    else:
        body = b"".join(plover.lines(page["items"]))
    return Response(body, media_type=MEDIA_TYPES[chosen], headers=headers)


def calendar_answer(items: list[dict[str, Any]], position: int) -> Response:
    """Meeting items as an iCalendar (`/v1/meetings.ics`)."""
    return Response(
        ics.render(items),
        media_type=CALENDAR_MEDIA_TYPE,
        headers={"X-Projection-Position": str(position)},
    )


def chosen_format(request: Request, listing: Listing) -> str:
    """`format=` (validated by the route) when given; else the offered format `Accept`
    ranks highest, a media type named outright beating a wildcard and JSON winning ties."""
    given = request.query_params.get("format")
    if given:
        return given
    accept = request.headers.get("accept")
    if not accept:
        return "json"
    ranked = sorted(
        (
            (accept_quality(accept, MEDIA_TYPES[f]), index, f)
            for index, f in enumerate(listing.formats)
        ),
        key=lambda entry: (-entry[0][0], -entry[0][1], entry[1]),
    )
    (quality, _), _, best = ranked[0]
    return best if quality > 0 else "json"


def accept_quality(accept: str, media_type: str) -> tuple[float, int]:
    """How much `accept` wants `media_type`: (q, specificity) of the most specific range
    that matches it (RFC 9110, 12.5.1); (0, 0) when none does."""
    kind = media_type.split(";")[0].strip().lower()
    ranges = {kind: 2, kind.split("/")[0] + "/*": 1, "*/*": 0}  # range -> specificity
    best: tuple[float, int] | None = None
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        specificity = ranges.get(name.lower())
        if specificity is not None and (best is None or specificity > best[1]):
            best = (_q(params), specificity)
    return best or (0.0, 0)


def _q(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def next_page_url(request: Request, cursor: str) -> str:
    """This request's URL with `cursor` set to `cursor` (every other parameter kept)."""
    query = [(k, v) for k, v in parse_qsl(request.url.query, keep_blank_values=True)]
    query = [(k, v) for k, v in query if k != "cursor"] + [("cursor", cursor)]
    return str(request.url.replace(query=urlencode(query)))
