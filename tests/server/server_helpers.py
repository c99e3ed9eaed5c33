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
from typing import Any

import httpx
import yaml

from interlingua.server.config import Config
from interlingua.server.demo import FakeUpstream, demo_config

INTERLINGUA = Path(sys.executable).with_name("interlingua")


def make_config(upstream: FakeUpstream, *, read_ms: int = 5_000, **sections: Any) -> Config:
    raw = demo_config(upstream, read_ms=read_ms)
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
    """The demo config plus Gemini, Responses and Bedrock providers on the same fake upstream.

    Routes added (before the demo's): ``gemini-2.5-flash`` (Gemini, passthrough for Gemini
    clients), ``gpt-via-gemini`` (Gemini upstream, model ``gemini-2.5-flash``),
    ``gemini-via-openai`` / ``gemini-via-anthropic`` (the demo's OpenAI / Anthropic upstreams),
    ``gpt-5`` (Responses upstream), ``responses-via-anthropic`` (Anthropic upstream),
    ``claude-via-bedrock`` (Bedrock, model id with a ``:``).
    """
    from interlingua.server.demo import DEMO_UPSTREAM_KEY
    from interlingua.server.demo.sigv4 import DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY

    raw = demo_config(upstream, read_ms=read_ms)
    timeouts = {"connect_ms": 2_000, "read_ms": read_ms}
    raw["providers"] += [
        {"name": "fake-gemini", "format": "gemini", "base_url": upstream.gemini_base_url},
        {"name": "fake-responses", "format": "openai_responses", "base_url": upstream.responses_base_url},
        {
            "name": "fake-bedrock",
            "format": "bedrock_converse",
            "base_url": upstream.bedrock_base_url,
            "aws": {
                "region": "us-east-1",
                "access_key_id": DEMO_AWS_ACCESS_KEY_ID,
                "secret_access_key": DEMO_AWS_SECRET_ACCESS_KEY,
            },
        },
    ]
    for provider in raw["providers"]:
        provider.setdefault("timeouts", timeouts)
        if provider["format"] != "bedrock_converse":
            provider.setdefault("api_key", DEMO_UPSTREAM_KEY)
    raw["models"] = [
        {"name": "gemini-2.5-flash", "provider": "fake-gemini"},
        {"name": "gpt-via-gemini", "provider": "fake-gemini", "upstream_model": "gemini-2.5-flash"},
        {"name": "gemini-via-openai", "provider": "demo-openai", "upstream_model": "gpt-4o-mini"},
        {"name": "gemini-via-anthropic", "provider": "demo-anthropic", "upstream_model": "claude-sonnet-4-6"},
        {"name": "gpt-5", "provider": "fake-responses"},
        {
            "name": "responses-via-anthropic",
            "provider": "demo-anthropic",
            "upstream_model": "claude-sonnet-4-6",
        },
        {
            "name": "claude-via-bedrock",
            "provider": "fake-bedrock",
            "upstream_model": "anthropic.claude-3-5-sonnet-20240620-v1:0",
        },
        *raw["models"],
    ]
    for name, value in sections.items():
        raw[name] = {**raw.get(name, {}), **value} if isinstance(value, dict) else value
    return Config.model_validate(raw)


GEMINI_BODY: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
RESPONSES_BODY: dict[str, Any] = {"model": "gpt-5", "input": "hi", "store": False}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(
    upstream: FakeUpstream,
    tmp_path: Path,
    *args: str,
    grace_ms: int = 5000,
    server: Mapping[str, Any] | None = None,
    verify: ssl.SSLContext | None = None,
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """``interlingua serve`` on the demo config as a real process, until ready; yields (URL, process).

    ``server``: keys merged into the config's server section; ``verify``: with ``server.tls``,
    the context that trusts the gateway's certificate (the URL is then https)."""
    port = free_port()
    config = demo_config(upstream, port=port)
    config["server"].update({"shutdown_grace_ms": grace_ms, **(server or {})})
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
    async with httpx.AsyncClient(base_url=url, verify=verify) as client:
        for _ in range(200):
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError("the gateway did not become ready")
