"""The secrets a config document holds, so that no message about the config repeats them.

Validation messages never quote values (``include_input=False``), but a key pasted in the
wrong place becomes a field name or a provider name, which messages do quote. Every string
under a key that names a credential (``api_key``, ``api_keys``, ``secret_access_key``,
``session_token``, an ``Authorization`` or ``x-api-key`` header, ...) is masked wherever it
appears in a message.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = ["MASK", "scrub", "secret_values"]

MASK = "***"
_SECRET_KEY = re.compile(r"(?:^|[-_])(?:key|keys|secret|secret_key|token|password)$|^authorization$", re.I)
_MIN_LENGTH = 4  # shorter values would mask ordinary words in the message


def secret_values(document: Any) -> frozenset[str]:
    """Every string under a credential-named key, at any depth."""
    return frozenset(value for value in _walk(document, secret=False) if len(value) >= _MIN_LENGTH)


def _walk(value: Any, *, secret: bool) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _walk(inner, secret=secret or bool(_SECRET_KEY.search(str(key))))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, secret=secret)
    elif secret and isinstance(value, str):
        yield value


def scrub(text: str, secrets: frozenset[str]) -> str:
    """``text`` with each of ``secrets`` replaced by ``***`` (longest first: one may contain another)."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
