"""The virtual-key authenticator: an issued key (``il-<id>-<secret>``) -> a ``Principal``.

Lookups hit a per-process cache keyed by public id; a cache miss reads the one row. The
cache is dropped whenever the store's key revision moves (every create, update and
revoke bumps it, in the same transaction); each process polls the revision every
``store.revision_poll_ms`` (250 ms by default), so a revoked or disabled key stops
working on every worker and every instance sharing the store within that interval plus
one query, never relying on a TTL.

Expiry is checked on every request against the clock (no store round trip). Unknown ids
are cached too (as "absent") until the next revision change, so guessing keys does not
turn into one query per request.

A presented key whose secret verified is remembered (the exact bytes presented -> its
record) in a second cache dropped with the first, so a key's next request skips parsing
and the HMAC; revocation, disabling and rotation bump the revision, so they take effect
exactly as before. Only verified keys go in: wrong secrets are checked every time. The
presented bytes are the dictionary key: the key string already sits in this process's
memory on every request, and a hash of it would cost another digest per request.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable
from datetime import UTC, datetime

from interlingua.errors import AuthenticationFailed
from interlingua.server.background import cancel_and_wait
from interlingua.server.keys.model import VirtualKey
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.keys.tokens import PREFIX, parse_key, secret_matches
from interlingua.server.pipeline.context import Principal

__all__ = ["VirtualKeyAuthenticator", "principal_of"]

log = logging.getLogger("interlingua.keys")

_MAX_CACHED = 10_000
_PREFIX = PREFIX.encode()


def principal_of(key: VirtualKey) -> Principal:
    """What the rest of the request sees: the key's name and public id, and the record
    (allowed models, limits, budget) for the admit hooks; never the secret or its hash."""
    return Principal("virtual_key", key.name, key.id, {"key": key})


class VirtualKeyAuthenticator:
    def __init__(self, repo: KeyRepository, *, poll_s: float = 0.25) -> None:
        self.repo = repo
        self._poll_s = poll_s
        # public id -> (record, its principal) or None (no such key)
        self._cache: dict[str, tuple[VirtualKey, Principal] | None] = {}
        # presented key (verified) -> its record and principal; cleared with _cache
        self._verified: dict[bytes, tuple[VirtualKey, Principal]] = {}
        self._revision = -1
        self._task: asyncio.Task[None] | None = None
        self._failing = False
        self._seen = False
        self._waiting: list[weakref.WeakMethod[Callable[[], None]]] = []

    @property
    def keys_seen(self) -> bool:
        """A key was issued: the store's revision says so, or one authenticated (a key
        created on another process may authenticate here before the next poll)."""
        return self._seen or self._revision > 0

    def when_keys(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (a bound method, held weakly) once a key is seen: at once if
        one was, else from the poll that sees the revision move or, at the latest, from
        the first authentication of a key, before it returns its principal."""
        if self.keys_seen:
            callback()
        else:
            self._waiting.append(weakref.WeakMethod(callback))

    def _notify(self) -> None:
        waiting, self._waiting = self._waiting, []
        for ref in waiting:
            callback = ref()
            if callback is not None:
                callback()

    @property
    def any_keys(self) -> bool:
        """A key was ever issued on this store (then every request needs a key)."""
        return self._revision > 0

    async def start(self) -> None:
        await self.refresh()
        self._task = asyncio.create_task(self._poll(), name="interlingua-keys-revision")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def refresh(self) -> None:
        revision = await self.repo.store.revision()
        if revision != self._revision:
            self._cache.clear()
            self._verified.clear()
            self._revision = revision
            if revision > 0 and self._waiting:
                self._notify()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self.refresh()
            except Exception as exc:
                if not self._failing:  # once per outage, not every poll
                    log.warning("keys: cannot read the store's key revision (%s); using cached keys", exc)
                self._failing = True
            else:
                if self._failing:
                    log.info("keys: store reachable again")
                self._failing = False

    @property
    def required(self) -> bool:
        """Whether the gateway must refuse requests without a key (one was ever issued)."""
        return self._revision > 0  # (any_keys, read on every request: a property call less)

    async def authenticate(self, credential: bytes) -> Principal | None:
        """The edge chain's interface: None for what is not an issued key (another
        authenticator may know it); an issued key that fails raises AuthenticationFailed."""
        found = self._verified.get(credential)
        if found is None:
            if not credential.startswith(_PREFIX):
                return None
            revision = self._revision
            found = await self._verify(credential.decode("ascii", "replace"))
            # A revision change while we read may mean the record is already stale.
            if revision == self._revision:
                if len(self._verified) >= _MAX_CACHED:
                    self._verified.clear()
                self._verified[credential] = found
        return self._usable(found)

    async def authenticate_key(self, presented: str) -> Principal:
        """The principal of a valid, usable issued key; AuthenticationFailed otherwise."""
        return self._usable(await self._verify(presented))

    async def _verify(self, presented: str) -> tuple[VirtualKey, Principal]:
        """The record of an issued key whose secret matches; AuthenticationFailed otherwise."""
        parsed = parse_key(presented)
        if parsed is None:
            raise AuthenticationFailed("invalid API key")
        public_id, secret = parsed
        found = await self._lookup(public_id)
        if found is None or not secret_matches(self.repo.store.secret, secret, found[0].secret_hash):
            raise AuthenticationFailed("invalid API key")
        if not self._seen:
            self._seen = True
            self._notify()
        return found

    @staticmethod
    def _usable(found: tuple[VirtualKey, Principal]) -> Principal:
        """Its principal, unless the key expired, was disabled or revoked (checked every time:
        expiry needs no revision change)."""
        key, principal = found
        if key.expires_at is not None or not key.enabled or key.revoked_at is not None:
            reason = key.usable(datetime.now(UTC))
            if reason is not None:
                raise AuthenticationFailed(f"this API key is {reason}")
        return principal

    async def _lookup(self, public_id: str) -> tuple[VirtualKey, Principal] | None:
        try:
            return self._cache[public_id]
        except KeyError:
            pass
        revision = self._revision
        key = await self.repo.get(public_id)
        found = (key, principal_of(key)) if key is not None else None
        # A revision change while we read may mean the row we got is already stale.
        if revision == self._revision:
            if len(self._cache) >= _MAX_CACHED:
                self._cache.clear()
            self._cache[public_id] = found
        return found
