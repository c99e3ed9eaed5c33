"""``x-request-id`` on every response: the client's (if printable ASCII, at most 128
characters) or a new ``req_<24 hex>``, assigned and sent by the edge
(:mod:`interlingua.server.edge`). Handlers and the pipeline read it with :func:`request_id_of`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, MutableMapping
from typing import Any

__all__ = ["assign_request_id", "request_id_of"]

_SCOPE_KEY = "interlingua.request_id"


def request_id_of(scope: MutableMapping[str, Any] | Any) -> str:
    value = scope.get(_SCOPE_KEY)
    return value if isinstance(value, str) else ""


def _client_request_id(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    for name, value in headers:
        if name == b"x-request-id":
            if 0 < len(value) <= 128 and value.isascii() and all(32 < c < 127 for c in value):
                return value
            return None
    return None


def assign_request_id(scope: MutableMapping[str, Any] | Any) -> bytes:
    """The request's id (put in the scope for :func:`request_id_of`), as the edge
    (:mod:`interlingua.server.edge`) sends it in ``x-request-id``."""
    request_id = _client_request_id(scope["headers"])
    if request_id is None:  # a new one: req_ and 96 random bits in hex (written out: a call less)
        text = "req_" + os.urandom(12).hex()
        scope[_SCOPE_KEY] = text
        return text.encode()
    scope[_SCOPE_KEY] = request_id.decode()
    return request_id
