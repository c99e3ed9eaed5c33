"""Bedrock Converse as a client format: boto3's bedrock-runtime client pointed at the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import boto3
import botocore.exceptions
import httpx
import pytest
import urllib3
from botocore.config import Config as BotoConfig
from server_helpers import formats_config

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


async def test_boto3_converse_stream_elsewhere_is_a_clear_validation_error(gateway: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        await asyncio.to_thread(_stream, gateway, "gpt-4o-mini")
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "converse-stream" in info.value.response["Error"]["Message"]


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
    # The connection is cut (no SSE error frame fits a binary stream): boto3 raises.
    with pytest.raises(urllib3.exceptions.ProtocolError, match="ended prematurely"):
        await asyncio.to_thread(_stream_events, gateway)
