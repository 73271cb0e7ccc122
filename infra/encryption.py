"""Optional encryption at rest: NTRACK_ENCRYPTION_KEY -> the library's AES-GCM cipher.

With a key, every stored event and snapshot is encrypted by the eventsourcing library's
`AESCipher` (pycryptodome, the `crypto` extra) before it reaches the database; the hash
chain is computed over the decoded events, so `verify` is unchanged. A malformed key, a
missing package or a key that does not open the stored events is a clear startup error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from infra.stores import StoreConfigError

CIPHER_TOPIC = "eventsourcing.cipher:AESCipher"
KEY_SIZES = (16, 24, 32)


def cipher_env(key: str | None) -> dict[str, str]:
    """The library environment for `key` (none without a key); StoreConfigError if unusable."""
    if not key:
        return {}
    key = key.strip()
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise StoreConfigError(
            "NTRACK_ENCRYPTION_KEY must be base64 of 16, 24 or 32 random bytes, e.g. from "
            'python -c "import base64,os;print(base64.b64encode(os.urandom(32)).decode())"'
        ) from None
    if len(raw) not in KEY_SIZES:
        raise StoreConfigError(
            f"NTRACK_ENCRYPTION_KEY decodes to {len(raw)} bytes; an AES key has 16, 24 or 32"
        )
    try:
        import Crypto.Cipher.AES  # noqa: F401 - the library's AESCipher needs pycryptodome
    except ImportError:
        raise StoreConfigError(
            "NTRACK_ENCRYPTION_KEY needs pycryptodome: pip install 'negotiation-tracker[crypto]'"
        ) from None
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key}


def check_readable(app: Any, *, encrypted: bool) -> None:
    """Decode the first stored event, so a wrong (or missing) key fails at startup, not on
    the first read. An empty store passes."""
    notifications = app.recorder.select_notifications(start=None, limit=1)
    if not notifications:
        return
    try:
        app.mapper.to_domain_event(notifications[0])
    except Exception as e:
        hint = (
            "NTRACK_ENCRYPTION_KEY is not the key they were written with, or they were "
            "written unencrypted"
            if encrypted
            else "they may have been written encrypted: set NTRACK_ENCRYPTION_KEY"
        )
        raise StoreConfigError(
            f"cannot decode the stored events ({type(e).__name__}): {hint}"
        ) from None
