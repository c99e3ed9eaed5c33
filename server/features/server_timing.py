"""``observability.server_timing``: a standard ``server-timing`` header on every API response.

``gateway;dur=<ms>`` is the gateway's own time before the upstream call went out
(reading, checking and translating the request; earlier failed attempts excluded), and
for plain (non-streamed) answers ``upstream;dur=<ms>`` the upstream's time to the whole
answer. A request answered without an upstream call (an error, a local count) shows the
gateway's time to the response. Browsers' dev tools show the header, and so does
``curl -i``: anyone can check the gateway's overhead per request.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from interlingua.server.observability.record import gateway_ms, upstream_ms
from interlingua.server.pipeline.hooks import Feature

if TYPE_CHECKING:
    from interlingua.server.config import Config
    from interlingua.server.pipeline.context import RequestContext
    from interlingua.server.services import Services

__all__ = ["ServerTiming", "build", "server_timing"]


def server_timing(ctx: RequestContext) -> str:
    gateway = gateway_ms(ctx)
    if gateway is None:
        return f"gateway;dur={round((time.perf_counter() - ctx.timings.received) * 1000, 3)}"
    upstream = None if ctx.stream else upstream_ms(ctx)
    return f"gateway;dur={gateway}" if upstream is None else f"gateway;dur={gateway}, upstream;dur={upstream}"


class ServerTiming(Feature):
    name: ClassVar[str] = "server_timing"

    def response_headers(self, ctx: RequestContext) -> Iterable[tuple[bytes, bytes]]:
        return ((b"server-timing", server_timing(ctx).encode("latin-1")),)


def build(config: Config, services: Services) -> Feature | None:
    return ServerTiming() if config.observability.server_timing else None
