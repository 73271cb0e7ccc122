"""Names (of parties, people, places) and text: which characters a name may hold, when
text says something visible, and when two party names are the same party.

A name is shown to people and compared by machines: a zero-width space, a bidi control or a
control character makes two names look alike and compare unlike ("Russia" and
"Russia\u200b"), so new names may hold none of them (the API refuses them, naming the
character), and names are compared in NFC with such characters left out, so that a name
recorded before these rules still matches what a client sends now.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Controls (Cc), format characters (Cf: zero-width spaces and joiners, bidi marks, embeddings
# and isolates, the byte-order mark, tag characters) and the line and paragraph separators.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def is_invisible(character: str) -> bool:
    return unicodedata.category(character) in INVISIBLE_CATEGORIES


def first_invisible(text: str) -> str | None:
    """The first character of `text` that a name may not hold, if any."""
    if text.isprintable():  # the common case, in C: no Cc, Cf, Zl, Zp (nor other spaces)
        return None
    return next((c for c in text if is_invisible(c)), None)


def has_visible(text: str) -> bool:
    """Whether `text` holds a character that is neither white space nor invisible."""
    if text.isprintable():  # in C: every character visible or an ASCII space
        return bool(text.strip(" "))
    return any(not c.isspace() and not is_invisible(c) for c in text)


def describe(character: str) -> str:
    """`U+200B ZERO WIDTH SPACE`: how an error names a character nobody can see."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".rstrip()


def party_key(name: str) -> str:
    """What two names of the same party have in common: NFC, no invisible characters."""
    normal = unicodedata.normalize("NFC", name)
    if first_invisible(normal) is None:
        return normal
    return "".join(c for c in normal if not is_invisible(c))


def find_party(name: str, parties: Iterable[str]) -> str | None:
    """The track's own spelling of the party `name` names, None if none is that party."""
    parties = list(parties)
    if name in parties:
        return name
    key = party_key(name)
    return next((party for party in parties if party_key(party) == key), None)
