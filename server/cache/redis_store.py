"""Cached answers in Redis, shared by every gateway instance (``redis.url``).

Entries are the answers' IR as JSON under ``interlingua:cache:<partition>:<model>:<hash>``
and expire with their route's ``ttl_s`` on Redis's clock; Redis's own memory policy bounds
their number (``routing.cache.max_entries`` bounds the in-memory store only). The partition
is an HMAC of the caller's key under the server secret (:mod:`interlingua.server.store.secret`),
so Redis holds neither a key nor a hash anyone could test guesses against without the secret;
instances sharing entries must share the secret.

Redis unreachable: a lookup is a miss and an answer is not kept, logged once (and once when
it is back); after a failure Redis is left alone for a second, so requests do not each wait
for a dead server.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from interlingua.server.redis_client import REDIS_ERRORS
from interlingua.server.redis_outage import Outage

if TYPE_CHECKING:
    from interlingua.server.redis_client import RedisClient

__all__ = ["RedisCache"]

log = logging.getLogger("interlingua.server")

_PREFIX = "interlingua:cache:"


class RedisCache:
    def __init__(self, client: RedisClient, secret: bytes) -> None:
        self._client = client
        self.secret = secret  # partitions: HMAC of the caller's key
        self._outage = Outage(
            log,
            "response cache: Redis unreachable (%s): every lookup misses until it is back",
            "response cache: Redis reachable again",
        )

    async def get(self, key: str) -> Any | None:
        if self._outage.waiting():
            return None
        try:
            data = await self._client.get(_PREFIX + key)
        except REDIS_ERRORS as exc:
            self._outage.failed(exc)
            return None
        self._outage.recovered()
        return None if data is None else orjson.loads(data)

    async def put(self, key: str, value: Any, ttl_s: float) -> None:
        if self._outage.waiting():
            return
        try:
            await self._client.set(_PREFIX + key, orjson.dumps(value), px=max(1, int(ttl_s * 1000)))
        except REDIS_ERRORS as exc:
            self._outage.failed(exc)
            return
        self._outage.recovered()
