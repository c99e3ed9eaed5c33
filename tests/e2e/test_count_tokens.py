"""Token counts through the gateway with the official SDKs, from every client format with a
counting endpoint (Anthropic ``messages.count_tokens``, google-genai ``count_tokens``, OpenAI
``responses.input_tokens.count``) to every upstream format.

Upstreams with a counting endpoint of their own count (the fake adds ``COUNT_OFFSET`` to its
counts and refuses fields its endpoint's published schema lacks, so a count at or above it
came from the upstream, through a request shaped as that endpoint wants); OpenAI Chat
upstreams have none, so the gateway estimates. ``x-interlingua-token-count`` says which.
"""

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

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.fake_upstream.counting import COUNT_OFFSET
from interlingua.server.tokens import estimate_input_tokens

from .payloads import ANTHROPIC_TOOLS, CLIENT_KEY

# demo model -> the path the upstream counts at (None: no counting endpoint, estimated)
COUNTED_AT: dict[str, str | None] = {
    "demo-claude": "/v1/messages/count_tokens",
    "demo-gemini": "/v1beta/models/gemini-2.5-flash:countTokens",
    "demo-responses": "/v1/responses/input_tokens",
    "demo-bedrock": "/model/anthropic.claude-sonnet-4-5-v1%3A0/count-tokens",
    "demo-gpt": None,
    "demo-azure": None,
}
MODELS = list(COUNTED_AT)
SYSTEM = "Be brief."
RESPONSES_TOOLS: Any = [
    {
        "type": "function",
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
]


@pytest.fixture
async def genai_client(gateway: str) -> AsyncIterator[genai.Client]:
    http = httpx.AsyncClient(base_url=gateway, timeout=10)
    options = types.HttpOptions(base_url=gateway, api_version="v1beta", httpx_async_client=http)
    sdk = genai.Client(api_key=CLIENT_KEY, http_options=options)
    yield sdk
    await sdk.aio.aclose()
    await http.aclose()


def _check(upstream: FakeUpstream, model: str, count: int, header: str | None, estimate: int) -> None:
    path = COUNTED_AT[model]
    if path is None:
        assert header == "estimate"
        assert count == estimate
        assert upstream.requests == []
        return
    assert header == "upstream"
    assert count > COUNT_OFFSET
    assert [r.raw_path for r in upstream.requests] == [path]
    assert upstream.requests[0].completed


@pytest.mark.parametrize("model", MODELS)
async def test_anthropic_sdk_count_tokens(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    body: Any = {
        "model": model,
        "system": SYSTEM,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": ANTHROPIC_TOOLS,
    }
    upstream.reset()
    raw = await ant.messages.with_raw_response.count_tokens(**body)
    count = (await raw.parse()).input_tokens
    _check(
        upstream,
        model,
        count,
        raw.headers.get("x-interlingua-token-count"),
        estimate_input_tokens(body, "anthropic_messages"),
    )


@pytest.mark.parametrize("model", MODELS)
async def test_genai_sdk_count_tokens(genai_client: genai.Client, upstream: FakeUpstream, model: str) -> None:
    upstream.reset()
    result = await genai_client.aio.models.count_tokens(model=model, contents="What is the weather in Paris?")
    assert result.total_tokens is not None
    assert result.sdk_http_response is not None
    assert result.sdk_http_response.headers is not None
    header = result.sdk_http_response.headers.get("x-interlingua-token-count")
    body = {"contents": [{"role": "user", "parts": [{"text": "What is the weather in Paris?"}]}]}
    _check(upstream, model, result.total_tokens, header, estimate_input_tokens(body, "gemini"))


@pytest.mark.parametrize("model", MODELS)
async def test_openai_sdk_responses_input_tokens(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    body: Any = {
        "model": model,
        "input": "What is the weather in Paris?",
        "instructions": SYSTEM,
        "tools": RESPONSES_TOOLS,
    }
    upstream.reset()
    raw = await oai.responses.input_tokens.with_raw_response.count(**body)
    parsed = raw.parse()
    assert parsed.object == "response.input_tokens"
    header = raw.headers.get("x-interlingua-token-count")
    _check(upstream, model, parsed.input_tokens, header, estimate_input_tokens(body, "openai_responses"))


async def test_translated_count_request_has_only_the_endpoints_fields(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream
) -> None:
    """Generation-only settings never reach a counting endpoint (the real ones refuse them)."""
    messages: Any = [{"role": "user", "content": "hi"}]
    for model in ("demo-gemini", "demo-responses", "demo-bedrock"):
        upstream.reset()
        await ant.messages.count_tokens(model=model, system=SYSTEM, messages=messages, tools=ANTHROPIC_TOOLS)
        sent = upstream.requests[0].body
        assert sent is not None
        if model == "demo-gemini":
            inner = sent["generateContentRequest"]
            assert inner["model"] == "models/gemini-2.5-flash"
            assert inner["systemInstruction"]["parts"][0]["text"] == SYSTEM
            assert "maxOutputTokens" not in inner.get("generationConfig", {})
        elif model == "demo-responses":
            assert sent["model"] == "gpt-5"
            assert "max_output_tokens" not in sent
            assert sent["tools"][0]["name"] == ANTHROPIC_TOOLS[0]["name"]
        else:
            assert set(sent) == {"input"}
            assert "inferenceConfig" not in sent["input"]["converse"]
            assert sent["input"]["converse"]["system"] == [{"text": SYSTEM}]


@pytest.mark.parametrize("model", ["demo-claude", "demo-gemini", "demo-responses", "demo-bedrock"])
async def test_upstream_count_error_in_each_clients_envelope(
    ant: anthropic.AsyncAnthropic,
    oai: openai.AsyncOpenAI,
    genai_client: genai.Client,
    upstream: FakeUpstream,
    model: str,
) -> None:
    messages: Any = [{"role": "user", "content": "hi"}]
    upstream.fault_next("status:429,retry-after:3,message:Too many demo counts")
    with pytest.raises(anthropic.RateLimitError) as ant_err:
        await ant.messages.count_tokens(model=model, messages=messages)
    assert ant_err.value.response.headers["retry-after"] == "3"
    assert "Too many demo counts" in ant_err.value.message
    upstream.fault_next("status:429,retry-after:3,message:Too many demo counts")
    with pytest.raises(openai.RateLimitError) as oai_err:
        await oai.responses.input_tokens.count(model=model, input="hi")
    assert "Too many demo counts" in oai_err.value.message
    upstream.fault_next("status:400,message:demo says no")
    with pytest.raises(genai_errors.ClientError) as gem_err:
        await genai_client.aio.models.count_tokens(model=model, contents="hi")
    assert gem_err.value.code == 400
    assert "demo says no" in (gem_err.value.message or "")


async def test_count_of_a_bad_upstream_answer_is_a_502(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream
) -> None:
    upstream.fault_next("bad-json")
    with pytest.raises(anthropic.APIStatusError) as err:
        await ant.messages.count_tokens(model="demo-gemini", messages=[{"role": "user", "content": "hi"}])
    assert err.value.status_code == 502
