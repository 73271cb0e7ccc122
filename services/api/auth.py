"""Bearer tokens and roles (API.md "Authentication"). Secrets are kept only as hashes."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

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


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class TokenBook:
    """Who a presented secret belongs to; compared in constant time against every entry."""

    def __init__(self, entries: list[tuple[bytes, Principal]]) -> None:
        self._entries = entries

    @classmethod
    def from_setting(cls, value: str) -> TokenBook:
        entries = []
        for item in filter(None, (part.strip() for part in value.split(","))):
            principal, sep, rest = item.partition(":")
            role, sep2, secret = rest.partition(":")
            if not (sep and sep2 and principal and secret):
                raise TokenConfigError(
                    "NTRACK_API_TOKENS entries must be principal:role:secret "
                    f"(entry for {principal or '?'!r} is not)")
            if role not in ROLES:
                raise TokenConfigError(f"unknown role {role!r} for {principal!r}; use {ROLES}")
            entries.append((digest(secret), Principal(principal, role)))
        return cls(entries)

    def identify(self, secret: str) -> Principal | None:
        presented = digest(secret)
        found = None
        for stored, principal in self._entries:
            if hmac.compare_digest(stored, presented) and found is None:
                found = principal
        return found
