"""Gemini clients' proto3 JSON spellings through the gateway to other upstreams: google-genai's own
request serialiser (it sends ``inlineData`` holding ``mime_type``) and hand-written bodies in
each spelling, on generateContent, streamGenerateContent and countTokens."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import orjson
import pytest
from genai_bodies import PNG, typed_request
from google.genai import types
from server_helpers import genai_sdk

from interlingua.codegen.field_names import snake_case
from interlingua.server.fake_upstream import FakeUpstream

# A Gemini client's model names routed to each non-Gemini upstream format.
TRANSLATED = ["gemini-via-openai", "gemini-via-anthropic", "gpt-5", "claude-via-bedrock"]


@pytest.fixture
def client(formats_client: httpx.AsyncClient) -> httpx.AsyncClient:
    return formats_client


def _contents() -> list[types.Content]:
    return typed_request()[0]


def _config() -> types.GenerateContentConfig:
    return typed_request()[1]


def _image_reached(seen: Any) -> None:
    text = orjson.dumps(seen).decode()
    assert base64.b64encode(PNG).decode() in text
    assert "image/png" in text or '"png"' in text  # Bedrock names the format, not the MIME type
    assert "colour_name" in text  # tool schema property names are user data, kept as sent


@pytest.mark.parametrize("model", TRANSLATED)
async def test_gemini_sdk_image_and_typed_config_reach_other_upstreams(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    async with genai_sdk(client) as sdk:
        answer = await sdk.aio.models.generate_content(model=model, contents=_contents(), config=_config())
        assert answer.candidates
        _image_reached(upstream.requests[-1].body)
        stream = await sdk.aio.models.generate_content_stream(model=model, contents=_contents(), config=_config())
        chunks = [chunk async for chunk in stream]
        assert any(chunk.candidates for chunk in chunks)
        _image_reached(upstream.requests[-1].body)
        count = await sdk.aio.models.count_tokens(model=model, contents=_contents())
        assert count.total_tokens


def _spelled(value: Any, snake: bool, parent: str = "") -> Any:
    """Field names in snake_case (``snake``) or camelCase; values under args/properties kept."""
    if isinstance(value, list):
        return [_spelled(item, snake, parent) for item in value]
    if not isinstance(value, dict) or parent in ("args", "response", "parametersJsonSchema", "properties"):
        return value
    return {(snake_case(k) if snake else k): _spelled(v, snake, k) for k, v in value.items()}


_CAMEL_BODY: dict[str, Any] = {
    "systemInstruction": {"parts": [{"text": "answer briefly"}]},
    "contents": [
        {
            "role": "user",
            "parts": [{"text": "what is this?"}, {"inlineData": {"mimeType": "image/png", "data": base64.b64encode(PNG).decode()}}],
        }
    ],
    "tools": [
        {
            "functionDeclarations": [
                {"name": "describe", "parametersJsonSchema": {"type": "object", "properties": {"colour_name": {"type": "string"}}}}
            ]
        }
    ],
    "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    "generationConfig": {"maxOutputTokens": 2000, "thinkingConfig": {"includeThoughts": True, "thinkingBudget": 1024}},
}


@pytest.mark.parametrize("model", TRANSLATED)
@pytest.mark.parametrize("method", ["generateContent", "streamGenerateContent?alt=sse"])
async def test_gemini_snake_and_camel_bodies_reach_the_upstream_alike(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str, method: str
) -> None:
    seen = []
    for snake in (False, True):
        resp = await client.post(f"/v1beta/models/{model}:{method}", json=_spelled(_CAMEL_BODY, snake))
        assert resp.status_code == 200, resp.text
        seen.append(upstream.requests[-1].body)
    _image_reached(seen[1])
    assert seen[0] == seen[1]


async def test_gemini_count_tokens_takes_snake_case_nested_request(client: httpx.AsyncClient) -> None:
    body = {"generate_content_request": {"model": "models/gemini-via-openai", **_spelled(_CAMEL_BODY, True)}}
    resp = await client.post("/v1beta/models/gemini-via-openai:countTokens", json=body)
    assert resp.status_code == 200, resp.text
    camel = {"generateContentRequest": {"model": "models/gemini-via-openai", **_CAMEL_BODY}}
    same = await client.post("/v1beta/models/gemini-via-openai:countTokens", json=camel)
    assert resp.json() == same.json()
