"""Every error path answers in the client's own envelope with the right status, never HTML or a trace."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import anthropic
import httpx
import openai
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, make_config

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

OPENAI = "/v1/chat/completions"
ANTHROPIC = "/v1/messages"


def assert_openai_error(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["message"]
    if kind is not None:
        assert error["type"] == kind
    assert "Traceback" not in response.text
    return error


def assert_anthropic_error(response: httpx.Response, status: int, kind: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["type"] == "error"
    if kind is not None:
        assert body["error"]["type"] == kind
    assert "Traceback" not in response.text
    return dict(body["error"])


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"", b'"text"'])
async def test_errors_malformed_body_openai(client: httpx.AsyncClient, raw: bytes) -> None:
    assert_openai_error(await client.post(OPENAI, content=raw), 400, "invalid_request_error")


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b""])
async def test_errors_malformed_body_anthropic(client: httpx.AsyncClient, raw: bytes) -> None:
    assert_anthropic_error(await client.post(ANTHROPIC, content=raw), 400, "invalid_request_error")


async def test_errors_model_missing_names_field(client: httpx.AsyncClient) -> None:
    error = assert_openai_error(await client.post(OPENAI, json={"messages": []}), 400)
    assert error["param"] == "model"
    error = assert_anthropic_error(await client.post(ANTHROPIC, json={"model": 3, "messages": []}), 400)
    assert "model" in error["message"]


async def test_errors_messages_missing_names_field(client: httpx.AsyncClient) -> None:
    error = assert_openai_error(await client.post(OPENAI, json={"model": "gpt-4o-mini"}), 400)
    assert error["param"] == "messages"
    error = assert_anthropic_error(
        await client.post(ANTHROPIC, json={"model": "claude-sonnet-4-6", "messages": "hi"}), 400
    )
    assert "messages" in error["message"]


async def test_errors_stream_flag_type(client: httpx.AsyncClient) -> None:
    error = assert_openai_error(await client.post(OPENAI, json={**OPENAI_BODY, "stream": "yes"}), 400)
    assert error["param"] == "stream"


async def test_errors_unknown_model_404(client: httpx.AsyncClient) -> None:
    error = assert_openai_error(await client.post(OPENAI, json={**OPENAI_BODY, "model": "llama-3"}), 404)
    assert "llama-3" in error["message"]
    assert_anthropic_error(
        await client.post(ANTHROPIC, json={**ANTHROPIC_BODY, "model": "llama-3"}), 404, "not_found_error"
    )


async def test_errors_unknown_model_sdk_exception(gateway: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        with pytest.raises(openai.NotFoundError):
            await oai.chat.completions.create(model="llama-3", messages=[{"role": "user", "content": "hi"}])
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        with pytest.raises(anthropic.NotFoundError):
            await ant.messages.create(
                model="llama-3", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )


async def test_errors_blocked_and_not_allowed_models_400(upstream: FakeUpstream) -> None:
    config = make_config(
        upstream, model_access={"block": ["gpt-4o"], "allow": ["gpt-*", "claude-*"]}
    )
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert_openai_error(await client.post(OPENAI, json={**OPENAI_BODY, "model": "gpt-4o"}), 400)
        assert_anthropic_error(
            await client.post(ANTHROPIC, json={**ANTHROPIC_BODY, "model": "demo-claude"}), 400
        )
        assert (await client.post(OPENAI, json=OPENAI_BODY)).status_code == 200
    assert all(r.body and r.body["model"] != "gpt-4o" for r in upstream.requests)


async def test_errors_body_too_large_by_content_length(upstream: FakeUpstream) -> None:
    config = make_config(upstream, server={"max_body_bytes": 1000})
    big = {**OPENAI_BODY, "messages": [{"role": "user", "content": "x" * 2000}]}
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert_openai_error(await client.post(OPENAI, json=big), 413)
        assert_anthropic_error(await client.post(ANTHROPIC, json={**big, "max_tokens": 5}), 413)
    assert upstream.requests == []


async def test_errors_body_too_large_while_reading_chunked(upstream: FakeUpstream) -> None:
    # No content-length: the limit must hold while the body is read. A raw
    # socket, because HTTP clients abort when the server answers mid-upload.
    config = make_config(upstream, server={"max_body_bytes": 1000})
    payload = b'{"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "' + b"x" * 2000 + b'"}]}'
    chunked = (
        b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (payload[:500], payload[500:]))
        + b"0\r\n\r\n"
    )
    async with running_gateway(config) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head = f"POST {OPENAI} HTTP/1.1\r\nhost: {host}\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n"
        writer.write(head.encode() + chunked)
        await writer.drain()
        status_line = await reader.readline()
        rest = await reader.read(65536)
        writer.close()
    assert status_line.startswith(b"HTTP/1.1 413"), status_line
    assert b'"error"' in rest
    assert upstream.requests == []


async def test_errors_inflight_limit_503_and_529(upstream: FakeUpstream) -> None:
    config = make_config(upstream, server={"max_inflight": 1})
    upstream.fault_next("slow:500")
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        slow = asyncio.create_task(client.post(OPENAI, json=OPENAI_BODY))
        while not upstream.requests:  # noqa: ASYNC110 (the fake upstream has no arrival event)
            await asyncio.sleep(0.01)
        error = assert_openai_error(await client.post(OPENAI, json=OPENAI_BODY), 503)
        assert error["message"]
        overloaded = await client.post(ANTHROPIC, json=ANTHROPIC_BODY)
        assert_anthropic_error(overloaded, 529, "overloaded_error")
        assert overloaded.headers["retry-after"] == "1"
        assert (await slow).status_code == 200
        assert (await client.post(OPENAI, json=OPENAI_BODY)).status_code == 200


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pointing_at(config: Config, base: str) -> Config:
    providers = tuple(
        p.model_copy(update={"base_url": base + ("/v1" if p.format == "openai_chat" else "")})
        for p in config.providers
    )
    return config.model_copy(update={"providers": providers})


async def test_errors_upstream_connect_failure_502(upstream: FakeUpstream) -> None:
    config = _pointing_at(make_config(upstream), f"http://127.0.0.1:{_closed_port()}")
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert_openai_error(await client.post(OPENAI, json=OPENAI_BODY), 502)
        assert_anthropic_error(await client.post(ANTHROPIC, json=ANTHROPIC_BODY), 502)
        stream = await client.post(ANTHROPIC, json={**ANTHROPIC_BODY, "stream": True})
        assert_anthropic_error(stream, 502)


async def test_errors_upstream_timeout_504(upstream: FakeUpstream) -> None:
    config = make_config(upstream, read_ms=200)
    upstream.fault_next("slow:2000", times=2)
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as client:
        assert_openai_error(await client.post(OPENAI, json=OPENAI_BODY), 504)
        assert_anthropic_error(await client.post(ANTHROPIC, json=ANTHROPIC_BODY), 504)


async def test_errors_upstream_status_passthrough_keeps_retry_after(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("status:429,retry-after:11,message:slow down")
    response = await client.post(OPENAI, json=OPENAI_BODY)
    error = assert_openai_error(response, 429)
    assert error["message"] == "slow down"
    assert response.headers["retry-after"] == "11"
    upstream.fault_next("status:529,retry-after:3")
    response = await client.post(ANTHROPIC, json=ANTHROPIC_BODY)
    assert_anthropic_error(response, 529, "overloaded_error")
    assert response.headers["retry-after"] == "3"


async def test_errors_upstream_non_json_error_in_client_format(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.fault_next("raw-error:502")
    assert_openai_error(await client.post(OPENAI, json=OPENAI_BODY), 502)
    upstream.fault_next("raw-error:500")
    assert_anthropic_error(await client.post(ANTHROPIC, json=ANTHROPIC_BODY), 500)


async def test_errors_upstream_status_sdk_exceptions(gateway: str, upstream: FakeUpstream) -> None:
    upstream.fault_next("status:429")
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key="k", max_retries=0) as oai:
        with pytest.raises(openai.RateLimitError):
            await oai.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
    upstream.fault_next("status:400,message:bad thing")
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key="k", max_retries=0) as ant:
        with pytest.raises(anthropic.BadRequestError, match="bad thing"):
            await ant.messages.create(
                model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": "hi"}]
            )


async def test_errors_unknown_route_404_json(client: httpx.AsyncClient) -> None:
    assert_openai_error(await client.get("/v1/nothing"), 404)
    assert_anthropic_error(await client.get("/v2/x", headers={"anthropic-version": "2023-06-01"}), 404)
    assert_anthropic_error(await client.post("/v1/messages/batches", json={}), 404)


async def test_errors_wrong_method_405_json(client: httpx.AsyncClient) -> None:
    assert_openai_error(await client.get(OPENAI), 405)
    assert_anthropic_error(await client.put(ANTHROPIC, json={}), 405)


async def test_errors_upstream_rejects_gateway_key_is_reported(upstream: FakeUpstream) -> None:
    config = make_config(upstream)
    providers = tuple(p.model_copy(update={"api_key": None}) for p in config.providers)
    async with (
        running_gateway(config.model_copy(update={"providers": providers})) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        assert_openai_error(await client.post(OPENAI, json=OPENAI_BODY), 401)
        assert_anthropic_error(await client.post(ANTHROPIC, json=ANTHROPIC_BODY), 401, "authentication_error")
