"""Issued key strings: ``il-<public id>-<secret>``.

The public id (12 characters) finds the key's row; the secret (40 characters) is checked
as HMAC-SHA256 under the server secret, so a stolen database alone does not give keys
away, and a leaked key is recognisable (``il-``) and attributable (public id) without
revealing anything. Only the public id and the secret's last four characters are shown.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

__all__ = ["PREFIX", "display", "full_key", "hash_secret", "new_key", "parse_key", "secret_matches"]

_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_ID_LEN = 12
_SECRET_LEN = 40
PREFIX = "il-"


def new_key() -> tuple[str, str]:
    """A fresh ``(public id, secret)``."""
    public_id = "".join(secrets.choice(_ALPHABET) for _ in range(_ID_LEN))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LEN))
    return public_id, secret


def full_key(public_id: str, secret: str) -> str:
    return f"{PREFIX}{public_id}-{secret}"


def parse_key(presented: str) -> tuple[str, str] | None:
    """``(public id, secret)`` of a well-formed issued key, else None."""
    if not presented.startswith(PREFIX) or len(presented) != len(PREFIX) + _ID_LEN + 1 + _SECRET_LEN:
        return None
    public_id, sep, secret = presented[len(PREFIX) :].partition("-")
    if not sep or len(public_id) != _ID_LEN or not public_id.isalnum() or not secret.isalnum():
        return None
    return public_id, secret


def hash_secret(server_secret: bytes, secret: str) -> str:
    return hmac.new(server_secret, secret.encode(), hashlib.sha256).hexdigest()


def secret_matches(server_secret: bytes, secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(server_secret, secret), stored_hash)


def display(public_id: str, last4: str) -> str:
    """How a key is shown anywhere after creation."""
    return f"{PREFIX}{public_id}-…{last4}"
