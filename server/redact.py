"""Removing upstream secrets from anything relayed to a client or written to a log.

An upstream may quote the credential it received: an error message ("invalid key
sk-..."), a non-JSON error page, a rate-limit header. Every configured secret of a
provider (its API key, AWS secret and session token, configured header values) is
replaced by ``[redacted]`` wherever the gateway relays upstream text it did not
translate: error bodies and messages, relayed response headers. Successful bodies are
not scanned (an upstream has no reason to echo a key there, and scanning them would
cost every request).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[redacted]"
# Shorter values (a header like "1") are not secrets and would redact ordinary text.
_MIN_SECRET_CHARS = 8


class Redactor:
    __slots__ = ("_bytes", "_text")

    def __init__(self, secrets: Iterable[str | None]) -> None:
        unique = {s for s in secrets if s and len(s) >= _MIN_SECRET_CHARS}
        # Longest first: a secret that contains another is replaced whole.
        self._text = sorted(unique, key=len, reverse=True)
        self._bytes = [s.encode() for s in self._text]

    def __bool__(self) -> bool:
        return bool(self._text)

    def text(self, value: str) -> str:
        for secret in self._text:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def data(self, value: bytes) -> bytes:
        for secret in self._bytes:
            if secret in value:
                value = value.replace(secret, REDACTED.encode())
        return value
