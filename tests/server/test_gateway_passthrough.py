"""Same-format requests: bytes forwarded with only the model changed, answers untouched, headers policed."""

from __future__ import annotations

import anthropic
import httpx
import openai
import orjson
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, make_config

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.testing import running_gateway


async def test_passthrough_openai_sdk_non_streamed(gateway: str, upstream: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="client-key", max_retries=0) as oai:
        completion = await oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert upstream.requests[-1].path == "/v1/chat/completions"


async def test_passthrough_anthropic_sdk_non_streamed(gateway: str, upstream: FakeUpstream) -> None:
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="client-key", max_retries=0) as ant:
        message = await ant.messages.create(
            model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        )
    assert message.content[0].type == "text"
    assert message.stop_reason == "end_turn"
    assert upstream.requests[-1].path == "/v1/messages"


async def test_passthrough_body_bytes_kept_except_model(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    # Odd spacing, an escaped unicode character and a nested "model" word survive byte for byte.
    raw = b'{ "model" :  "demo-gpt",\n "messages": [{"role": "user", "content": "caf\\u00e9 \\"model\\": x"}], "temperature": 1.0 }'
    response = await client.post(
        "/v1/chat/completions", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert upstream.requests[-1].raw == raw.replace(b'"demo-gpt"', b'"gpt-4o-mini"')


async def test_passthrough_model_rewrite_with_ambiguous_key_reserialises(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {
        "model": "demo-claude",
        "max_tokens": 32,
        "messages": [{"role": "user", "content": "hi"}],
        "tools": [
            {"name": "t", "input_schema": {"type": "object", "properties": {"model": {"type": "string"}}}}
        ],
    }
    response = await client.post("/v1/messages", json=body)
    assert response.status_code == 200
    sent = orjson.loads(upstream.requests[-1].raw)
    assert sent == {**body, "model": "claude-sonnet-4-6"}


async def test_passthrough_response_bytes_untouched(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    async with httpx.AsyncClient(base_url=upstream.openai_base_url) as direct:
        expected = await direct.post(
            "/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {DEMO_UPSTREAM_KEY}"}
        )
    response = await client.post("/v1/chat/completions", json=OPENAI_BODY)
    # The fake upstream numbers its ids; everything else is deterministic.
    assert response.content.replace(b"000002", b"000001") == expected.content
    assert response.headers["content-type"] == expected.headers["content-type"]


async def test_passthrough_upstream_key_injected_client_credentials_dropped(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    headers = {
        "authorization": "Bearer client-secret",
        "x-api-key": "client-secret",
        "cookie": "session=1",
        "openai-organization": "org-client",
        "x-fake-fault": "status:500",
        "anthropic-version": "2023-06-01",
        "anthropic-beta": "a-2025,b-2025",
    }
    response = await client.post("/v1/messages", json=ANTHROPIC_BODY, headers=headers)
    assert response.status_code == 200
    seen = upstream.requests[-1].headers
    assert seen["x-api-key"] == DEMO_UPSTREAM_KEY
    assert "authorization" not in seen
    assert "cookie" not in seen
    assert "openai-organization" not in seen
    assert "x-fake-fault" not in seen
    assert "client-secret" not in str(seen)
    assert seen["anthropic-version"] == "2023-06-01"
    assert seen["anthropic-beta"] == "a-2025,b-2025"


async def test_passthrough_openai_bearer_injected(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    response = await client.post(
        "/v1/chat/completions",
        json=OPENAI_BODY,
        headers={"authorization": "Bearer mine", "openai-beta": "x=1"},
    )
    assert response.status_code == 200
    seen = upstream.requests[-1].headers
    assert seen["authorization"] == f"Bearer {DEMO_UPSTREAM_KEY}"
    assert seen["openai-beta"] == "x=1"


async def test_passthrough_anthropic_version_defaulted(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    await client.post("/v1/messages", json=ANTHROPIC_BODY)
    assert upstream.requests[-1].headers["anthropic-version"] == "2023-06-01"


async def test_passthrough_provider_headers_injected(upstream: FakeUpstream) -> None:
    config = make_config(upstream)
    providers = [p.model_copy(update={"headers": {"X-Team": "blue"}}) for p in config.providers]
    config = config.model_copy(update={"providers": tuple(providers)})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        await client.post("/v1/chat/completions", json=OPENAI_BODY)
    assert upstream.requests[-1].headers["x-team"] == "blue"


async def test_passthrough_query_string_accepted(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    response = await client.post("/v1/messages?beta=true", json=ANTHROPIC_BODY)
    assert response.status_code == 200
    assert response.json()["type"] == "message"


async def test_passthrough_sensitive_response_headers_stripped(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/chat/completions", json=OPENAI_BODY)
    assert "set-cookie" not in response.headers
    assert "server" not in response.headers


async def test_passthrough_openai_sdk_streamed(gateway: str, upstream: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        stream = await oai.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Hello from the demo upstream")
    assert chunks[-1].usage is not None


async def test_passthrough_anthropic_sdk_streamed(gateway: str) -> None:
    async with (
        anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant,
        ant.messages.stream(
            model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "hi"}]
        ) as stream,
    ):
        text = "".join([t async for t in stream.text_stream])
        final = await stream.get_final_message()
    assert text.startswith("Hello from the demo upstream")
    assert final.stop_reason == "end_turn"


async def test_passthrough_stream_headers(client: httpx.AsyncClient) -> None:
    async with client.stream(
        "POST", "/v1/chat/completions", json={**OPENAI_BODY, "stream": True}
    ) as response:
        body = await response.aread()
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    assert body.rstrip().endswith(b"data: [DONE]")


async def test_passthrough_count_tokens_forwarded(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    body = {"model": "demo-claude", "messages": [{"role": "user", "content": "hello there"}]}
    response = await client.post("/v1/messages/count_tokens", json=body)
    assert response.status_code == 200
    assert response.json()["input_tokens"] > 0
    assert upstream.requests[-1].path == "/v1/messages/count_tokens"
    assert upstream.requests[-1].body == {**body, "model": "claude-sonnet-4-6"}


async def test_count_tokens_estimated_for_openai_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {
        "model": "claude-via-openai",
        "system": "be brief",
        "messages": [{"role": "user", "content": "hello there " * 50}],
    }
    response = await client.post("/v1/messages/count_tokens", json=body)
    assert response.status_code == 200
    assert response.json()["input_tokens"] > 100
    assert "estimate" in response.headers["x-interlingua-warning"]
    assert upstream.requests == []
