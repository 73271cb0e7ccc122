"""Strict query strings (API.md, "Clarifications (v1.1)"): on every route under `/v1` (and
`/`), a query parameter the route does not declare is 422 naming it, and so is a parameter
given twice where the route takes one value -- FastAPI would silently keep the last one, so a
typo (`?statuss=open`) or a repeat (`?limit=5&limit=500`) would give an answer that looks
right and is not.

What a route takes is read from what it declares (its dependant, dependencies included), on
its first request with a query string: a new route is covered without being listed anywhere.
The check is one app-wide dependency, so it runs after routing, for every route (the direct
routes, services.api.direct, call it as FastAPI would). `/docs`, `/redoc`, `/openapi.json`
and the operations endpoints (`/healthz`, `/readyz`, `/metrics`) keep accepting anything.
"""

from __future__ import annotations

import collections.abc
import types
from collections import Counter
from typing import Annotated, Any, Union, get_args, get_origin
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from services.api.problems import ApiProblem

# Paging, waiting, point-in-time and answer-format parameters: one value each, never a
# filter (only their wording differs from a filter's when repeated).
NOT_FILTERS = frozenset(
    {
        "limit",
        "cursor",
        "min_position",
        "since",
        "until",
        "include_retracted",
        "include_related",
        "version",
        "recorded_at",
        "after",
        "after_version",
        "format",
    }
)

_SEQUENCES = (list, tuple, set, frozenset, collections.abc.Sequence, collections.abc.Set)


def is_strict(path: str) -> bool:
    # The pages of a track (`/tracks/...`) take their query strings as the overview does.
    return path == "/" or path == "/v1" or path.startswith(("/v1/", "/tracks/"))


def query_parameters(dependant: Dependant) -> dict[str, bool]:
    """The query parameters a route declares, its dependencies' included, by the name a
    client sends (the alias): True for those that take several values (a list)."""
    found: dict[str, bool] = {}
    pending = [dependant]
    while pending:
        current = pending.pop()
        for field in current.query_params:
            found[field.alias] = is_sequence(field.field_info.annotation)
        pending.extend(current.dependencies)
    return found


def is_sequence(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Annotated:
        return is_sequence(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return any(is_sequence(arg) for arg in get_args(annotation))
    return origin in _SEQUENCES or annotation in _SEQUENCES


async def check(request: Request) -> None:
    """An app-wide dependency (`FastAPI(dependencies=[Depends(check)])`): FastAPI solves it
    first, so a refused query string is answered before the token or the values are judged."""
    query = request.scope.get("query_string", b"")
    if not query:  # the plain requests pay one lookup
        return
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not is_strict(request.scope["path"]):
        return
    declared: dict[str, bool] | None = getattr(route, _ATTRIBUTE, None)
    if declared is None:
        declared = query_parameters(route.dependant)
        setattr(route, _ATTRIBUTE, declared)
    errors = refusals(query.decode("latin-1"), declared)
    if errors:
        raise ApiProblem(
            422,
            "Invalid request",
            "; ".join(e["msg"] for e in errors),
            slug="invalid-request",
            errors=errors,
        )


_ATTRIBUTE = "__ntrack_query_parameters__"


def refusals(query: str, declared: dict[str, bool]) -> list[dict[str, Any]]:
    takes = ", ".join(declared) or "no query parameters"
    names = Counter(name for name, _ in parse_qsl(query, keep_blank_values=True))
    errors = []
    for name, count in names.items():
        if name not in declared:
            msg = f"unknown query parameter {name!r}; this endpoint takes: {takes}"
            errors.append({"loc": ["query", name], "msg": msg, "type": "unknown_parameter"})
        elif count > 1 and not declared[name]:
            errors.append(
                {"loc": ["query", name], "msg": _repeated(name), "type": "repeated_parameter"}
            )
    return errors


def _repeated(name: str) -> str:
    if name in NOT_FILTERS:
        return f"query parameter {name!r} was given more than once; give it once"
    return (
        f"query parameter {name!r} was given more than once, and this endpoint takes one value"
        " for it; give it once"
    )
