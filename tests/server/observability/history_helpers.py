"""Helpers of the request-history tests: traffic through the real gateway with the official
SDKs, and waiting for the history to hold it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openai
from keys_helpers import admin_client

__all__ = ["PRICING", "Seen", "history_count", "issue_key", "openai_traffic", "summary"]

PRICING = [{"model": "*", "input": 1.0, "output": 2.0}]  # USD per million tokens


class Seen:
    """What the clients saw: requests, errors, tokens per model."""

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0
        self.input = 0
        self.output = 0
        self.by_model: dict[str, int] = {}

    def add(self, model: str, usage: Any | None) -> None:
        self.requests += 1
        self.by_model[model] = self.by_model.get(model, 0) + 1
        if usage is not None:
            self.input += usage.prompt_tokens
            self.output += usage.completion_tokens

    @property
    def cost_usd(self) -> float:
        return (self.input * 1.0 + self.output * 2.0) / 1_000_000


async def _one(client: openai.AsyncOpenAI, model: str, stream: bool, seen: Seen) -> None:
    messages: Any = [{"role": "user", "content": "count my tokens please"}]
    if not stream:
        done = await client.chat.completions.create(model=model, messages=messages)
        seen.add(model, done.usage)
        return
    chunks = await client.chat.completions.create(
        model=model, messages=messages, stream=True, stream_options={"include_usage": True}
    )
    usage = None
    async for chunk in chunks:
        usage = chunk.usage or usage
    seen.add(model, usage)


async def openai_traffic(url: str, key: str, n: int, seen: Seen, *, errors: int = 0) -> None:
    """``n`` concurrent requests (passthrough and translated, plain and streamed) with ``key``,
    and ``errors`` requests for a model no route serves (404)."""
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    models = ("gpt-4o-mini", "gpt-via-anthropic")
    calls = [_one(client, models[i % 2], i % 3 == 0, seen) for i in range(n)]
    await asyncio.gather(*calls)
    for _ in range(errors):
        try:
            await client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "x"}]
            )
        except openai.NotFoundError:
            seen.requests += 1
            seen.errors += 1
            seen.by_model["no-such-model"] = seen.by_model.get("no-such-model", 0) + 1
    await client.close()


async def issue_key(url: str, **body: Any) -> dict[str, Any]:
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())


async def summary(url: str, window: str = "1h") -> dict[str, Any]:
    async with admin_client(url) as admin:
        r = await admin.get("/metrics/summary", params={"window": window})
        assert r.status_code == 200, r.text
        return dict(r.json())


async def history_count(url: str, expected: int, *, timeout_s: float = 20.0) -> dict[str, Any]:
    """The 1h summary once it counts ``expected`` requests (the writer flushes every 0.5 s)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        report = await summary(url)
        if report["totals"]["requests"] >= expected or asyncio.get_running_loop().time() > deadline:
            return report
        await asyncio.sleep(0.2)


def admin(url: str) -> httpx.AsyncClient:
    return admin_client(url)
