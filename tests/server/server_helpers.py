"""Shared helpers of the gateway tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

import httpx
import yaml
from aiohttp import web
from google import genai
from google.genai import types

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream, demo_config
from interlingua.server.pipeline.context import RequestContext
from interlingua.server.pipeline.hooks import Feature

INTERLINGUA = Path(sys.executable).with_name("interlingua")


def make_config(upstream: FakeUpstream, *, read_ms: int = 5_000, **sections: Any) -> Config:
    """The demo config with ``sections`` merged over it (a dict updates the section's keys)."""
    return _validated(demo_config(upstream, read_ms=read_ms), sections)


def _validated(raw: dict[str, Any], sections: dict[str, Any]) -> Config:
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(raw.get(name), dict):
            raw[name] = {**raw[name], **value}
        else:
            raw[name] = value
    return Config.model_validate(raw)


OPENAI_BODY: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
ANTHROPIC_BODY: dict[str, Any] = {
    "model": "claude-sonnet-4-6",
    "max_tokens": 64,
    "messages": [{"role": "user", "content": "hi"}],
}


def formats_config(upstream: FakeUpstream, *, read_ms: int = 5_000, **sections: Any) -> Config:
    """The demo config (its Gemini, Responses and Bedrock providers included) with more routes.

    Routes added (before the demo's): ``gemini-2.5-flash`` (Gemini, passthrough for Gemini
    clients), ``gpt-via-gemini`` (Gemini upstream, model ``gemini-2.5-flash``),
    ``gemini-via-openai`` / ``gemini-via-anthropic`` (the demo's OpenAI / Anthropic upstreams),
    ``gpt-5`` (Responses upstream), ``responses-via-anthropic`` (Anthropic upstream),
    ``claude-via-bedrock`` (Bedrock, model id with a ``:``).
    """
    raw = demo_config(upstream, read_ms=read_ms)
    raw["models"] = [
        {"name": "gemini-2.5-flash", "provider": "demo-gemini"},
        {"name": "gpt-via-gemini", "provider": "demo-gemini", "upstream_model": "gemini-2.5-flash"},
        {"name": "gemini-via-openai", "provider": "demo-openai", "upstream_model": "gpt-4o-mini"},
        {"name": "gemini-via-anthropic", "provider": "demo-anthropic", "upstream_model": "claude-sonnet-4-6"},
        {"name": "gpt-5", "provider": "demo-responses"},
        {
            "name": "responses-via-anthropic",
            "provider": "demo-anthropic",
            "upstream_model": "claude-sonnet-4-6",
        },
        {
            "name": "claude-via-bedrock",
            "provider": "demo-bedrock",
            "upstream_model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        },
        *raw["models"],
    ]
    return _validated(raw, sections)


GEMINI_BODY: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
RESPONSES_BODY: dict[str, Any] = {"model": "gpt-5", "input": "hi", "store": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def aiohttp_served(app: web.Application) -> AsyncIterator[str]:
    """``app`` served on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def serving(
    upstream: FakeUpstream,
    tmp_path: Path,
    *args: str,
    grace_ms: int = 5000,
    server: Mapping[str, Any] | None = None,
    verify: ssl.SSLContext | None = None,
    **sections: Any,
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``interlingua serve`` on the demo config as a real process, until ready; yields (URL, process).

    ``server``: keys merged into the config's server section; ``verify``: with ``server.tls``,
    the context that trusts the gateway's certificate (the URL is then https); ``sections``:
    other top-level sections added to the config."""
    port = free_port()
    config = demo_config(upstream, port=port)
    config["server"].update({"shutdown_grace_ms": grace_ms, **(server or {})})
    config.update(sections)
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = await asyncio.create_subprocess_exec(
        str(INTERLINGUA),
        "serve",
        "--config",
        str(path),
        *args,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    url = f"{'https' if 'tls' in config['server'] else 'http'}://127.0.0.1:{port}"
    try:
        await _until_ready(url, verify or True)
        yield url, proc
    finally:
        if proc.returncode is None:
            # SIGTERM first: a SIGKILLed parent would leave its --workers children running.
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def _until_ready(url: str, verify: ssl.SSLContext | bool) -> None:
    await wait_ready(url, verify=verify)


async def wait_ready(url: str, *, verify: ssl.SSLContext | bool = True, timeout_s: float = 90.0) -> None:
    """Until ``GET /readyz`` answers 200: refused while the process starts, then 503
    "starting" while it opens its store and clients. Generous: on a loaded 2-CPU machine a
    multi-worker start has taken 20 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with httpx.AsyncClient(base_url=url, verify=verify) as client:
        while loop.time() < deadline:
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not become ready")


@asynccontextmanager
async def genai_sdk(client: httpx.AsyncClient) -> AsyncIterator[genai.Client]:
    """google-genai pointed at the gateway ``client`` talks to (v1beta, on that httpx client:
    google-genai's aiohttp path subclasses ClientSession, which aiohttp warns about)."""
    options = types.HttpOptions(base_url=str(client.base_url), api_version="v1beta", httpx_async_client=client)
    sdk = genai.Client(api_key="x", http_options=options)
    yield sdk
    await sdk.aio.aclose()


class Recorder(Feature):
    """A feature that keeps every request context it sees start and complete."""

    name: ClassVar[str] = "recorder"

    def __init__(self) -> None:
        self.started: list[RequestContext] = []
        self.completed: list[RequestContext] = []

    async def request_start(self, ctx: RequestContext) -> None:
        self.started.append(ctx)

    async def complete(self, ctx: RequestContext) -> None:
        self.completed.append(ctx)

    async def next_completed(self, count: int) -> RequestContext:
        return await _nth(self.completed, count, "accounted")

    async def next_started(self, count: int) -> RequestContext:
        return await _nth(self.started, count, "started")


async def _nth(contexts: list[RequestContext], count: int, what: str) -> RequestContext:
    for _ in range(1000):  # bounded: 10 s
        if len(contexts) >= count:
            return contexts[count - 1]
        await asyncio.sleep(0.01)
    raise AssertionError(f"request {count} was never {what}")
