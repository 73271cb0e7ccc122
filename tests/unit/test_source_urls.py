"""A source URL must be http(s) with a host, and no spaces, controls, brackets or
backslashes: exactly what the pattern the OpenAPI document states matches (read as JSON
Schema reads it, `$` the end of the text), so a client can check a URL before sending it."""

from __future__ import annotations

import random

import jsonschema_rs
import pytest

from services.api.fields import HTTP_URL_PATTERN, _http_url

_SCHEMA = jsonschema_rs.validator_for({"type": "string", "pattern": HTTP_URL_PATTERN})


def accepted(value: str) -> bool:
    try:
        return _http_url(value) == value
    except ValueError:
        return False


@pytest.mark.parametrize(
    "url, ok",
    [
        ("https://www.state.gov/briefings", True),
        ("HTTP://EXAMPLE.ORG", True),
        ("https://e.org/s/1?q=1#f", True),
        ("https://e.org:8443/a%20b", True),
        ("http://[::1]:8080/x", False),
        (" http://leading.space", False),
        ("http://a b", False),
        ("http://e.org/\n", False),
        ("http://", False),
        ("http:///path", False),
        ("ftp://example.org", False),
        ("javascript:alert(1)", False),
        ("example.org/page", False),
    ],
)
def test_a_source_url_is_accepted_as_its_documented_pattern_says(url: str, ok: bool) -> None:
    assert accepted(url) is ok is _SCHEMA.is_valid(url)


def test_random_url_like_text_gets_the_same_verdict_from_the_check_and_the_pattern() -> None:
    rng = random.Random(7)
    alphabet = "hHtTpPsS:/?#[]\\ \t\n.exa1é%@\x00~!$&'()*+,;=-_"
    prefixes = ["http://", "https://", "HTTP://", "http:/", "http:", "", " http://", "\x00http://"]
    for _ in range(20_000):
        text = rng.choice(prefixes) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 12))
        )
        assert accepted(text) is _SCHEMA.is_valid(text), repr(text)
