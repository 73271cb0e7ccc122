"""Bearer tokens and roles (API.md "Authentication"). Secrets are kept only as hashes.

Tokens come from NTRACK_API_TOKENS and from the database (`ntrack token create`). Every
comparison is constant-time over every entry; the database's active tokens are cached for
a few seconds, so a revocation takes effect within `cache_seconds`, and a token just created
is picked up on its first use (a miss reloads, at most once per `miss_reload_seconds`).
Secrets and Authorization headers are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from services.ports import StoredToken

log = logging.getLogger(__name__)

ROLES = ("reader", "recorder", "auditor", "admin")

# What each role may do, beyond itself: recorder and auditor both include reader.
_GRANTS = {
    "reader": {"reader"},
    "recorder": {"reader", "recorder"},
    "auditor": {"reader", "auditor"},
    "admin": set(ROLES),
}


class TokenConfigError(ValueError):
    """NTRACK_API_TOKENS is malformed."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def may(self, role: str) -> bool:
        return role in _GRANTS[self.role]


ANONYMOUS = Principal("anonymous", "reader")

# The pages' sign-in cookie (`/signin`): it keeps a token for the browser session.
SESSION_COOKIE = "ntrack_session"
_API = "/v1"


def credential(path: str, authorization: str | None, cookies: Mapping[str, str]) -> str | None:
    """What a request to `path` presents as its credential, as an Authorization value.

    The header, if sent; else, on a page (outside /v1) only, the token the sign-in cookie
    keeps. The JSON API takes bearer tokens only: a cookie that a browser sends by itself
    never authorises an API call, so no other site can make a browser write (no CSRF)."""
    if authorization is not None or path == _API or path.startswith(_API + "/"):
        return authorization
    kept = cookies.get(SESSION_COOKIE)
    return f"Bearer {kept}" if kept else None


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class StoredTokens(Protocol):
    """What the TokenBook needs of the token store (`services.ports.TokenStore`)."""

    def active(self) -> Sequence[StoredToken]: ...


class TokenBook:
    """Who a presented secret belongs to; compared in constant time against every entry."""

    def __init__(
        self,
        entries: list[tuple[bytes, Principal]],
        *,
        store: StoredTokens | None = None,
        cache_seconds: float = 5.0,
        miss_reload_seconds: float = 0.5,
    ) -> None:
        self._entries = entries
        self._store = store
        self._cache_seconds = cache_seconds
        self._miss_reload_seconds = miss_reload_seconds
        self._cached: list[tuple[bytes, Principal]] | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def attach(self, store: StoredTokens) -> None:
        """Also accept the active tokens of this store (the service's database)."""
        with self._lock:
            self._store = store
            self._cached = None

    def invalidate(self) -> None:
        """Forget the cached stored tokens: the next check reloads them."""
        with self._lock:
            self._cached = None

    @classmethod
    def from_setting(cls, value: str) -> TokenBook:
        entries = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            principal, sep, rest = item.partition(":")
            role, sep2, secret = rest.partition(":")
            if not (sep and sep2 and principal and secret):
                raise TokenConfigError(
                    "NTRACK_API_TOKENS entries must be principal:role:secret "
                    f"(entry for {principal or '?'!r} is not)"
                )
            if role not in ROLES:
                raise TokenConfigError(f"unknown role {role!r} for {principal!r}; use {ROLES}")
            entries.append((digest(secret), Principal(principal, role)))
        return cls(entries)

    def identify(self, secret: str) -> Principal | None:
        presented = digest(secret)
        found = _match(self._entries, presented)
        if found is not None or self._store is None:
            return found
        found = _match(self._stored(max_age=self._cache_seconds), presented)
        if found is None:  # perhaps created since the last load
            found = _match(self._stored(max_age=self._miss_reload_seconds), presented)
        return found

    def identify_cached(self, secret: str) -> tuple[Principal | None, bool]:
        """`identify` without I/O: the principal, and whether the stored tokens must be
        (re)loaded to be sure -- then call `identify` where blocking is fine."""
        presented = digest(secret)
        found = _match(self._entries, presented)
        if found is not None or self._store is None:
            return found, False
        with self._lock:
            cached, age = self._cached, time.monotonic() - self._loaded_at
        if cached is None or age >= self._cache_seconds:
            return None, True
        found = _match(cached, presented)
        return found, found is None and age >= self._miss_reload_seconds

    def _stored(self, max_age: float) -> list[tuple[bytes, Principal]]:
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._loaded_at < max_age:
                return self._cached
            assert self._store is not None
            try:
                rows = self._store.active()
            except Exception:
                if self._cached is None:
                    raise  # the store is unreachable and nothing is known: 503, not 401
                log.warning(
                    "cannot reload the stored API tokens; using the ones loaded %.0f s ago",
                    now - self._loaded_at,
                )
                self._loaded_at = now
                return self._cached
            self._cached = [
                (bytes.fromhex(row.digest), Principal(row.principal, row.role))
                for row in rows
                if row.role in ROLES
            ]
            self._loaded_at = now
            return self._cached


def _match(entries: list[tuple[bytes, Principal]], presented: bytes) -> Principal | None:
    """The first entry whose digest equals `presented`; every entry is compared, in
    constant time, so the time taken says nothing about which (if any) matched."""
    found = None
    for stored, principal in entries:
        if hmac.compare_digest(stored, presented) and found is None:
            found = principal
    return found
