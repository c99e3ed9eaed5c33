"""Test helper: the real gateway on Hypercorn, on a free loopback port, in the current event loop.

    async with running_gateway(config) as base_url:
        ...  # e.g. openai.AsyncOpenAI(base_url=f"{base_url}/v1", api_key="x")

The app is exactly what ``interlingua serve`` runs (same factory, same
Hypercorn worker loop); on exit it shuts down gracefully and the context
manager returns only once the upstream clients are closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Sockets
from hypercorn.utils import wrap_app
from quart import Quart

from interlingua.server.app import create_app
from interlingua.server.config import Config
from interlingua.server.run import bound_socket, draining, hypercorn_config
from interlingua.server.state import StateHolder

__all__ = ["running_app", "running_gateway"]

_STARTUP_TIMEOUT_S = 10.0
# How long stopping may take beyond the grace period (the app's shutdown: flushing batched
# writes, closing pools and the store). Only a hang should hit it: a loaded CI machine once
# took over 5 s, and a tight bound made an unrelated test fail.
_SHUTDOWN_SLACK_S = 60.0


@asynccontextmanager
async def running_gateway(
    config: Config, *, grace_s: float = 2.0, config_path: str | Path | None = None
) -> AsyncIterator[str]:
    """Serve ``config`` on ``127.0.0.1:<free port>``; yields ``http://127.0.0.1:<port>``.

    ``config_path``: the file ``config`` came from, watched for hot reload as ``serve`` does."""
    async with running_app(create_app(config, config_path=config_path), config, grace_s=grace_s) as url:
        yield url


@asynccontextmanager
async def running_app(app: Quart, config: Config, *, grace_s: float = 2.0) -> AsyncIterator[str]:
    """Serve an app made by :func:`create_app` (tests that inspect the app use this)."""
    sock = bound_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    hc = hypercorn_config(config)
    hc.bind = [f"127.0.0.1:{port}"]
    hc.graceful_timeout = grace_s
    stop = asyncio.Event()
    task = asyncio.create_task(
        worker_serve(
            wrap_app(app, hc.wsgi_max_body_size, "asgi"),
            hc,
            sockets=Sockets([], [sock], []),
            shutdown_trigger=draining(app.extensions["interlingua"], stop.wait),
        )
    )
    try:
        await _until_ready(app.extensions["interlingua"], task)
        await _until_serving(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=grace_s + _SHUTDOWN_SLACK_S)
        sock.close()


async def _until_serving(port: int) -> None:
    """One request answered: Hypercorn's accept loop (not just the app) is running."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(reader.read(), _STARTUP_TIMEOUT_S)
    finally:
        writer.close()
        await writer.wait_closed()


async def _until_ready(holder: StateHolder, task: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_TIMEOUT_S
    while not holder.ready:
        if task.done():
            task.result()  # raises the startup failure
            raise RuntimeError("the gateway stopped during startup")
        if loop.time() > deadline:
            raise TimeoutError("the gateway did not start")
        await asyncio.sleep(0.005)
