"""Issue 12 #10: a client's model name never moves the upstream path beyond its own encoded segment.

Every upstream format x every client surface, against :class:`WireRecorder` (a raw socket
server: the recorded target is the bytes on the wire, after httpx, aiohttp and yarl). Dot
segments are refused with 400 in the client's envelope and never reach the upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from wire_recorder import WireRecorder

from interlingua.server.config import Config
from interlingua.server.testing import running_gateway

_HI = [{"role": "user", "content": "hi"}]
_AWS = {"region": "us-east-1", "access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret-example"}

# upstream name -> (provider config, the wire path expected for model segment {m})
UPSTREAMS: dict[str, tuple[dict[str, Any], str]] = {
    "openai_chat": ({"format": "openai_chat", "base": "/v1"}, "/v1/chat/completions"),
    "azure": (
        {"format": "openai_chat", "dialect": "azure", "azure": {"api_version": "2024-10-21"}},
        "/openai/deployments/{m}/chat/completions?api-version=2024-10-21",
    ),
    "anthropic": ({"format": "anthropic_messages"}, "/v1/messages"),
    "responses": ({"format": "openai_responses", "base": "/v1"}, "/v1/responses"),
    "gemini": ({"format": "gemini"}, "/v1beta/models/{m}:generateContent"),
    "bedrock": ({"format": "bedrock_converse", "aws": _AWS}, "/model/{m}/converse"),
}


def _client_request(surface: str, model: str) -> tuple[str, dict[str, Any]]:
    """(path, JSON body) of a minimal request of ``surface`` for ``model`` (URL names encoded)."""
    if surface == "openai_chat":
        return "/v1/chat/completions", {"model": model, "messages": _HI}
    if surface == "anthropic":
        return "/v1/messages", {"model": model, "max_tokens": 8, "messages": _HI}
    if surface == "responses":
        return "/v1/responses", {"model": model, "input": "hi"}
    if surface == "gemini":
        return f"/v1beta/models/{quote(model, safe='')}:generateContent", {
            "contents": [{"role": "user", "parts": [{"text": "hi"}]}]
        }
    # httpx would resolve a literal dot segment on its side; %2E reaches the gateway as is.
    segment = quote(model, safe="") if model.strip(".") else model.replace(".", "%2E")
    return f"/model/{segment}/converse", {"messages": [{"role": "user", "content": [{"text": "hi"}]}]}


SURFACES = ["openai_chat", "anthropic", "responses", "gemini", "bedrock"]
NAMES = [
    "x:y",
    "a/b",
    "a/../b",
    "q?x=1#f",
    "sp ace",
    "x%3Ay",
    "x%2F..",
    "100%",
    "ünï",
    ".hidden",
    "...",
    "a..",
]


def _config(recorder: WireRecorder, upstream: str) -> Config:
    provider, _ = UPSTREAMS[upstream]
    provider = dict(provider)
    base = recorder.url + provider.pop("base", "")
    raw = {
        "providers": [{"name": "rec", "base_url": base, "api_key": "k", **provider}],
        "models": [{"name": "*", "provider": "rec"}],
    }
    if upstream == "bedrock":
        del raw["providers"][0]["api_key"]  # signed with SigV4: the signed path must be the sent one
    return Config.model_validate(raw)


@pytest.fixture(params=list(UPSTREAMS))
async def gateway(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, WireRecorder, str]]:
    async with WireRecorder() as recorder, running_gateway(_config(recorder, request.param)) as url:
        yield url, recorder, request.param


def assert_client_error(surface: str, response: httpx.Response, status: int) -> str:
    """The message of a ``status`` error in ``surface``'s own envelope."""
    assert response.status_code == status, response.text
    body = response.json()
    if surface == "anthropic":
        assert body["type"] == "error"
        return str(body["error"]["message"])
    if surface == "bedrock":
        return str(body["message"])
    if surface == "gemini":
        assert body["error"]["code"] == status
    return str(body["error"]["message"])


@pytest.mark.parametrize("surface", SURFACES)
async def test_model_name_stays_in_its_segment(gateway: tuple[str, WireRecorder, str], surface: str) -> None:
    url, recorder, upstream = gateway
    expected = UPSTREAMS[upstream][1]
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for name in NAMES:
            path, body = _client_request(surface, name)
            recorder.targets.clear()
            response = await client.post(path, json=body)
            assert response.status_code == 404, (name, response.text)  # the recorder's answer, relayed
            assert recorder.targets == [expected.format(m=quote(name, safe=""))], name


async def _raw_post(url: str, target: str) -> tuple[int, bytes]:
    """POST with the target byte for byte (HTTP clients would resolve ``..`` themselves)."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = b'{"messages": [{"role": "user", "content": [{"text": "hi"}]}], "contents": []}'
    writer.write(
        f"POST {target} HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
        + body
    )
    data = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return int(data.split(b" ", 2)[1]), data.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("name", [".", ".."])
async def test_dot_segment_model_is_400_and_never_sent(
    gateway: tuple[str, WireRecorder, str], surface: str, name: str
) -> None:
    url, recorder, upstream = gateway
    path, body = _client_request(surface, name)
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.post(path, json=body)
    if "{m}" not in UPSTREAMS[upstream][1] and surface not in ("gemini", "bedrock"):
        # The name travels in the upstream's body only: a string like any other.
        assert recorder.targets == [UPSTREAMS[upstream][1]]
        return
    assert "model" in assert_client_error(surface, response, 400)
    assert recorder.targets == []


@pytest.mark.parametrize(
    "target",
    [
        "/model/../converse",
        "/model/./converse",
        "/model/%2E%2E/converse",
        "/v1beta/models/..:generateContent",
    ],
)
async def test_dot_segment_in_client_url_is_400(gateway: tuple[str, WireRecorder, str], target: str) -> None:
    url, recorder, _ = gateway
    status, _ = await _raw_post(url, target)
    assert status == 400
    assert recorder.targets == []
