"""Dashboard sessions: signed, expiring tokens in a cookie, revocable on sign-out.

A token is ``<session id>.<expiry>.<signature>``: the signature is HMAC-SHA256 under a key
derived from the server secret (:mod:`interlingua.server.store.secret`) *and* the admin key,
so every worker and instance sharing the store accepts it without shared session state,
and changing the admin key ends every session. Sign-out must also end this one session
everywhere, so its id goes on a deny list in the store (``il_store_meta`` rows named
``dashboard-logout:<id>`` whose value is the token's expiry; pruned once expired).

The CSRF token is derived from the session id (a synchronizer token nobody can compute
without the key), handed to the page by ``GET /ui/session`` and checked on every change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from interlingua.server.store import Store
from interlingua.server.store.schema import store_meta

__all__ = ["COOKIE", "Session", "SessionCodec", "SessionDenyList"]

COOKIE = "interlingua_session"
_DENY_PREFIX = "dashboard-logout:"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class Session:
    id: str
    expires_at: int  # Unix seconds
    csrf: str


class SessionCodec:
    """Issues and verifies tokens; pure computation (the deny list is separate)."""

    def __init__(self, server_secret: bytes, admin_key: str, ttl_s: int) -> None:
        self._key = hmac.new(
            server_secret, b"interlingua dashboard session\0" + admin_key.encode(), hashlib.sha256
        ).digest()
        self.ttl_s = ttl_s

    def _mac(self, label: str, text: str) -> str:
        return _b64(hmac.new(self._key, f"{label}\0{text}".encode(), hashlib.sha256).digest())

    def issue(self, now: float | None = None) -> tuple[str, Session]:
        sid = secrets.token_urlsafe(16)
        expires = int(now if now is not None else time.time()) + self.ttl_s
        body = f"{sid}.{expires}"
        return f"{body}.{self._mac('session', body)}", Session(sid, expires, self._mac("csrf", sid))

    def verify(self, token: str, now: float | None = None) -> Session | None:
        """The session ``token`` carries, or None if forged, malformed or expired."""
        sid, _, rest = token.partition(".")
        expires, _, signature = rest.partition(".")
        if not (sid and expires.isdigit() and signature):
            return None
        if not hmac.compare_digest(signature.encode(), self._mac("session", f"{sid}.{expires}").encode()):
            return None
        if int(expires) <= (now if now is not None else time.time()):
            return None
        return Session(sid, int(expires), self._mac("csrf", sid))


class SessionDenyList:
    """Signed-out sessions, in the store every process reads."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def revoke(self, session: Session, now: float | None = None) -> None:
        """Deny ``session`` until it expires (idempotent); prune entries that expired."""
        name = _DENY_PREFIX + session.id
        now = time.time() if now is None else now
        expired = store_meta.c.name.startswith(_DENY_PREFIX) & (store_meta.c.value < int(now))
        try:
            async with self._store.engine.begin() as conn:
                await conn.execute(delete(store_meta).where(expired | (store_meta.c.name == name)))
                await conn.execute(store_meta.insert().values(name=name, value=session.expires_at))
        except IntegrityError:
            pass  # a concurrent sign-out of the same session inserted it first

    async def revoked(self, session: Session) -> bool:
        async with self._store.engine.connect() as conn:
            found = await conn.scalar(
                select(store_meta.c.value).where(store_meta.c.name == _DENY_PREFIX + session.id)
            )
        return found is not None
