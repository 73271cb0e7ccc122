"""A source URL must be http(s) with a host. The fast path (a regular expression) accepts
only what urllib's split would accept too; everything else is judged by the split."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from services.api.schemas import _http_url


def accepted_by_split(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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
        ("http://[::1]:8080/x", True),
        (" http://leading.space", True),  # urlsplit strips it; kept as written
        ("http://a b", True),
        ("http://", False),
        ("http:///path", False),
        ("ftp://example.org", False),
        ("javascript:alert(1)", False),
        ("http://[::1/", False),  # urlsplit: invalid IPv6 URL
        ("example.org/page", False),
    ],
)
def test_a_source_url_is_judged_as_urlsplit_judges_it(url: str, ok: bool) -> None:
    assert accepted(url) is ok is accepted_by_split(url)


def test_random_url_like_text_gets_the_same_verdict_both_ways() -> None:
    rng = random.Random(7)
    alphabet = "hHtTpPsS:/?#[]\\ \t\n.exa1é%@\x00~!$&'()*+,;=-_"
    prefixes = ["http://", "https://", "HTTP://", "http:/", "http:", "", " http://", "\x00http://"]
    for _ in range(20_000):
        text = rng.choice(prefixes) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 12))
        )
        assert accepted(text) is accepted_by_split(text), repr(text)
