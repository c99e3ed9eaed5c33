"""The one admin authentication check: the admin API (``/admin/keys``, ``/admin/targets``),
the request history and summary, and the dashboard (``/ui``) all call :meth:`AdminGuard.check`.
Admin surfaces are served only while ``admin.api_key`` is set (404 otherwise); the key is
read from the current config, so a reload applies. Client keys never open them, and the
admin key is not a client key.

A request is the admin's when it carries either

- ``Authorization: Bearer <admin.api_key>`` (scripts, the CLI; no CSRF question arises,
  since a browser never adds that header on its own), or
- a valid dashboard session cookie (:mod:`.dashboard.session`; sessions need the store, where
  signed-out sessions are listed) that was not signed out; then every
  request that can change something (not GET/HEAD) must also come from the gateway's own
  origin (``Origin`` equal to the ``Host`` it was sent to) and carry the session's CSRF
  token in ``X-CSRF-Token``. Either failure is 403.

Keys are compared as SHA-256 digests in constant time, so neither the key nor its length
shows in the timing.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import orjson
from quart import Response, request

from interlingua.server.dashboard.session import COOKIE, Session, SessionCodec, SessionDenyList

if TYPE_CHECKING:
    from interlingua.server.state import StateHolder

__all__ = ["ADMIN_PREFIX", "CSRF_HEADER", "AdminGuard", "admin_check", "same_origin"]

ADMIN_PREFIX = "/admin/"

CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _denied(status: int, kind: str, message: str) -> Response:
    body = {"error": {"type": kind, "message": message, "param": None}}
    headers = {"content-type": "application/json"}
    if status == 401:
        headers["www-authenticate"] = "Bearer"
    return Response(orjson.dumps(body), status=status, headers=headers)


def same_origin() -> bool:
    """The request's ``Origin`` names the host it was sent to (browsers always send it on
    cross-site and state-changing requests; its absence is refused, not trusted)."""
    origin = request.headers.get("origin", "")
    return bool(origin) and urlsplit(origin).netloc.lower() == request.host.lower()


class AdminGuard:
    """Over the *current* config (a reload that changes or removes ``admin.api_key`` applies
    at once, and ends every session) and the process's store. Cheap to make: one per
    request is fine (:func:`admin_check`)."""

    def __init__(self, holder: StateHolder) -> None:
        admin = holder.config.admin
        keys = holder.services.keys
        self.served = admin.api_key is not None
        # Sign-in needs the store: it keeps the list of signed-out sessions.
        self.sessions = self.served and keys is not None
        key = admin.api_key.get_secret_value() if admin.api_key is not None else ""
        self._key_digest = _digest(key)
        secret = keys.store.secret if keys is not None else b""
        self.codec = SessionCodec(secret, key, admin.session_hours * 3600)
        self._deny = SessionDenyList(keys.store) if keys is not None else None

    @property
    def deny(self) -> SessionDenyList:
        assert self._deny is not None, "no store: no dashboard sessions"
        return self._deny

    def key_matches(self, presented: str) -> bool:
        return self.served and hmac.compare_digest(_digest(presented), self._key_digest)

    async def session(self) -> Session | None:
        """The request's live session (signed, unexpired, not signed out), if any."""
        token = request.cookies.get(COOKIE)
        session = self.codec.verify(token) if token and self.sessions else None
        if session is None or await self.deny.revoked(session):
            return None
        return session

    async def check(self) -> Response | None:
        """None when the request is the admin's; else the error response (404, 401 or 403).
        Shaped for ``Blueprint.before_request``: a returned response ends the request."""
        if not self.served:
            return _denied(404, "not_found_error", "no such endpoint (the admin API needs admin.api_key)")
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme:
            if scheme.lower() == "bearer" and self.key_matches(value.strip()):
                return None
            return _denied(401, "authentication_error", "invalid or missing admin key")
        session = await self.session()
        if session is None:
            return _denied(401, "authentication_error", "invalid or missing admin key or session")
        if request.method in _SAFE_METHODS:
            return None
        if not same_origin():
            return _denied(403, "permission_error", "cross-origin request refused")
        token = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(token.encode(), session.csrf.encode()):
            return _denied(403, "permission_error", "missing or invalid CSRF token (X-CSRF-Token)")
        return None


def admin_check(holder: StateHolder) -> Callable[[], Awaitable[Response | None]]:
    """The check as a ``before_request`` function of a blueprint over ``holder``."""

    async def check() -> Response | None:
        return await AdminGuard(holder).check()

    return check
