"""``server.max_inflight``: API requests beyond it get 503 (529 for Anthropic clients) at
once, instead of queueing without bound.

A request counts from the moment its body has been read (the admit stage) until its
answer ended (a stream: its last byte, or the client leaving). Counting only read bodies
matters: a client trickling its body one byte a second (a slowloris) must not hold a
slot, or ``max_inflight`` such connections would lock everyone else out; reading the
body is bounded by ``server.body_timeout_ms`` instead.

Per worker process: with ``--workers N`` the gateway admits up to N x max_inflight.
"""

from __future__ import annotations

from typing import ClassVar

from interlingua.errors import Overloaded
from interlingua.server.config import Config
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.hooks import Feature
from interlingua.server.services import Services

__all__ = ["InflightLimit", "build"]

_KEY = "inflight"


class InflightLimit(Feature):
    name: ClassVar[str] = _KEY

    def __init__(self, services: Services, limit: int) -> None:
        self._counter = services.inflight  # shared across reloads: in-flight requests keep counting
        self.limit = limit

    async def admit(self, ctx: RequestContext) -> None:
        counter = self._counter
        if counter.now >= self.limit:
            raise Overloaded("the gateway is at its concurrency limit; retry shortly", retry_after="1")
        counter.enter()
        ctx.extras[_KEY] = True

    async def complete(self, ctx: RequestContext) -> None:
        if ctx.extras.pop(_KEY, False):
            self._counter.leave()


def build(config: Config, services: Services) -> Feature | None:
    return InflightLimit(services, config.server.max_inflight)
