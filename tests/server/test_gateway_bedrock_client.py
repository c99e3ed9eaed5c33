"""Bedrock Converse as a client format: boto3's bedrock-runtime client pointed at the gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.config import Config as BotoConfig
from server_helpers import formats_config

from interlingua.convert.blobs import unseal
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    async with running_gateway(formats_config(upstream)) as url:
        yield url


def _client(url: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIACLIENT",
        aws_secret_access_key="client-secret",
        config=BotoConfig(retries={"max_attempts": 1}),
    )


def _converse(url: str, model: str) -> Any:
    return _client(url).converse(
        modelId=model, messages=[{"role": "user", "content": [{"text": "say hello"}]}]
    )


@pytest.mark.parametrize(
    "model", ["gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "gpt-5", "claude-via-bedrock"]
)
async def test_boto3_converse_through_gateway(gateway: str, model: str) -> None:
    answer = await asyncio.to_thread(_converse, gateway, model)
    text = "".join(block.get("text", "") for block in answer["output"]["message"]["content"])
    assert "hello" in text.lower()
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"]["outputTokens"] > 0


def _stream(url: str, model: str) -> str:
    response = _client(url).converse_stream(
        modelId=model, messages=[{"role": "user", "content": [{"text": "say hello"}]}]
    )
    return "".join(
        event["contentBlockDelta"]["delta"].get("text", "")
        for event in response["stream"]
        if "contentBlockDelta" in event
    )


async def test_boto3_converse_stream_relayed_to_bedrock(gateway: str, upstream: FakeUpstream) -> None:
    assert "hello" in (await asyncio.to_thread(_stream, gateway, "claude-via-bedrock")).lower()
    assert upstream.requests[-1].path.endswith("/converse-stream")


UPSTREAMS = ["gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "gpt-5", "claude-via-bedrock"]
_TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "the weather in a city",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            }
        }
    ]
}


def _events(url: str, model: str, **kwargs: Any) -> list[Any]:
    response = _client(url).converse_stream(
        modelId=model, messages=[{"role": "user", "content": [{"text": "what is the weather in Oslo?"}]}], **kwargs
    )
    return list(response["stream"])


def _deltas(events: list[Any], member: str) -> list[Any]:
    return [e["contentBlockDelta"]["delta"][member] for e in events if member in e.get("contentBlockDelta", {}).get("delta", {})]


@pytest.mark.parametrize("model", UPSTREAMS)
async def test_boto3_converse_stream_text_and_metadata_from_every_upstream(gateway: str, model: str) -> None:
    events = await asyncio.to_thread(_events, gateway, model)
    names = [next(iter(e)) for e in events]
    assert names[0] == "messageStart"
    assert names[-2:] == ["messageStop", "metadata"]
    assert "".join(_deltas(events, "text"))
    assert events[-2]["messageStop"]["stopReason"] == "end_turn"
    usage = events[-1]["metadata"]["usage"]
    assert usage["outputTokens"] > 0
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"]
    assert isinstance(events[-1]["metadata"]["metrics"]["latencyMs"], int)


@pytest.mark.parametrize("model", UPSTREAMS)
async def test_boto3_converse_stream_tool_use_from_every_upstream(gateway: str, model: str) -> None:
    events = await asyncio.to_thread(_events, gateway, model, toolConfig=_TOOLS)
    starts = [e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e]
    assert [s["name"] for s in starts] == ["get_weather"]
    assert starts[0]["toolUseId"]
    arguments = json.loads("".join(d["input"] for d in _deltas(events, "toolUse")))
    assert "city" in arguments
    assert events[-2]["messageStop"]["stopReason"] == "tool_use"


_ISSUERS = {"claude-sonnet-4-6": "anthropic_messages", "gemini-2.5-flash": "gemini", "gpt-5": "openai_responses"}


@pytest.mark.parametrize("model", UPSTREAMS)
async def test_boto3_converse_stream_thinking_from_every_upstream(gateway: str, model: str) -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    events = await asyncio.to_thread(
        _events, gateway, model, inferenceConfig={"maxTokens": 4096}, additionalModelRequestFields=thinking
    )
    reasoning = _deltas(events, "reasoningContent")
    assert "".join(r.get("text", "") for r in reasoning)
    assert "".join(_deltas(events, "text"))
    # A signature is an opaque blob for its issuer: a Bedrock upstream's reaches a Bedrock client as
    # issued, another upstream's sealed with its issuer (convert/blobs.py); OpenAI chat issues none.
    signatures = [r["signature"] for r in reasoning if "signature" in r]
    assert len(signatures) == (0 if model == "gpt-4o-mini" else 1)
    issuer = _ISSUERS.get(model)
    if issuer is not None:
        opened = unseal(signatures[0])
        assert opened is not None
        assert opened[0] == issuer


@pytest.mark.parametrize("model", UPSTREAMS)
async def test_boto3_converse_stream_mid_stream_error_is_raised(
    gateway: str, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("error-after:3,message:the model fell over")
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        await asyncio.to_thread(_events, gateway, model)
    assert "the model fell over" in info.value.response["Error"]["Message"]


@pytest.mark.parametrize("model", [m for m in UPSTREAMS if m != "claude-via-bedrock"])
async def test_boto3_converse_stream_cut_upstream_is_raised(gateway: str, upstream: FakeUpstream, model: str) -> None:
    upstream.fault_next("die-after:2")
    with pytest.raises(botocore.exceptions.EventStreamError) as info:
        await asyncio.to_thread(_events, gateway, model)
    assert info.value.response["Error"]["Code"] in ("serviceUnavailableException", "modelStreamErrorException")


async def test_boto3_converse_stream_content_type_is_the_event_stream(gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway) as c:
        body = {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}
        resp = await c.post("/model/gpt-4o-mini/converse-stream", json=body)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.amazon.eventstream"


async def test_bedrock_client_errors_carry_the_error_type_header(gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway) as c:
        resp = await c.post("/model/no-such-model/converse", json={"messages": []})
    assert resp.status_code == 404
    assert resp.headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert resp.json()["__type"] == "ResourceNotFoundException"


def _stream_events(url: str) -> list[Any]:
    response = _client(url).converse_stream(
        modelId="claude-via-bedrock", messages=[{"role": "user", "content": [{"text": "say hello"}]}]
    )
    return list(response["stream"])


async def test_boto3_stream_cut_upstream_is_an_error_not_a_clean_end(
    gateway: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("die-after:2")
    # The gateway ends the stream with an exception frame after the last whole frame, which
    # boto3 raises as the stream's error (a cut connection would read as a network fault).
    with pytest.raises(botocore.exceptions.EventStreamError, match="upstream connection failed"):
        await asyncio.to_thread(_stream_events, gateway)
