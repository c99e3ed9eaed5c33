"""The state one app instance serves from: config, router and (once serving) upstream clients."""

from __future__ import annotations

import time

from interlingua.errors import Overloaded
from interlingua.server.config import Config
from interlingua.server.routing import Router
from interlingua.server.upstream import Upstream, Upstreams

__all__ = ["Gateway"]


class Gateway:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.router = Router(config)
        self.started_at = int(time.time())
        self._upstreams: Upstreams | None = None

    @property
    def ready(self) -> bool:
        return self._upstreams is not None

    def upstream(self, provider: str) -> Upstream:
        if self._upstreams is None:
            raise Overloaded("the gateway is starting or stopping")
        return self._upstreams[provider]

    async def start(self) -> None:
        # Clients are made inside the serving event loop: aiohttp sessions are bound to it.
        self._upstreams = Upstreams(self.config)

    async def stop(self) -> None:
        upstreams, self._upstreams = self._upstreams, None
        if upstreams is not None:
            await upstreams.aclose()
