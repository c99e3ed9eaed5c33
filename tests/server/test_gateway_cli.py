"""``interlingua serve`` as a user runs it: a real process, SIGTERM drains in-flight streams, workers."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
from server_helpers import ANTHROPIC_BODY, INTERLINGUA, OPENAI_BODY, serving

from interlingua.server.fake_upstream import FakeUpstream


async def test_cli_serve_sigterm_lets_streams_finish(upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.default_fault = "pace:60"  # ~1.5 s of events
    async with (
        serving(upstream, tmp_path) as (url, proc),
        httpx.AsyncClient(base_url=url, timeout=20) as client,
    ):
        async with client.stream("POST", "/v1/messages", json={**ANTHROPIC_BODY, "stream": True}) as response:
            body = response.aiter_raw()
            chunks = [await anext(body)]
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            with_new = httpx.AsyncClient(base_url=url, timeout=2)
            try:
                refused = False
                try:
                    await with_new.get("/healthz")
                except httpx.TransportError:
                    refused = True
            finally:
                await with_new.aclose()
            chunks += [chunk async for chunk in body]
        assert refused, "a new connection was accepted after SIGTERM"
        assert b"message_stop" in b"".join(chunks)
        assert await asyncio.wait_for(proc.wait(), 10) == 0


async def test_cli_serve_grace_period_bounds_shutdown(upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.default_fault = "stall-after:1"
    async with (
        serving(upstream, tmp_path, grace_ms=300) as (url, proc),
        httpx.AsyncClient(base_url=url, timeout=20) as client,
        client.stream("POST", "/v1/chat/completions", json={**OPENAI_BODY, "stream": True}) as response,
    ):
        await response.aiter_raw().__anext__()
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 10) == 0
    await upstream.wait_idle()
    assert upstream.requests[-1].disconnected


async def test_cli_serve_workers(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with serving(upstream, tmp_path, "--workers", "2") as (url, proc):
        async with httpx.AsyncClient(base_url=url) as client:
            responses = await asyncio.gather(
                *(client.post("/v1/chat/completions", json=OPENAI_BODY) for _ in range(20))
            )
        assert all(r.status_code == 200 for r in responses)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 15) == 0


async def test_cli_serve_bad_config_exits_with_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("server:\n  port: eighty\n")
    proc = await asyncio.create_subprocess_exec(
        str(INTERLINGUA), "serve", "--config", str(path), stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 2
    assert b"line 2: server.port" in err
    assert b"Traceback" not in err
