"""Inbound authentication at the ASGI edge (:mod:`interlingua.server.edge`): who is calling, as a typed :class:`Principal`.

Clients present a key in their own convention: ``Authorization: Bearer`` (OpenAI SDKs,
Bedrock API keys), ``x-api-key`` (Anthropic), ``x-goog-api-key`` (Gemini), or Gemini's
``?key=`` query parameter (on Gemini paths only). Each presented value is offered to the
chain of :class:`Authenticator` s in order (static ``server.api_keys`` first; issued
virtual keys join the chain); the first that recognises it yields the principal, which
the pipeline reads with :func:`principal_of`. With no authenticator configured every
request is the anonymous principal. Otherwise a request without a recognised key gets
401 in its client's envelope, before its body is read: an unauthenticated client never
makes the gateway read or parse a body.

``/healthz`` and ``/readyz`` are open; surfaces with their own credentials (admin API,
metrics, dashboard) are listed in ``open_prefixes`` by the features that add them. Keys
are compared in constant time and never logged (there is no access log of URLs; errors
do not echo them).
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import parse_qsl

from hypercorn.typing import Scope

from interlingua.errors import AuthenticationFailed
from interlingua.server.config import Config
from interlingua.server.pipeline.context import ANONYMOUS, Principal
from interlingua.server.services import Services
from interlingua.server.surfaces import accepts_query_key

__all__ = [
    "Authenticator",
    "StaticKeys",
    "authenticate_scope",
    "build_authenticators",
    "is_open",
    "principal_of",
]

_SCOPE_KEY = "interlingua.principal"
_KEY_HEADERS = (b"authorization", b"x-api-key", b"x-goog-api-key")
_OPEN_PATHS = frozenset({"/healthz", "/readyz"})


def principal_of(scope: Any) -> Principal:
    found = scope.get(_SCOPE_KEY)
    return found if isinstance(found, Principal) else ANONYMOUS


class Authenticator(Protocol):
    """``authenticate``: the principal ``credential`` belongs to, None when this
    authenticator does not know it, or AuthenticationFailed when it knows and refuses it.
    An optional ``required`` attribute (default true) says whether requests need a key."""

    async def authenticate(self, credential: bytes) -> Principal | None: ...


class StaticKeys:
    """``server.api_keys``: named ``static-key-1``, ``static-key-2``, ... by position."""

    def __init__(self, keys: Sequence[str]) -> None:
        self._keys = [key.encode() for key in keys]
        self._principals = [Principal("static_key", f"static-key-{i + 1}") for i in range(len(keys))]

    async def authenticate(self, credential: bytes) -> Principal | None:
        # Compare against every key, so timing does not tell which (or whether one) matched.
        found = None
        for key, principal in zip(self._keys, self._principals, strict=True):
            if hmac.compare_digest(credential, key):
                found = principal
        return found


def build_authenticators(config: Config, services: Services) -> list[Authenticator]:
    """The chain for one config snapshot, in the order keys are tried."""
    chain: list[Authenticator] = []
    keys = [key.get_secret_value() for key in config.server.api_keys]
    if keys:
        chain.append(StaticKeys(keys))
    if services.keys is not None:
        chain.append(services.keys.authenticator)
    return chain


def presented_keys(scope: Any) -> list[bytes]:
    """Every value the request presents as a key, in the clients' conventions."""
    found: list[bytes] = []
    for name, value in scope["headers"]:
        if name not in _KEY_HEADERS:
            continue
        if name == b"authorization":
            scheme, _, value = value.partition(b" ")
            if scheme.lower() != b"bearer":
                continue
            value = value.strip()
        if value:
            found.append(value)
    query: bytes = scope["query_string"]
    # find(), not ``in`` (which raises and clears a TypeError per call in CPython 3.11).
    if query and query.find(b"key=") >= 0 and accepts_query_key(scope["path"]):
        found.extend(v.encode() for n, v in parse_qsl(query.decode("latin-1")) if n == "key" and v)
    return found


def is_open(path: str, open_prefixes: tuple[str, ...]) -> bool:
    """Whether ``path`` needs no client key (health checks; surfaces with their own credentials)."""
    return path in _OPEN_PATHS or (bool(open_prefixes) and path.startswith(open_prefixes))


async def authenticate_scope(chain: Sequence[Authenticator], scope: Any) -> AuthenticationFailed | None:
    """Put the request's principal in ``scope`` for :func:`principal_of`; the refusal to send
    instead (no recognised key where one is required; an issued key expired, disabled, ...).
    ``chain``: the current snapshot's, so a reload changes keys at once.

    Where no key is required the request is anonymous, but a key the chain knows is still
    honoured: a worker that has not yet seen the first issued key (revision poll) must
    still apply that key's limits. (One function, not three: every request runs it.)"""
    required = False
    for authenticator in chain:
        # Issued keys require a key only once one was issued (a fresh store leaves the gateway open).
        if getattr(authenticator, "required", True):
            required = True
            break
    try:
        principal = await _authenticate(chain, scope)
    except AuthenticationFailed as err:
        return err if required else None
    if principal is not None:
        scope[_SCOPE_KEY] = principal
        return None
    return AuthenticationFailed("invalid or missing API key for this gateway") if required else None


async def _authenticate(chain: Sequence[Authenticator], scope: Scope) -> Principal | None:
    """The first principal a presented key belongs to. An authenticator may raise
    AuthenticationFailed for a key it recognises but refuses (expired, revoked): raised
    when no other presented key is valid."""
    refused: AuthenticationFailed | None = None
    for credential in presented_keys(scope):
        for authenticator in chain:
            try:
                principal = await authenticator.authenticate(credential)
            except AuthenticationFailed as exc:
                refused = refused or exc
                break
            if principal is not None:
                return principal
    if refused is not None:
        raise refused
    return None
