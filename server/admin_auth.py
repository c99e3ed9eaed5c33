"""The admin key check shared by the admin endpoints (``admin.api_key``).

Admin endpoints (``/admin/*``) are served only when ``admin.api_key`` is set and answer
only ``Authorization: Bearer <admin key>``, compared in constant time. Client keys
(``server.api_keys``) never open them, and the admin key is not a client key.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable

from pydantic import SecretStr

__all__ = ["ADMIN_PREFIX", "admin_authorized"]

ADMIN_PREFIX = "/admin/"


def admin_authorized(headers: Iterable[tuple[bytes, bytes]], key: SecretStr | None) -> bool:
    """Whether ``headers`` carry ``Authorization: Bearer <key>`` (never, without a key)."""
    if key is None:
        return False
    expected = key.get_secret_value().encode()
    for name, value in headers:
        if name.lower() == b"authorization":
            scheme, _, token = value.partition(b" ")
            if scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), expected):
                return True
    return False
