"""The edge authenticator chain: which key a client presented, and whose it is.

Clients present keys in their own convention: ``Authorization: Bearer`` (OpenAI SDKs),
``x-api-key`` (Anthropic), ``x-goog-api-key`` or, on Gemini routes, the ``key`` query
parameter. Static ``server.api_keys`` are compared first, in constant time against every
one of them; then issued keys (``il-...``) through :class:`VirtualKeyAuthenticator`.

A key is required when static keys are configured or any key was ever issued on the
store. With neither, the gateway is open and requests run as the anonymous principal.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Sequence
from urllib.parse import parse_qsl

from interlingua.errors import AuthenticationFailed
from interlingua.server.keys.authenticator import VirtualKeyAuthenticator
from interlingua.server.keys.tokens import PREFIX
from interlingua.server.pipeline.context import ANONYMOUS, Principal

__all__ = ["EdgeAuth", "presented_keys"]

_KEY_HEADERS = (b"authorization", b"x-api-key", b"x-goog-api-key")
_VIRTUAL_PREFIX = PREFIX.encode()


def presented_keys(headers: Iterable[tuple[bytes, bytes]], path: str, query: bytes) -> Iterator[bytes]:
    """Every key the request carries, in header order, then Gemini's ``?key=``."""
    for name, value in headers:
        if name not in _KEY_HEADERS:
            continue
        if name == b"authorization":
            scheme, _, value = value.partition(b" ")
            if scheme.lower() != b"bearer":
                continue
            value = value.strip()
        if value:
            yield value
    # Gemini's SDKs and curl examples may pass the key as ?key=...
    gemini = path.startswith("/v1beta/") or (path.startswith("/v1/models/") and ":" in path)
    if gemini and b"key=" in query:
        for param, text in parse_qsl(query.decode("latin-1")):
            if param == "key" and text:
                yield text.encode("latin-1")


class EdgeAuth:
    def __init__(self, static_keys: Sequence[str], virtual: VirtualKeyAuthenticator | None = None) -> None:
        self._static = [key.encode() for key in static_keys]
        self.virtual = virtual

    @property
    def required(self) -> bool:
        return bool(self._static) or (self.virtual is not None and self.virtual.any_keys)

    def _static_index(self, value: bytes) -> int | None:
        # Compare against every key, so timing does not tell which (or whether one) matched.
        found = None
        for i, key in enumerate(self._static):
            if hmac.compare_digest(value, key):
                found = i
        return found

    async def principal(self, headers: Iterable[tuple[bytes, bytes]], path: str, query: bytes) -> Principal:
        """The principal of the first valid key; AuthenticationFailed when a key is required
        and none is valid (an issued key's own problem, such as expiry, is reported)."""
        if not self.required:
            return ANONYMOUS
        failure: AuthenticationFailed | None = None
        for value in presented_keys(headers, path, query):
            index = self._static_index(value)
            if index is not None:
                return Principal("static_key", f"static-key-{index + 1}")
            if self.virtual is not None and value.startswith(_VIRTUAL_PREFIX):
                try:
                    return await self.virtual.authenticate_key(value.decode("ascii", "replace"))
                except AuthenticationFailed as exc:
                    failure = failure or exc
        if failure is not None:
            raise failure
        raise AuthenticationFailed("invalid or missing API key for this gateway")
