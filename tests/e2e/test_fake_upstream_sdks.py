"""The fake upstream's new wire formats, judged by the providers' official SDKs
talking to it directly (no gateway): google-genai for Gemini, openai for
Responses, boto3's bedrock-runtime client for Converse (SigV4 signed; its
event-stream parser decodes the fake's binary frames)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import boto3
import botocore.exceptions
import httpx
import openai
import pytest
from botocore.config import Config as BotoConfig
from botocore.eventstream import EventStreamBuffer
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.fake_upstream.bedrock_converse import bedrock_exception_frame
from interlingua.server.fake_upstream.sigv4 import DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY
from interlingua.streams.eventstream import encode_event

from .payloads import ECHO, SCHEMA, genai_client

WEATHER = {"name": "get_weather", "description": "weather", "parameters": SCHEMA}


@pytest.fixture
async def gem(upstream: FakeUpstream) -> AsyncIterator[genai.Client]:
    async with genai_client(upstream.gemini_base_url, DEMO_UPSTREAM_KEY) as client:
        yield client


def _bedrock(url: str, secret: str = DEMO_AWS_SECRET_ACCESS_KEY) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=DEMO_AWS_ACCESS_KEY_ID,
        aws_secret_access_key=secret,
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )


async def test_fake_gemini_text_and_usage_parse_in_google_genai(gem: genai.Client) -> None:
    out = await gem.aio.models.generate_content(model="gemini-2.5-flash", contents="hi there")
    assert out.text == ECHO + "hi there"
    assert out.candidates
    assert out.candidates[0].finish_reason == types.FinishReason.STOP
    assert out.usage_metadata
    assert out.usage_metadata.candidates_token_count == 9


async def test_fake_gemini_stream_thoughts_and_tool_call(gem: genai.Client) -> None:
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[types.FunctionDeclaration(**WEATHER)])],
        thinking_config=types.ThinkingConfig(include_thoughts=True),
    )
    chunks = [
        c
        async for c in await gem.aio.models.generate_content_stream(
            model="gemini-2.5-flash", contents="weather?", config=config
        )
    ]
    parts = [p for c in chunks for p in (c.candidates[0].content.parts or [])]  # type: ignore[index,union-attr]
    assert any(p.thought and p.thought_signature for p in parts)
    call = next(p.function_call for p in parts if p.function_call)
    assert call.name == "get_weather"
    assert call.args == {"location": "Paris"}
    assert call.id
    assert chunks[-1].usage_metadata
    assert chunks[-1].usage_metadata.thoughts_token_count


async def test_fake_gemini_tool_result_count_tokens_models_and_errors(
    gem: genai.Client, upstream: FakeUpstream
) -> None:
    contents: Any = [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": "get_weather", "args": {}}}]},
        {
            "role": "user",
            "parts": [{"functionResponse": {"id": "c1", "name": "get_weather", "response": {"t": 1}}}],
        },
    ]
    out = await gem.aio.models.generate_content(model="gemini-2.5-flash", contents=contents)
    assert out.text == 'The tool get_weather returned: {"t":1}.'
    counted = await gem.aio.models.count_tokens(model="gemini-2.5-flash", contents="hello")
    assert counted.total_tokens
    assert counted.total_tokens > 0
    names = [m.name async for m in await gem.aio.models.list()]
    assert "models/gemini-2.5-flash" in names
    upstream.fault_next("status:429")
    with pytest.raises(genai_errors.ClientError) as info:
        await gem.aio.models.generate_content(model="gemini-2.5-flash", contents="x")
    assert info.value.code == 429
    assert info.value.status == "RESOURCE_EXHAUSTED"
    with pytest.raises(genai_errors.ClientError) as bad:
        await gem.aio.models.generate_content(model="gemini-2.5-flash", contents=contents[2:])
    assert bad.value.code == 400


async def test_fake_responses_parse_in_openai_sdk(upstream: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(
        base_url=upstream.responses_base_url, api_key=DEMO_UPSTREAM_KEY, max_retries=0
    ) as client:
        out = await client.responses.create(model="gpt-5", input="hi there")
        assert out.output_text == ECHO + "hi there"
        tool: Any = {"type": "function", **WEATHER}
        async with client.responses.stream(
            model="gpt-5",
            input="weather?",
            tools=[tool],
            reasoning={"effort": "low", "summary": "auto"},
            include=["reasoning.encrypted_content"],
        ) as stream:
            events = [e.type async for e in stream]
            final = await stream.get_final_response()
        assert events[0] == "response.created"
        assert events[-1] == "response.completed"
        assert "response.function_call_arguments.delta" in events
        kinds = [item.type for item in final.output]
        assert kinds == ["reasoning", "function_call"]
        call = final.output[1]
        assert call.type == "function_call"
        assert call.arguments == '{"location":"Paris"}'
        items: Any = [
            {"role": "user", "content": "weather?"},
            final.output[0].model_dump(exclude_none=True),
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "21C"},
        ]
        done = await client.responses.create(model="gpt-5", input=items, tools=[tool])
        assert done.output_text == "The tool get_weather returned: 21C."
        upstream.fault_next("status:429")
        with pytest.raises(openai.RateLimitError):
            await client.responses.create(model="gpt-5", input="x")
        with pytest.raises(openai.BadRequestError, match="encrypted content"):
            await client.responses.create(
                model="gpt-5",
                input=[{"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "x"}],
            )


def _converse_calls(url: str) -> None:
    client = _bedrock(url)
    messages: Any = [{"role": "user", "content": [{"text": "hi there"}]}]
    out = client.converse(modelId="anthropic.claude-3-5-sonnet-20240620-v1:0", messages=messages)
    assert out["output"]["message"]["content"] == [{"text": ECHO + "hi there"}]
    assert out["stopReason"] == "end_turn"
    assert out["usage"]["outputTokens"] == 9
    tools = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": SCHEMA}}}]}
    stream = client.converse_stream(
        modelId="demo-bedrock",
        messages=[{"role": "user", "content": [{"text": "weather?"}]}],
        toolConfig=tools,
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}},
    )
    events = list(stream["stream"])
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart"
    assert kinds[-2:] == ["messageStop", "metadata"]
    args = "".join(
        e["contentBlockDelta"]["delta"]["toolUse"]["input"]
        for e in events
        if "toolUse" in e.get("contentBlockDelta", {}).get("delta", {})
    )
    assert args == '{"location":"Paris"}'
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"
    with pytest.raises(client.exceptions.ValidationException, match="toolConfig"):
        client.converse(
            modelId="demo-bedrock",
            messages=[
                {"role": "user", "content": [{"text": "a"}]},
                {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t", "name": "x", "input": {}}}]},
                {"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": [{"text": "1"}]}}]},
            ],
        )


def _converse_faults(up: FakeUpstream) -> None:
    client = _bedrock(up.bedrock_base_url)
    up.fault_next("status:429")
    with pytest.raises(client.exceptions.ThrottlingException):
        client.converse(modelId="demo-bedrock", messages=[{"role": "user", "content": [{"text": "x"}]}])
    up.fault_next("error-after:3")
    stream = client.converse_stream(
        modelId="demo-bedrock", messages=[{"role": "user", "content": [{"text": "x"}]}]
    )
    with pytest.raises(botocore.exceptions.EventStreamError, match="modelStreamErrorException"):
        list(stream["stream"])
    with pytest.raises(botocore.exceptions.ClientError, match="signature"):
        _bedrock(up.bedrock_base_url, "wrong").converse(
            modelId="demo-bedrock", messages=[{"role": "user", "content": [{"text": "x"}]}]
        )


async def test_fake_bedrock_converse_parses_in_boto3(upstream: FakeUpstream) -> None:
    await asyncio.to_thread(_converse_calls, upstream.bedrock_base_url)
    await asyncio.to_thread(_converse_faults, upstream)
    assert upstream.requests[0].headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")


def test_fake_bedrock_frames_decode_in_botocore() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(encode_event("messageStart", {"role": "assistant"}) + bedrock_exception_frame(429, "slow"))
    first, second = list(buffer)
    assert first.headers[":event-type"] == "messageStart"
    assert first.payload == b'{"role":"assistant"}'
    assert second.headers[":exception-type"] == "throttlingException"


async def test_fake_gemini_raw_wire_rules(upstream: FakeUpstream) -> None:
    """What the SDKs do not show: the JSON-array stream without alt=sse, ?key= auth,
    snake_case field names, unknown part fields and foreign thought signatures refused."""
    base = f"{upstream.base_url}/v1beta/models/gemini-2.5-flash"
    user = {"role": "user", "parts": [{"text": "hi"}]}
    async with httpx.AsyncClient(timeout=5) as http:
        array = await http.post(
            f"{base}:streamGenerateContent?key={DEMO_UPSTREAM_KEY}", json={"contents": [user]}
        )
        assert array.status_code == 200
        assert "".join(c["candidates"][0]["content"]["parts"][0]["text"] for c in array.json()) == ECHO + "hi"
        snake = {"contents": [user], "generation_config": {"thinking_config": {"include_thoughts": True}}}
        out = (await http.post(f"{base}:generateContent?key={DEMO_UPSTREAM_KEY}", json=snake)).json()
        assert out["candidates"][0]["content"]["parts"][0]["thought"] is True
        unknown = {"contents": [{"role": "user", "parts": [{"text": "hi", "cache_control": {}}]}]}
        bad = await http.post(f"{base}:generateContent?key={DEMO_UPSTREAM_KEY}", json=unknown)
        assert bad.status_code == 400
        assert bad.json()["error"]["status"] == "INVALID_ARGUMENT"
        call = {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "c2lnLWZyb20tZWxzZXdoZXJl"}
        foreign = {"contents": [user, {"role": "model", "parts": [call]}, user]}
        refused = await http.post(f"{base}:generateContent?key={DEMO_UPSTREAM_KEY}", json=foreign)
        assert "Thought signature is not valid" in refused.json()["error"]["message"]
        assert (
            await http.post(f"{base}:generateContent?key=wrong", json={"contents": [user]})
        ).status_code == 401


def _foreign_reasoning(url: str) -> None:
    reasoning = {"reasoningContent": {"reasoningText": {"text": "hm", "signature": "not-ours"}}}
    messages: Any = [
        {"role": "user", "content": [{"text": "a"}]},
        {"role": "assistant", "content": [reasoning, {"text": "b"}]},
        {"role": "user", "content": [{"text": "c"}]},
    ]
    client = _bedrock(url)
    with pytest.raises(client.exceptions.ValidationException, match="signature"):
        client.converse(modelId="demo-bedrock", messages=messages)


async def test_fake_bedrock_refuses_a_reasoning_signature_it_did_not_issue(upstream: FakeUpstream) -> None:
    await asyncio.to_thread(_foreign_reasoning, upstream.bedrock_base_url)


async def test_fake_azure_parses_in_the_openai_azure_client(upstream: FakeUpstream) -> None:
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=upstream.base_url, api_key=DEMO_UPSTREAM_KEY, api_version="2024-10-21", max_retries=0
    ) as client:
        out = await client.chat.completions.create(
            model="prod-4o", messages=[{"role": "user", "content": "hi"}]
        )
        assert out.choices[0].message.content == ECHO + "hi"
        assert upstream.requests[-1].path == "/openai/deployments/prod-4o/chat/completions"
    async with openai.AsyncAzureOpenAI(
        azure_endpoint=upstream.base_url, api_key="wrong", api_version="2024-10-21", max_retries=0
    ) as client:
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(
                model="prod-4o", messages=[{"role": "user", "content": "hi"}]
            )


@pytest.mark.parametrize(
    ("schema", "complaint"),
    [
        ({"type": "object", "additionalProperties": False}, 'Unknown name "additionalProperties"'),
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/A"}}}, 'Unknown name "$ref"'),
        ({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, "not repeating"),
    ],
)
async def test_fake_gemini_parameters_take_only_gemini_schema(
    upstream: FakeUpstream, schema: dict[str, Any], complaint: str
) -> None:
    url = f"{upstream.base_url}/v1beta/models/gemini-2.5-flash:generateContent?key={DEMO_UPSTREAM_KEY}"
    user = {"role": "user", "parts": [{"text": "hi"}]}
    as_schema = {
        "contents": [user],
        "tools": [{"functionDeclarations": [{"name": "f", "parameters": schema}]}],
    }
    as_json_schema = {
        "contents": [user],
        "tools": [{"functionDeclarations": [{"name": "f", "parametersJsonSchema": schema}]}],
    }
    async with httpx.AsyncClient(timeout=5) as http:
        refused = await http.post(url, json=as_schema)
        assert refused.status_code == 400
        assert complaint in refused.json()["error"]["message"]
        assert (await http.post(url, json=as_json_schema)).status_code == 200
