"""Gemini clients' proto3 JSON spellings through the gateway to other upstreams: google-genai's own
request serialiser (it sends ``inlineData`` holding ``mime_type``) and hand-written bodies in
each spelling, on generateContent, streamGenerateContent and countTokens."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from google import genai
from google.genai import types
from server_helpers import formats_config

from interlingua.codegen.field_names import snake_case
from interlingua.server.demo import FakeUpstream
from interlingua.server.testing import running_gateway

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==")
# A Gemini client's model names routed to each non-Gemini upstream format.
TRANSLATED = ["gemini-via-openai", "gemini-via-anthropic", "gpt-5", "claude-via-bedrock"]


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


@contextlib.asynccontextmanager
async def _sdk(client: httpx.AsyncClient) -> AsyncIterator[genai.Client]:
    options = types.HttpOptions(base_url=str(client.base_url), api_version="v1beta", httpx_async_client=client)
    sdk = genai.Client(api_key="x", http_options=options)
    yield sdk
    await sdk.aio.aclose()


def _config() -> types.GenerateContentConfig:
    """Typed config the SDK serialises with snake_case inside camelCase (thinking_config, ...)."""
    return types.GenerateContentConfig(
        system_instruction="answer briefly",
        max_output_tokens=2000,
        temperature=0.5,
        stop_sequences=["STOP"],
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024),
        tools=[
            types.Tool(
                function_declarations=[
                    types.FunctionDeclaration(
                        name="describe",
                        description="describe a picture",
                        parameters_json_schema={"type": "object", "properties": {"colour_name": {"type": "string"}}},
                    )
                ]
            )
        ],
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="AUTO")),
    )


def _contents() -> list[types.Content]:
    image = types.Part.from_bytes(data=PNG, mime_type="image/png")
    return [types.Content(role="user", parts=[types.Part.from_text(text="what is this?"), image])]


def _image_reached(seen: Any) -> None:
    text = orjson.dumps(seen).decode()
    assert base64.b64encode(PNG).decode() in text
    assert "image/png" in text or '"png"' in text  # Bedrock names the format, not the MIME type
    assert "colour_name" in text  # tool schema property names are user data, kept as sent


@pytest.mark.parametrize("model", TRANSLATED)
async def test_gemini_sdk_image_and_typed_config_reach_other_upstreams(
    client: httpx.AsyncClient, upstream: FakeUpstream, model: str
) -> None:
    async with _sdk(client) as sdk:
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
