"""The request pipeline: one context per request, usage and outcome on every path.

Every (client format x upstream format x stream) pairing through the real gateway and the
fake upstream (which reports usage in each provider's own shape): a feature hooked at
``complete`` sees the upstream's usage, the stop reason, the first-byte time and the
outcome, exactly once per request, on passthrough and translated paths alike.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from server_helpers import Recorder, formats_config

from interlingua.server.app import create_app
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.pipeline.context import Outcome
from interlingua.server.testing import running_app
from interlingua.translate import Format

# A model per upstream format (see server_helpers.formats_config).
UPSTREAM_MODELS = {
    Format.OPENAI_CHAT: "gemini-via-openai",
    Format.ANTHROPIC_MESSAGES: "gemini-via-anthropic",
    Format.GEMINI: "gemini-2.5-flash",
    Format.OPENAI_RESPONSES: "gpt-5",
    Format.BEDROCK_CONVERSE: "claude-via-bedrock",
}
PROMPT = "say hello to the pipeline"


@pytest.fixture
async def served(upstream: FakeUpstream) -> AsyncIterator[tuple[httpx.AsyncClient, Recorder]]:
    recorder = Recorder()
    config = formats_config(upstream)
    async with (
        running_app(create_app(config, features=[recorder]), config) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        yield client, recorder


def client_call(fmt: Format, model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    user = [{"role": "user", "content": PROMPT}]
    if fmt is Format.OPENAI_CHAT:
        return "/v1/chat/completions", {"model": model, "messages": user, "stream": stream}
    if fmt is Format.ANTHROPIC_MESSAGES:
        return "/v1/messages", {"model": model, "max_tokens": 200, "messages": user, "stream": stream}
    if fmt is Format.OPENAI_RESPONSES:
        return "/v1/responses", {"model": model, "input": PROMPT, "stream": stream, "store": False}
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return f"/v1beta/models/{model}:{method}", {"contents": [{"role": "user", "parts": [{"text": PROMPT}]}]}


CLIENTS = (Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.GEMINI)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("upstream_fmt", list(UPSTREAM_MODELS), ids=str)
@pytest.mark.parametrize("client_fmt", CLIENTS, ids=str)
async def test_pipeline_usage_and_outcome_on_every_path(
    served: tuple[httpx.AsyncClient, Recorder], client_fmt: Format, upstream_fmt: Format, stream: bool
) -> None:
    client, recorder = served
    path, body = client_call(client_fmt, UPSTREAM_MODELS[upstream_fmt], stream)
    resp = await client.post(path, json=body)
    assert resp.status_code == 200, resp.text
    ctx = await recorder.next_completed(1)
    assert len(recorder.started) == len(recorder.completed) == 1
    assert ctx.outcome is Outcome.OK
    assert ctx.client_format is client_fmt
    assert ctx.upstream_format is upstream_fmt
    assert ctx.stream is stream
    assert ctx.usage.reported
    assert ctx.usage.input_tokens > 0
    assert ctx.usage.output_tokens > 0
    assert ctx.finish_reason == "end_turn"
    assert ctx.timings.first_byte is not None
    assert ctx.timings.last_byte is not None
    assert ctx.timings.first_byte >= ctx.timings.received
    assert [a.target.provider.format for a in ctx.attempts] == [upstream_fmt]


async def test_pipeline_output_tokens_equal_across_pairings(served: tuple[httpx.AsyncClient, Recorder]) -> None:
    """The fake upstream answers the prompt with the same words whatever the client format."""
    client, recorder = served
    seen = set()
    for n, (fmt, stream) in enumerate(((f, s) for f in CLIENTS for s in (False, True)), start=1):
        path, body = client_call(fmt, UPSTREAM_MODELS[Format.OPENAI_CHAT], stream)
        assert (await client.post(path, json=body)).status_code == 200
        seen.add((await recorder.next_completed(n)).usage.output_tokens)
    assert len(seen) == 1


async def test_pipeline_openai_stream_usage_without_include_usage(
    served: tuple[httpx.AsyncClient, Recorder],
) -> None:
    """Usage is accounted although the client did not ask for it; the client does not see it."""
    client, recorder = served
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": PROMPT}], "stream": True}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200
    assert '"choices":[]' not in resp.text
    assert resp.text.rstrip().endswith("data: [DONE]")
    ctx = await recorder.next_completed(1)
    assert ctx.usage.reported
    assert ctx.usage.output_tokens > 0


async def test_pipeline_errors_are_accounted_once(served: tuple[httpx.AsyncClient, Recorder]) -> None:
    client, recorder = served
    assert (await client.post("/v1/chat/completions", content=b"{not json")).status_code == 400
    assert (await client.post("/v1/chat/completions", json={"model": "nope", "messages": []})).status_code == 404
    first, second = await recorder.next_completed(1), await recorder.next_completed(2)
    assert first.outcome is second.outcome is Outcome.CLIENT_ERROR
    assert (first.status, second.status) == (400, 404)
    assert len(recorder.completed) == 2


async def test_pipeline_client_disconnect_mid_stream_is_accounted(
    served: tuple[httpx.AsyncClient, Recorder], upstream: FakeUpstream
) -> None:
    client, recorder = served
    upstream.default_fault = "pace:50"
    body = {"model": "claude-sonnet-4-6", "max_tokens": 200, "messages": [{"role": "user", "content": PROMPT}]}
    async with client.stream("POST", "/v1/messages", json={**body, "stream": True}) as resp:
        await anext(resp.aiter_raw())
    ctx = await recorder.next_completed(1)
    assert ctx.outcome is Outcome.CANCELLED
    assert ctx.usage.input_tokens > 0  # message_start carried it before the client left
