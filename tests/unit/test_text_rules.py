"""Names and required text are accepted exactly when the patterns the OpenAPI document
states match them (read as JSON Schema reads them), so valid-by-schema means accepted."""

from __future__ import annotations

import random
from functools import cache
from typing import Any

import jsonschema_rs
from pydantic import TypeAdapter, ValidationError

from services.api.fields import Name, Summary

ALPHABET = (
    "aZé \t\n\r\x00\x07\x1c\x85\xa0\xad\u200b\u200d\u202e\u2066\u2028\u3000\ufeff\U000e0041🙂"
)


def verdicts(annotation: Any, text: str) -> tuple[bool, bool]:
    adapter, schema = _checks(annotation)
    try:
        adapter.validate_python(text)
        accepted = True
    except ValidationError:
        accepted = False
    return accepted, schema.is_valid(text)


@cache
def _checks(annotation: Any) -> tuple[TypeAdapter[Any], Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    return adapter, jsonschema_rs.validator_for(adapter.json_schema())


def test_random_text_gets_the_same_verdict_from_the_checks_and_the_patterns() -> None:
    rng = random.Random(16)
    for annotation in (Name, Summary):
        for _ in range(3000):
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 6)))
            accepted, valid = verdicts(annotation, text)
            assert accepted is valid, (annotation, repr(text))


def test_a_name_is_kept_in_nfc() -> None:
    assert TypeAdapter(Name).validate_python("Co\u0302te") == "C\u00f4te"
