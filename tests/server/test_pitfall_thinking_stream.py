"""Pitfall (pitfalls.md, "Thinking and reasoning across turns"): a peer held ``message_start``
back until the thinking had finished (BerriAI/litellm#39431), so a client saw nothing while
the model thought. The gateway must pass each event on as it arrives, thinking included.

Each upstream stalls in the middle of its thinking (after its 5th event) and the gateway's read
timeout is far away: an Anthropic client must still read ``message_start``, the thinking block's
start and a thinking delta. A gateway that held anything back until the thinking ended would
leave the client with nothing, and the client's own read timeout (the hang guard) fails the case.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from server_helpers import make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway
from interlingua.streams.sse import SSEParser

HANG_GUARD_S = 10.0
STALL_AFTER = 5  # mid-thinking for every fake upstream (its thinking text is a dozen deltas)
MODELS = ["demo-gpt", "demo-claude", "demo-gemini", "demo-responses", "demo-bedrock"]


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    config = make_config(upstream, read_ms=120_000)  # the stall outlasts the test
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=HANG_GUARD_S) as c:
        yield c


@pytest.mark.parametrize("model", MODELS)
async def test_thinking_stream_is_not_held_back(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    body = {
        "model": model,
        "max_tokens": 2048,
        "stream": True,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "messages": [{"role": "user", "content": "think first"}],
    }
    parser, seen = SSEParser(), []
    upstream.default_fault = f"stall-after:{STALL_AFTER}"
    async with client.stream("POST", "/v1/messages", json=body) as response:
        assert response.status_code == 200
        async for chunk in response.aiter_raw():
            seen += [(name, data) for name, data in parser.feed(chunk)]
            if any(b'"thinking_delta"' in data for _, data in seen):
                break
    names = [name for name, _ in seen]
    assert names[0] == "message_start", names
    assert "content_block_start" in names
    assert b'"type":"thinking"' in b"".join(data.replace(b" ", b"") for _, data in seen)
    await upstream.wait_idle()
    assert upstream.requests[-1].events_sent == STALL_AFTER  # the client read it all mid-stall
