"""Inbound keys, request ids, warnings, models endpoints, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import httpx
import openai
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

KEY = "gw-key-123"


@pytest.fixture
async def locked(upstream: FakeUpstream) -> AsyncIterator[str]:
    async with running_gateway(make_config(upstream, server={"api_keys": ["other-key", KEY]})) as url:
        yield url


@pytest.mark.parametrize(
    "headers",
    [
        {"authorization": f"Bearer {KEY}"},
        {"authorization": f"bearer  {KEY}"},
        {"x-api-key": KEY},
        {"x-goog-api-key": KEY},
    ],
)
async def test_auth_accepted_conventions(locked: str, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=locked) as client:
        assert (
            await client.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)
        ).status_code == 200
        assert (await client.post("/v1/messages", json=ANTHROPIC_BODY, headers=headers)).status_code == 200
        assert (await client.get("/v1/models", headers=headers)).status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer nope"}, {"x-api-key": KEY + "x"}, {"authorization": KEY}]
)
async def test_auth_rejected_in_client_format(
    locked: str, upstream: FakeUpstream, headers: dict[str, str]
) -> None:
    async with httpx.AsyncClient(base_url=locked) as client:
        response = await client.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)
        assert response.status_code == 401
        assert "error" in response.json()
        response = await client.post("/v1/messages", json=ANTHROPIC_BODY, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"
        assert (await client.get("/v1/models", headers=headers)).status_code == 401
    assert upstream.requests == []


async def test_auth_health_stays_open(locked: str) -> None:
    async with httpx.AsyncClient(base_url=locked) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200


async def test_auth_sdks_with_gateway_key(locked: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{locked}/v1", api_key=KEY, max_retries=0) as oai:
        assert (
            await oai.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
        ).choices
    async with anthropic.AsyncAnthropic(base_url=locked, api_key="wrong", max_retries=0) as ant:
        with pytest.raises(anthropic.AuthenticationError):
            await ant.messages.create(
                model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )


async def test_request_id_generated_and_echoed(client: httpx.AsyncClient) -> None:
    first = await client.post("/v1/chat/completions", json=OPENAI_BODY)
    second = await client.post("/v1/chat/completions", json=OPENAI_BODY)
    assert first.headers["x-request-id"].startswith("req_")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    echoed = await client.post("/v1/messages", json=ANTHROPIC_BODY, headers={"x-request-id": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"


async def test_request_id_on_errors_and_every_route(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/nowhere"),
        await client.post("/v1/messages", content=b"{"),
        await client.get("/healthz"),
        await client.post("/v1/chat/completions", json={**OPENAI_BODY, "stream": True}),
    ):
        assert response.headers["x-request-id"].startswith("req_")


async def test_request_id_unsafe_value_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"x-request-id": "a" * 500})
    assert response.headers["x-request-id"].startswith("req_")


async def test_models_openai_shape(client: httpx.AsyncClient) -> None:
    body = (await client.get("/v1/models")).json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert "gpt-4o-mini" in ids
    assert "demo-claude" in ids
    assert "gpt-*" not in ids
    assert all(
        m["object"] == "model" and isinstance(m["created"], int) and m["owned_by"] for m in body["data"]
    )


async def test_models_anthropic_shape(client: httpx.AsyncClient) -> None:
    for headers in ({"anthropic-version": "2023-06-01"}, {"x-api-key": "k"}):
        body = (await client.get("/v1/models", headers=headers)).json()
        assert body["has_more"] is False
        assert body["first_id"] == body["data"][0]["id"]
        model = body["data"][0]
        assert model["type"] == "model"
        assert model["display_name"]
        assert model["created_at"].endswith("Z")


async def test_models_sdks_list(gateway: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        assert "demo-gpt" in [m.id async for m in oai.models.list()]
        assert (await oai.models.retrieve("demo-gpt")).id == "demo-gpt"
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        models = [m async for m in ant.models.list()]
        assert any(m.id == "demo-claude" and m.display_name == "Demo Claude" for m in models)
        assert (await ant.models.retrieve("claude-sonnet-4-6")).display_name == "Claude Sonnet 4.6 (demo)"


async def test_models_retrieve_glob_match_and_unknown(client: httpx.AsyncClient) -> None:
    matched = await client.get("/v1/models/claude-opus-9")
    assert matched.status_code == 200
    assert matched.json()["id"] == "claude-opus-9"
    missing = await client.get("/v1/models/llama", headers={"anthropic-version": "2023-06-01"})
    assert missing.status_code == 404
    assert missing.json()["type"] == "error"


async def test_health_and_ready(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
