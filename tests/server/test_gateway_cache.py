"""The response cache through the official SDKs: hits across client formats, replayed streams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from interlingua.server.cache.answer import events_to_response, response_to_events
from interlingua.server.cache.store import MemoryCache
from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

QUESTION = "What is the capital of France?"
CHAT: dict[str, Any] = {"messages": [{"role": "user", "content": QUESTION}], "max_completion_tokens": 64}
MSG: dict[str, Any] = {"messages": [{"role": "user", "content": QUESTION}], "max_tokens": 64}


def _config(up: FakeUpstream, **cache: Any) -> Config:
    return Config.model_validate(
        {
            "server": {"api_keys": ["key-a", "key-b"]},
            "providers": [{"name": "up", "format": "openai_chat", "base_url": up.openai_base_url}],
            "models": [
                {
                    "name": "gpt-cached",
                    "provider": "up",
                    "upstream_model": "gpt-4o-mini",
                    "cache": {"ttl_s": 300, **cache},
                }
            ],
        }
    )


@pytest.fixture
async def up() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream() as fake:
        yield fake


def generations(up: FakeUpstream) -> int:
    return sum(1 for r in up.requests if r.method == "POST")


async def test_one_entry_serves_every_client_format_streamed_or_not(up: FakeUpstream) -> None:
    async with (
        running_gateway(_config(up)) as url,
        openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="key-a", max_retries=0) as oai,
        anthropic.AsyncAnthropic(base_url=url, api_key="key-a", max_retries=0) as ant,
    ):
        first = await oai.chat.completions.with_raw_response.create(model="gpt-cached", **CHAT)
        again = await oai.chat.completions.with_raw_response.create(model="gpt-cached", **CHAT)
        message = await ant.messages.with_raw_response.create(model="gpt-cached", **MSG)
        async with ant.messages.stream(model="gpt-cached", **MSG) as stream:
            streamed = await stream.get_final_message()
        chunks = [c async for c in await oai.chat.completions.create(model="gpt-cached", stream=True, **CHAT)]
    assert first.headers["x-interlingua-cache"] == "miss"
    text = first.parse().choices[0].message.content
    assert again.headers["x-interlingua-cache"] == "hit"
    assert again.parse().choices[0].message.content == text
    assert message.headers["x-interlingua-cache"] == "hit"
    parsed = await message.parse()  # type: ignore[misc]
    assert parsed.content[0].text == text
    assert parsed.model == "gpt-cached"
    assert streamed.content[0].text == text  # type: ignore[union-attr]
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == text
    assert generations(up) == 1


async def test_a_streamed_answer_is_recorded_and_partitions_and_no_cache_hold(up: FakeUpstream) -> None:
    async with (
        running_gateway(_config(up)) as url,
        anthropic.AsyncAnthropic(base_url=url, api_key="key-a", max_retries=0) as ant,
        openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="key-a", max_retries=0) as oai,
        openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="key-b", max_retries=0) as other,
    ):
        async with ant.messages.stream(model="gpt-cached", **MSG) as stream:
            recorded = await stream.get_final_message()
        hit = await oai.chat.completions.with_raw_response.create(model="gpt-cached", **CHAT)
        not_theirs = await other.chat.completions.with_raw_response.create(model="gpt-cached", **CHAT)
        fresh = await oai.chat.completions.with_raw_response.create(
            model="gpt-cached", extra_headers={"cache-control": "no-cache"}, **CHAT
        )
    assert hit.headers["x-interlingua-cache"] == "hit"
    assert hit.parse().choices[0].message.content == recorded.content[0].text  # type: ignore[union-attr]
    assert not_theirs.headers["x-interlingua-cache"] == "miss"  # another key's partition
    assert fresh.headers["x-interlingua-cache"] == "miss"
    assert generations(up) == 3


async def test_errors_and_cut_streams_are_never_cached(up: FakeUpstream) -> None:
    async with (
        running_gateway(_config(up, shared=True)) as url,
        httpx.AsyncClient(base_url=url, timeout=10, headers={"authorization": "Bearer key-a"}) as http,
    ):
        body = {"model": "gpt-cached", **CHAT}
        up.fault_next("status:500")
        assert (await http.post("/v1/chat/completions", json=body)).status_code == 500
        up.fault_next("die-after:3")
        cut = await http.post("/v1/chat/completions", json={**body, "stream": True})
        assert b"error" in cut.content
        ok = await http.post("/v1/chat/completions", json=body)
        shared = await http.post("/v1/chat/completions", json=body, headers={"authorization": "Bearer key-b"})
    assert ok.headers["x-interlingua-cache"] == "miss"
    assert shared.headers["x-interlingua-cache"] == "hit"  # shared: true, one entry for every key


def test_stream_events_and_whole_answers_convert_both_ways() -> None:
    response = {
        "id": "r1",
        "model": "m",
        "content": [
            {"type": "thinking", "text": "hmm", "signature": "sig", "signature_format": "anthropic_messages"},
            {"type": "text", "text": "Paris."},
            {"type": "tool_call", "id": "c1", "name": "look", "arguments": '{"q":"x"}'},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 3, "output_tokens": 5},
    }
    events = response_to_events(response)
    assert events is not None
    assert events_to_response(events) == response
    assert events_to_response(events[:-1]) is None  # no end: incomplete
    assert events_to_response([*events[:-1], {"type": "error", "error": {}}]) is None
    assert (
        response_to_events({**response, "content": [{"type": "opaque", "format": "x", "data": {}}]}) is None
    )


def test_memory_cache_is_a_bounded_lru_with_expiry() -> None:
    now = [0.0]
    cache = MemoryCache(2, clock=lambda: now[0])
    cache.put("a", 1, ttl_s=10)
    cache.put("b", 2, ttl_s=10)
    assert cache.get("a") == 1
    cache.put("c", 3, ttl_s=10)  # b is the least recently used
    assert cache.get("b") is None
    now[0] = 11
    assert cache.get("a") is None
    assert len(cache) == 1
