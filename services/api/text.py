"""Text in request bodies: required text says something visible, names hold no invisible
characters and are kept in NFC (domain.names has the rules). The OpenAPI document states
both as patterns that select exactly what is accepted (they are built from the same
Unicode categories, for Python's `re`, which JSON Schema tools in Python use too), and
an answer names the character it refuses."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from domain.names import INVISIBLE_CATEGORIES, describe, first_invisible, has_visible


@cache
def _invisible_class() -> str:
    """The invisible characters (domain.names) as the inside of a regex character class."""
    ranges: list[list[int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in INVISIBLE_CATEGORIES:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(f"{_escape(a)}-{_escape(b)}" if a != b else _escape(a) for a, b in ranges)


def _escape(code: int) -> str:
    # \uXXXX reads the same in Python, ECMA-262 and Rust regexes; beyond the BMP, the
    # character itself (Python's \U has no ECMA-262 equivalent without the u flag).
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


def visible_pattern() -> str:
    """Somewhere, a character that is neither white space nor invisible."""
    return f"[^\\s{_invisible_class()}]"


def name_pattern() -> str:
    """Only characters a name may hold, one of them visible."""
    invisible = _invisible_class()
    return f"^[^{invisible}]*[^\\s{invisible}][^{invisible}]*$"


def _visible(value: str) -> str:
    if not has_visible(value):
        raise PydanticCustomError(
            "blank_text", "must hold a visible character, not only white space"
        )
    return value


def _name(value: str) -> str:
    found = first_invisible(value)
    if found is not None:
        raise PydanticCustomError(
            "invisible_character",
            "a name may not hold {character} (control, zero-width and bidi characters"
            " make names look alike and compare unlike): remove it",
            {"character": describe(found)},
        )
    _visible(value)
    return unicodedata.normalize("NFC", value)


@dataclass(frozen=True)
class _TextRule:
    """Metadata for `Annotated[str, ...]`: checks (and may normalise) the string after its
    other constraints, and states itself in the JSON schema as `pattern`."""

    check: Callable[[str], str]
    pattern: Callable[[], str]

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern()
        return json_schema


VISIBLE = _TextRule(_visible, visible_pattern)
NAME = _TextRule(_name, name_pattern)


def visible_text(max_length: int | None) -> Any:
    """A string of 1 to `max_length` characters, one of them visible (for the registry's
    text fields, which are made at run time)."""
    return Annotated[str, Field(min_length=1, max_length=max_length), VISIBLE]
