"""``interlingua serve --demo``: the gateway plus a built-in fake upstream, routed to it.

The fake upstream (:class:`interlingua.server.fake_upstream.FakeUpstream`) runs in the
gateway's own event loop on a free loopback port; the config is the demo's
(every demo model name routed to it), with the host, port and keys of the
config the user gave. Demo mode runs one worker: it is for trying things out.
"""

from __future__ import annotations

import asyncio
import logging
import os

from interlingua.server.config import Config, load_config_text
from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream, demo_config_yaml
from interlingua.server.run import hypercorn_config, loop_factory, serve_app

__all__ = ["serve_demo"]

log = logging.getLogger("interlingua.server")


async def _serve_demo(base: Config) -> None:
    upstream = FakeUpstream(api_key=DEMO_UPSTREAM_KEY, pace_ms=20.0, record=False)
    await upstream.start(host="127.0.0.1", port=0)
    try:
        text = demo_config_yaml(upstream, host=base.server.host, port=base.server.port)
        demo = load_config_text(text, os.environ, source="<demo config>")
        config = demo.model_copy(update={"server": base.server.model_copy(update={"workers": 1})})
        log.info("demo mode: fake upstream on %s; try the README's curl examples", upstream.base_url)
        await serve_app(config, hypercorn_config(config))
    finally:
        await upstream.stop()


def serve_demo(base: Config) -> int:
    if base.server.workers > 1:
        log.warning("demo mode runs one worker (asked for %d)", base.server.workers)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(_serve_demo(base))
    return 0
