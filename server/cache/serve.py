"""The response cache at work: look a request up, replay a hit, record a fresh answer.

A hit is replayed in the caller's format (whole, or streamed through the caller format's
stream encoder when the caller streams), under the model name it asked for, with
``x-interlingua-cache: hit``; a cacheable request that missed carries ``miss``. A request
with ``cache-control: no-cache`` is not looked up (its fresh answer is still recorded).
Only complete answers are recorded: errors, streams that failed or stopped short, and
answers over ``routing.cache.max_entry_bytes`` never are. Streams are recorded from the
bytes the client received, decoded with the client format's own stream decoder, as they
pass; Gemini JSON-array streams and Bedrock's binary streams are served but not recorded.

Entries live in this process's memory (a bounded LRU), or in Redis when ``redis.url`` is
set (:mod:`.redis_store`: every worker and instance shares them).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from interlingua.server.cache.answer import events_to_response, response_to_events
from interlingua.server.cache.key import cache_key, partition
from interlingua.server.cache.store import MemoryCache
from interlingua.server.config.routing import CacheStoreConfig, RouteCache
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.streams.events import EventCollector, IREvent, replay
from interlingua.streams.sse import SSEParser
from interlingua.streams.translator import Decoder, make_decoder, make_encoder
from interlingua.translate import Format, Policy, converter

if TYPE_CHECKING:
    from interlingua.server.cache.redis_store import RedisCache

__all__ = ["Recorder", "ResponseCache"]

log = logging.getLogger("interlingua.server")

_UNRECORDED_STREAMS = frozenset({Format.BEDROCK_CONVERSE})


class ResponseCache:
    """``shared``: the Redis store (None: this process's memory)."""

    def __init__(self, config: CacheStoreConfig, shared: RedisCache | None = None) -> None:
        self.store = MemoryCache(config.max_entries)
        self.shared = shared
        # Partitions are HMACs of callers' keys: under the server secret when instances share
        # entries, else under a secret of this process (entries are its own anyway).
        self.secret = shared.secret if shared is not None else secrets.token_bytes(32)
        self.max_entry_bytes = config.max_entry_bytes

    async def get(self, key: str) -> Any | None:
        return self.store.get(key) if self.shared is None else await self.shared.get(key)

    async def put(self, key: str, ir: dict[str, Any], ttl_s: float) -> None:
        if self.shared is None:
            self.store.put(key, ir, ttl_s)
        else:
            await self.shared.put(key, ir, ttl_s)

    def recorder(
        self,
        route_cache: RouteCache,
        call: ClientCall,
        policy: Policy,
        headers: Iterable[tuple[bytes, bytes]],
        query: bytes,
    ) -> Recorder | None:
        """The request's recorder (None when it cannot be keyed)."""
        part = partition(headers, query, route_cache.shared, self.secret)
        key = cache_key(call.fmt, call.body, call.model, policy, part)
        if key is None:
            return None
        bypass = any(n == b"cache-control" and b"no-cache" in v.lower() for n, v in headers)
        return Recorder(self, key, route_cache.ttl_s, call, policy, bypass)


@dataclass(slots=True)
class Recorder:
    cache: ResponseCache
    key: str
    ttl_s: float
    call: ClientCall
    policy: Policy
    bypass: bool

    async def hit(self) -> dict[str, Any] | None:
        """The cached IR response, if any (never for a ``no-cache`` request)."""
        found = None if self.bypass else await self.cache.get(self.key)
        return found if isinstance(found, dict) else None

    def replay(self, ir: dict[str, Any], include_usage: bool) -> bytes | None:
        """The hit in the caller's format: a JSON body, or the whole SSE stream."""
        call, ir = self.call, {**ir, "model": self.call.model}
        if not call.stream:
            return orjson.dumps(converter(call.fmt).response_from_ir(ir, self.policy, []))
        events = response_to_events(ir)
        if events is None:
            return None
        encoder = make_encoder(call.fmt.value, self.policy, model=call.model, include_usage=include_usage)
        replay(events, encoder)  # type: ignore[arg-type]
        return encoder.take()

    async def record_whole(self, upstream: Format, data: bytes) -> None:
        """A whole answer from ``upstream`` (its format's JSON)."""
        if len(data) > self.cache.max_entry_bytes:
            return
        try:
            ir = converter(upstream).response_to_ir(orjson.loads(data), self.policy, [])
        except Exception:
            return  # the relay reports a malformed answer; nothing to keep
        if ir.get("stop_reason") != "error" and response_to_events(ir) is not None:
            await self.cache.put(self.key, ir, self.ttl_s)

    async def record_stream(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """``stream`` (client-format SSE) unchanged; its answer kept if it ended complete."""
        fmt = self.call.fmt
        keep = fmt not in _UNRECORDED_STREAMS and self.call.sse
        collector, parser = EventCollector(), SSEParser()
        decoder = make_decoder(fmt.value, collector, self.policy)
        size = 0
        try:
            async for chunk in stream:
                if keep:
                    size += len(chunk)
                    keep = size <= self.cache.max_entry_bytes and _fed(decoder, parser.feed(chunk))
                    if keep and decoder.done:
                        # Kept before the client gets the final bytes: its next request may hit.
                        await self._keep(collector.events)
                        keep = False
                yield chunk
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()  # the relay's generator: it closes the upstream and accounts

    async def _keep(self, events: list[IREvent]) -> None:
        ir = events_to_response(events)
        if ir is not None:
            await self.cache.put(self.key, ir, self.ttl_s)


def _fed(decoder: Decoder, events: list[tuple[str | None, bytes]]) -> bool:
    try:
        for name, payload in events:
            decoder.event(name, payload)
    except Exception:
        log.debug("response cache: a stream could not be decoded; not recorded", exc_info=True)
        return False
    return True
