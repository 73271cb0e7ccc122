"""Field types of request bodies whose rules the OpenAPI document states, so that a body
valid by the document is accepted: text with something visible, names, slugs, URLs; and
JSON Schema for rules across fields (`present`, `one_of_present`)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from domain.statement_types import NAME_LENGTH
from domain.values import parses_as_uuid
from services.api.text import NAME, VISIBLE

# Required text holds a visible character; names, no invisible one (services.api.text).
Name = Annotated[str, Field(min_length=1, max_length=NAME_LENGTH), NAME]
Reason = Annotated[str, Field(min_length=1, max_length=2000), VISIBLE]
Summary = Annotated[str, Field(min_length=1, max_length=2000), VISIBLE]
Title = Annotated[str, Field(min_length=1, max_length=300), VISIBLE]
Topic = Annotated[str, Field(min_length=1, max_length=100), VISIBLE]


def _not_an_id(slug: str) -> str:
    if parses_as_uuid(slug):
        raise PydanticCustomError(
            "slug_is_an_id",
            "a slug may not read as a track id (a UUID): `{slug}` could never be reached by"
            " its slug; add a word to it",
            {"slug": slug},
        )
    return slug


_SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# What UUID() reads among slugs: 32 hexadecimal digits, hyphens anywhere.
_UUID_PATTERN = r"^-*(?:[0-9a-f]-*){32}$"
Slug = Annotated[
    str,
    Field(min_length=1, max_length=100, pattern=_SLUG_PATTERN),
    AfterValidator(_not_an_id),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 100,
            "pattern": _SLUG_PATTERN,
            "not": {"pattern": _UUID_PATTERN},
            "description": "lower-case letters, digits and single hyphens; not a UUID",
        }
    ),
]


# An http(s) URL: the scheme, a host, then a path, query or fragment; no spaces, controls,
# brackets or backslashes (which urlsplit reads in ways of its own). The OpenAPI document
# states the same pattern (a regex, cheaper than urlsplit on every source of a batch).
# (Spaces spelt out: `\s` differs between regex engines.)
_SPACE = r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
HTTP_URL_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[^/?#{_SPACE}\[\]\\]+(?:[/?#][^{_SPACE}\\]*)?$"
_HTTP_URL = re.compile(HTTP_URL_PATTERN)


def _http_url(value: str) -> str:
    if _HTTP_URL.fullmatch(value) is None:  # (fullmatch: a final newline is not before `$`)
        raise PydanticCustomError("url", "must be an http(s) URL, without spaces or brackets")
    return value


HttpUrl = Annotated[
    str,
    Field(max_length=2000, json_schema_extra={"pattern": HTTP_URL_PATTERN}),
    AfterValidator(_http_url),
]


def present(*names: str) -> dict[str, Any]:
    """JSON Schema: each of `names` is present and not null."""
    return {"required": list(names), "properties": {n: {"not": {"type": "null"}} for n in names}}


def one_of_present(*names: str) -> dict[str, Any]:
    """JSON Schema: at least one of `names` is present and not null."""
    return {"anyOf": [present(name) for name in names]}
