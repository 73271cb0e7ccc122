"""API tokens kept in the service's own database, beside the read model (`ntrack_tokens`).

Only the sha256 of a secret is stored, with who it belongs to, the role, when it was made
and when (if ever) it was revoked, under a short public id that `ntrack token list` shows
and `ntrack token revoke` takes. The secret itself is printed once, when it is created.

The table lives in the read model's database (SQLite file or PostgreSQL schema) and goes
through the ReadModelStore's connections; its name does not start with `rm_`, so read-model
rebuilds (which drop and swap the `rm_*` tables) never touch it.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from infra.readmodel import ReadModelStore

TABLE = "ntrack_tokens"

_DDL = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    id TEXT PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    principal TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT)"""

_COLUMNS = "id, digest, principal, role, created_at, revoked_at"


def secret_digest(secret: str) -> str:
    """The hex sha256 of a secret: what is stored, and what a presented secret is hashed to."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class StoredToken:
    id: str
    digest: str  # hex sha256 of the secret; never the secret
    principal: str
    role: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class TokenStore:
    """Create, list, revoke and load the stored tokens. Thread-safe as the store is.

    Writes go through `ReadModelStore.transaction()`; reads take the store's read path
    (on SQLite a plain BEGIN, so checking tokens never waits behind the projector's lock).
    """

    def __init__(self, store: ReadModelStore) -> None:
        self._store = store
        self.create_table()

    def create_table(self) -> None:
        # Several processes may start at once; on PostgreSQL two concurrent
        # CREATE TABLE IF NOT EXISTS can still collide, so a lost race is tried again.
        for attempt in range(3):
            try:
                with self._store.transaction() as tx:
                    tx.execute(_DDL)
                return
            except Exception:
                if attempt == 2:
                    raise

    def create(self, principal: str, role: str) -> tuple[StoredToken, str]:
        """A new token and its secret; the secret is not kept and cannot be shown again."""
        principal = principal.strip()
        if not principal:
            raise ValueError("the principal must not be empty")
        secret = new_secret()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._store.transaction() as tx:
            while True:
                token_id = secrets.token_hex(4)
                taken = tx.execute(f"SELECT 1 FROM {TABLE} WHERE id=?", (token_id,)).fetchall()
                if not taken:
                    break
            token = StoredToken(token_id, secret_digest(secret), principal, role, now)
            tx.execute(
                f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (token.id, token.digest, token.principal, token.role, token.created_at, None),
            )
        return token, secret

    def all(self) -> list[StoredToken]:
        rows = self._store.fetch(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY created_at, id")
        return [StoredToken(*row) for row in rows]

    def active(self) -> list[StoredToken]:
        return [token for token in self.all() if token.active]

    def get(self, token_id: str) -> StoredToken | None:
        rows = self._store.fetch(f"SELECT {_COLUMNS} FROM {TABLE} WHERE id=?", (token_id,))
        return StoredToken(*rows[0]) if rows else None

    def revoke(self, token_id: str) -> StoredToken | None:
        """Mark a token revoked (idempotent: the first revocation time stays); None if unknown."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._store.transaction() as tx:
            tx.execute(
                f"UPDATE {TABLE} SET revoked_at=? WHERE id=? AND revoked_at IS NULL",
                (now, token_id),
            )
            rows = tx.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE id=?", (token_id,)).fetchall()
        return StoredToken(*rows[0]) if rows else None
