"""Bedrock's CountTokens exists only for some models: for the others Bedrock answers 400
"The provided model doesn't support counting tokens.", and the gateway passes that target
over: a later target of the route that can count does (``x-interlingua-token-count:
upstream``); with none, the local estimate (``estimate``, a warning naming the reason).
Judged by the Anthropic, OpenAI and google-genai SDKs; any other Bedrock 400 stays an error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anthropic
import httpx
import openai
import pytest
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from interlingua.server.config import Config
from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream, demo_config
from interlingua.server.fake_upstream.counting import COUNT_OFFSET
from interlingua.server.testing import running_gateway
from interlingua.server.tokens import estimate_input_tokens

NOVA = "amazon.nova-pro-v1:0"  # a Bedrock model without CountTokens (the fake refuses it as Bedrock does)
COUNTED_AT = "/model/amazon.nova-pro-v1%3A0/count-tokens"
MESSAGES: Any = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    raw = demo_config(upstream)
    nova = {"provider": "demo-bedrock", "upstream_model": NOVA}
    raw["models"] = [
        {"name": "nova", **nova},
        {"name": "nova-then-claude", "targets": [nova, {"provider": "demo-anthropic", "upstream_model": "claude-sonnet-4-6", "priority": 1}]},
        {"name": "nova-then-gpt", "targets": [nova, {"provider": "demo-openai", "upstream_model": "gpt-4o-mini", "priority": 1}]},
        *raw["models"],
    ]
    async with running_gateway(Config.model_validate(raw)) as url:
        yield url


def _asked_bedrock(upstream: FakeUpstream) -> None:
    assert [r.raw_path for r in upstream.requests] == [COUNTED_AT]


async def test_anthropic_count_tokens_falls_back_to_the_estimate(gateway: str, upstream: FakeUpstream) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key=DEMO_UPSTREAM_KEY, max_retries=0) as ant:
        upstream.reset()
        raw = await ant.messages.with_raw_response.count_tokens(model="nova", messages=MESSAGES)
    assert raw.headers["x-interlingua-token-count"] == "estimate"
    assert "cannot count tokens" in raw.headers["x-interlingua-warning"]
    expected = estimate_input_tokens({"model": "nova", "messages": MESSAGES}, "anthropic_messages")
    assert (await raw.parse()).input_tokens == expected
    _asked_bedrock(upstream)


async def test_responses_input_tokens_falls_back_to_the_estimate(gateway: str, upstream: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key=DEMO_UPSTREAM_KEY, max_retries=0) as oai:
        upstream.reset()
        raw = await oai.responses.input_tokens.with_raw_response.count(model="nova", input="hello there")
    assert raw.headers["x-interlingua-token-count"] == "estimate"
    assert raw.parse().input_tokens == estimate_input_tokens({"model": "nova", "input": "hello there"}, "openai_responses")
    _asked_bedrock(upstream)


async def test_genai_count_tokens_falls_back_and_other_errors_stay_errors(gateway: str, upstream: FakeUpstream) -> None:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        options = types.HttpOptions(base_url=gateway, api_version="v1beta", httpx_async_client=http)
        gem = genai.Client(api_key=DEMO_UPSTREAM_KEY, http_options=options)
        upstream.reset()
        result = await gem.aio.models.count_tokens(model="nova", contents="hello there")
        assert result.sdk_http_response is not None
        assert result.sdk_http_response.headers is not None
        assert result.sdk_http_response.headers.get("x-interlingua-token-count") == "estimate"
        assert result.total_tokens == estimate_input_tokens(
            {"contents": [{"role": "user", "parts": [{"text": "hello there"}]}]}, "gemini"
        )
        _asked_bedrock(upstream)
        upstream.fault_next("status:400,message:Malformed input request")  # not about counting
        with pytest.raises(genai_errors.ClientError) as refused:
            await gem.aio.models.count_tokens(model="nova", contents="hello there")
        assert "Malformed input request" in (refused.value.message or "")
        await gem.aio.aclose()


async def test_a_later_target_that_can_count_counts(gateway: str, upstream: FakeUpstream) -> None:
    """Nova first, then Anthropic: Anthropic counts exactly (and the failover does not cool Nova
    down: it is asked first again); Nova then OpenAI Chat (no counting endpoint): the estimate."""
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key=DEMO_UPSTREAM_KEY, max_retries=0) as ant:
        upstream.reset()
        for _ in range(2):
            raw = await ant.messages.with_raw_response.count_tokens(model="nova-then-claude", messages=MESSAGES)
            assert raw.headers["x-interlingua-token-count"] == "upstream"
            assert "x-interlingua-warning" not in raw.headers
            assert (await raw.parse()).input_tokens > COUNT_OFFSET  # the fake's own count
        assert [r.raw_path for r in upstream.requests] == [COUNTED_AT, "/v1/messages/count_tokens"] * 2
        upstream.reset()
        raw = await ant.messages.with_raw_response.count_tokens(model="nova-then-gpt", messages=MESSAGES)
    assert raw.headers["x-interlingua-token-count"] == "estimate"
    assert "cannot count tokens" in raw.headers["x-interlingua-warning"]
    _asked_bedrock(upstream)
