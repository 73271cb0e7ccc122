"""Full-text search (API.md v1.1, `q`): one folding of text, one parser of the query, and
its renderings for SQLite FTS5 and PostgreSQL's tsquery, so that both stores find the same items.

Text is folded before either engine sees it (stored bodies and query terms alike):
lowercase, accents removed, every other character a space. The engines then only split on
spaces (FTS5 unicode61, PostgreSQL's 'simple' configuration: no stemming, no stop words),
so a word matches the same words on both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from domain.errors import RuleViolation

SNIPPET_LENGTH = 200
_BEFORE_MATCH = 60  # characters of context a snippet keeps before its match
_ELLIPSIS = "…"
# A query's parts: an optional `-`, then a "quoted phrase" (closing quote optional) or a word.
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


class NothingToFind(RuleViolation):
    """A query with no word to look for (empty, or only `-excluded` words)."""


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return "".join(c if c.isalnum() else " " for c in kept)


def fold(text: str) -> str:
    """Lowercase, accents removed, every non-alphanumeric character a space (runs of spaces
    made one, ends stripped: the words are what count). Folded character by character, so a
    snippet can map folded words back to the text (`str.lower` of a whole string would
    change a final sigma by its context)."""
    return " ".join("".join(_fold_char(c) for c in text).split())


def words(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


@dataclass(frozen=True)
class Term:
    """One word, or a phrase of words that must follow each other."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    """Every group of `all_of` must match (a group: any of its terms), no term of `none_of`."""

    all_of: tuple[tuple[Term, ...], ...]
    none_of: tuple[Term, ...] = ()

    def terms(self) -> list[Term]:
        """The terms to look for, in the order given."""
        return [term for group in self.all_of for term in group]


def parse(text: str) -> SearchQuery:
    """Web-search syntax: words, "phrases", -excluded, and `OR` between two terms. Terms
    that fold to nothing (punctuation) are left out; raises NothingToFind when no word to
    look for is left."""
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = last_positive = False
    for negated, phrase, word in _TOKEN.findall(text):
        if word == "OR":  # joins the terms either side, if both are to look for
            pending_or = last_positive
            continue
        if word.startswith("-") and len(word) > 1:
            negated, word = "-", word[1:]
        found = words(phrase or word)
        if not found:
            continue
        term = Term(found)
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or, last_positive = False, not negated
    if not groups:
        raise NothingToFind("q needs at least one word to look for", "q", where="query")
    return SearchQuery(tuple(tuple(g) for g in groups), tuple(dict.fromkeys(excluded)))


def _quoted(term: Term) -> str:
    # Folded words are letters and digits only: nothing inside the quotes needs escaping.
    return '"' + " ".join(term.words) + '"'


def to_fts5(query: SearchQuery) -> str:
    """An SQLite FTS5 MATCH expression (every term a quoted phrase: no operator inside). The
    excluded terms are one group (`A NOT (b OR c)`), so no query nests deeper than two."""
    groups = ["(" + " OR ".join(_quoted(t) for t in group) + ")" for group in query.all_of]
    expression = "(" + " AND ".join(groups) + ")"
    if query.none_of:
        expression += " NOT (" + " OR ".join(_quoted(t) for t in query.none_of) + ")"
    return expression


def _lexemes(term: Term) -> str:
    # Quoted lexemes; `<->`: the next word follows at once (a phrase).
    return "(" + " <-> ".join(f"'{w}'" for w in term.words) + ")"


def to_tsquery(query: SearchQuery) -> str:
    """The argument of PostgreSQL's `to_tsquery('simple', …)`. (Not `websearch_to_tsquery`:
    its OR binds looser than the implied AND, `a OR b c` being `a | (b & c)`, and its syntax
    has no parentheses to say `(a | b) & c`, which web search and FTS5 mean.)"""
    groups = ["(" + " | ".join(_lexemes(t) for t in group) + ")" for group in query.all_of]
    return " & ".join(groups + ["!" + _lexemes(t) for t in query.none_of])


def _word_spans(text: str) -> list[tuple[str, int, int]]:
    """The folded words of `text` with where each starts and ends in `text`."""
    spans: list[tuple[str, int, int]] = []
    current, start = "", 0
    for i, char in enumerate(text):
        for folded in _fold_char(char):
            if folded == " ":
                if current:
                    spans.append((current, start, i))
                    current = ""
            else:
                if not current:
                    start = i
                current += folded
    if current:
        spans.append((current, start, len(text)))
    return spans


def _first_match(text: str, terms: Sequence[Term]) -> tuple[int, int] | None:
    spans = _word_spans(text)
    found = [s[0] for s in spans]
    for n in range(len(spans)):
        for term in terms:
            size = len(term.words)
            if tuple(found[n : n + size]) == term.words:
                return spans[n][1], spans[n + size - 1][2]
    return None


def snippet(fields: Sequence[str | None], query: SearchQuery) -> str:
    """Plain text of at most SNIPPET_LENGTH characters around the first match of a term to
    look for, in the first field that has one (else the start of the first field)."""
    texts = [" ".join(f.split()) for f in fields if f and f.strip()]
    if not texts:
        return ""
    for text in texts:
        where = _first_match(text, query.terms())
        if where is not None:
            return _window(text, where[0])
    return _window(texts[0], 0)


def _window(text: str, at: int) -> str:
    if len(text) <= SNIPPET_LENGTH:
        return text
    start = max(0, at - _BEFORE_MATCH)
    if start:  # begin at a word
        space = text.rfind(" ", 0, start)
        start = space + 1 if space >= 0 and at - space <= _BEFORE_MATCH + 20 else start
    head = _ELLIPSIS if start else ""
    room = SNIPPET_LENGTH - len(head)
    body = text[start:]
    if len(body) > room:
        cut = body.rfind(" ", 0, room - 1)
        body = body[: cut if cut > room // 2 else room - 1].rstrip() + _ELLIPSIS
    return head + body


def highlight(text: str, query: SearchQuery) -> list[tuple[str, bool]]:
    """`text` (a snippet) cut into pieces, each True where it matches a term to look for:
    the same folding and the same word matching as the search, so what is marked is what
    was found. Plain strings, for a page to escape and mark up."""
    spans = _word_spans(text)
    found = [s[0] for s in spans]
    marked: list[tuple[int, int]] = []
    for n in range(len(spans)):
        for term in query.terms():
            size = len(term.words)
            if tuple(found[n : n + size]) == term.words:
                start, end = spans[n][1], spans[n + size - 1][2]
                if marked and start <= marked[-1][1]:  # overlaps the previous: one mark
                    before = marked.pop()
                    start, end = before[0], max(before[1], end)
                marked.append((start, end))
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in marked:
        if start > at:
            pieces.append((text[at:start], False))
        pieces.append((text[start:end], True))
        at = end
    if at < len(text):
        pieces.append((text[at:], False))
    return pieces
