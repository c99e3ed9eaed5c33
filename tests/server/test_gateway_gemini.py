"""The Gemini client surface and the Gemini upstream adapter, against the fake upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from google import genai
from google.genai import types
from server_helpers import GEMINI_BODY, OPENAI_BODY, formats_config, genai_sdk

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.testing import running_gateway


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


def _sse_data(text: str) -> list[dict[str, object]]:
    return [orjson.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


async def test_gemini_passthrough_forwards_bytes_and_rewrites_url_model(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    raw = (
        b'{"contents": [ {"role":"user","parts":[{"text":"hi"}]} ],  "generationConfig":{"temperature":0.5}}'
    )
    resp = await client.post(
        "/v1beta/models/gpt-via-gemini:generateContent",
        content=raw,
        headers={"x-goog-api-key": "client-key", "x-goog-api-client": "genai-test/1"},
    )
    assert resp.status_code == 200, resp.text
    types.GenerateContentResponse.model_validate(resp.json())
    seen = upstream.requests[-1]
    assert seen.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert seen.raw == raw  # byte for byte: the model lives in the URL
    assert seen.headers["x-goog-api-key"] == DEMO_UPSTREAM_KEY
    assert seen.headers["x-goog-api-client"] == "genai-test/1"


async def test_gemini_stream_sse_passthrough(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    resp = await client.post(
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", json=GEMINI_BODY
    )
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    chunks = _sse_data(resp.text)
    assert chunks
    assert "finishReason" in orjson.dumps(chunks[-1]).decode()
    assert upstream.requests[-1].query == "alt=sse"


async def test_gemini_stream_array_passthrough(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    resp = await client.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent", json=GEMINI_BODY)
    assert resp.status_code == 200
    chunks = resp.json()
    assert isinstance(chunks, list)
    assert chunks
    assert upstream.requests[-1].query == ""


@pytest.mark.parametrize("model", ["gemini-via-openai", "gemini-via-anthropic"])
async def test_gemini_client_translated_generate(client: httpx.AsyncClient, model: str) -> None:
    resp = await client.post(f"/v1beta/models/{model}:generateContent", json=GEMINI_BODY)
    assert resp.status_code == 200, resp.text
    answer = types.GenerateContentResponse.model_validate(resp.json())
    assert answer.text


@pytest.mark.parametrize("model", ["gemini-via-openai", "gemini-via-anthropic"])
async def test_gemini_client_translated_stream_sse(client: httpx.AsyncClient, model: str) -> None:
    resp = await client.post(f"/v1beta/models/{model}:streamGenerateContent?alt=sse", json=GEMINI_BODY)
    assert resp.status_code == 200, resp.text
    chunks = [types.GenerateContentResponse.model_validate(c) for c in _sse_data(resp.text)]
    assert "".join(c.text or "" for c in chunks)
    assert chunks[-1].candidates
    assert chunks[-1].candidates[0].finish_reason is not None


async def test_gemini_sdk_streams_through_gateway(client: httpx.AsyncClient) -> None:
    async with genai_sdk(client) as sdk:
        text = ""
        stream = await sdk.aio.models.generate_content_stream(model="gemini-via-anthropic", contents="hi")
        async for chunk in stream:
            text += chunk.text or ""
        assert text
        count = await sdk.aio.models.count_tokens(model="gemini-via-anthropic", contents="hello there")
        assert count.total_tokens
        assert count.total_tokens > 0


async def test_gemini_client_translated_stream_json_array(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1beta/models/gemini-via-openai:streamGenerateContent", json=GEMINI_BODY)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    chunks = [types.GenerateContentResponse.model_validate(c) for c in resp.json()]
    assert "".join(c.text or "" for c in chunks)


async def test_openai_client_to_gemini_upstream(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    body = {**OPENAI_BODY, "model": "gpt-via-gemini"}
    resp = await client.post("/v1/chat/completions", json=body, headers={"authorization": "Bearer client"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["model"] == "gpt-via-gemini"
    seen = upstream.requests[-1]
    assert seen.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert seen.body is not None
    assert "model" not in seen.body
    assert "contents" in seen.body
    assert seen.headers["x-goog-api-key"] == DEMO_UPSTREAM_KEY
    assert "authorization" not in seen.headers


async def test_openai_client_stream_to_gemini_upstream_uses_alt_sse(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {**OPENAI_BODY, "model": "gpt-via-gemini", "stream": True}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200
    assert resp.text.rstrip().endswith("data: [DONE]")
    seen = upstream.requests[-1]
    assert seen.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert seen.query == "alt=sse"


async def test_gemini_count_tokens_forwarded_to_gemini(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    resp = await client.post("/v1beta/models/gpt-via-gemini:countTokens", json=GEMINI_BODY)
    assert resp.status_code == 200
    assert resp.json()["totalTokens"] > 0
    assert upstream.requests[-1].path == "/v1beta/models/gemini-2.5-flash:countTokens"
    assert "x-interlingua-warning" not in resp.headers


async def test_gemini_count_tokens_estimated_elsewhere(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    before = len(upstream.requests)
    body = {"generateContentRequest": {"model": "models/gemini-via-openai", **GEMINI_BODY}}
    resp = await client.post("/v1beta/models/gemini-via-openai:countTokens", json=body)
    assert resp.status_code == 200
    assert resp.json()["totalTokens"] > 0
    assert "estimate" in resp.headers["x-interlingua-warning"]
    assert len(upstream.requests) == before


async def test_gemini_models_list_and_get(client: httpx.AsyncClient) -> None:
    listed = (await client.get("/v1beta/models")).json()
    names = [m["name"] for m in listed["models"]]
    assert "models/gemini-2.5-flash" in names
    async with genai_sdk(client) as sdk:
        models = [m async for m in await sdk.aio.models.list()]
        assert "models/gemini-2.5-flash" in [m.name for m in models]
        got = await sdk.aio.models.get(model="gemini-2.5-flash")
        assert got.name == "models/gemini-2.5-flash"
        assert got.supported_actions
    one = await client.get("/v1beta/models/gemini-2.5-flash")
    assert one.status_code == 200
    assert one.json()["name"] == "models/gemini-2.5-flash"
    missing = await client.get("/v1beta/models/nope-model")
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"


async def test_gemini_errors_use_gemini_envelope(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1beta/models/gemini-via-openai:generateContent", json={"contents": "hi"})
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["code"] == 400
    assert error["status"] == "INVALID_ARGUMENT"
    assert "contents" in error["message"]
    bad_method = await client.post("/v1beta/models/gemini-2.5-flash:embedContent", json=GEMINI_BODY)
    assert bad_method.status_code == 404
    assert bad_method.json()["error"]["status"] == "NOT_FOUND"


async def test_gemini_upstream_error_translated(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    upstream.fault_next("status:429")
    resp = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "gpt-via-gemini"})
    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "7"
    assert resp.json()["error"]["type"] == "rate_limit_error"


async def test_gemini_upstream_error_passthrough(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    upstream.fault_next("status:400,message:bad thing")
    resp = await client.post("/v1beta/models/gemini-2.5-flash:generateContent", json=GEMINI_BODY)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"] == "bad thing"


async def test_gemini_inbound_keys(upstream: FakeUpstream) -> None:
    config = formats_config(upstream, server={"api_keys": ["gw-key"]})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        path = "/v1beta/models/gemini-2.5-flash:generateContent"
        assert (await c.post(path, json=GEMINI_BODY, headers={"x-goog-api-key": "gw-key"})).status_code == 200
        assert (await c.post(f"{path}?key=gw-key", json=GEMINI_BODY)).status_code == 200
        denied = await c.post(f"{path}?key=wrong", json=GEMINI_BODY)
        assert denied.status_code == 401
        assert denied.json()["error"]["status"] == "UNAUTHENTICATED"
        assert denied.headers["x-request-id"].startswith("req_")
        # ?key= is a Gemini convention only; and the client's key never goes upstream.
        assert (await c.post("/v1/chat/completions?key=gw-key", json=OPENAI_BODY)).status_code == 401
        assert all("gw-key" not in r.query and "gw-key" not in str(r.headers) for r in upstream.requests)


async def test_gemini_sdk_default_api_version_v1(client: httpx.AsyncClient) -> None:
    """google-genai 3.x talks to /v1/models/...: same methods, Gemini-shaped model list."""
    options = types.HttpOptions(base_url=str(client.base_url), httpx_async_client=client)
    sdk = genai.Client(api_key="x", http_options=options)
    answer = await sdk.aio.models.generate_content(model="gemini-via-openai", contents="hi")
    assert answer.text
    models = [m async for m in await sdk.aio.models.list()]
    assert "models/gemini-2.5-flash" in [m.name for m in models]
    got = await sdk.aio.models.get(model="gemini-2.5-flash")
    assert got.name == "models/gemini-2.5-flash"
    await sdk.aio.aclose()
    # Without Gemini headers, /v1/models stays OpenAI's list.
    assert (await client.get("/v1/models")).json()["object"] == "list"
    missing = await client.post("/v1/models/nope:generateContent", json=GEMINI_BODY)
    assert missing.status_code == 404
    assert missing.json()["error"]["status"] == "NOT_FOUND"


async def test_gemini_count_tokens_nested_request_names_the_upstream_model(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {"generateContentRequest": {"model": "models/gpt-via-gemini", **GEMINI_BODY}}
    resp = await client.post("/v1beta/models/gpt-via-gemini:countTokens", json=body)
    assert resp.status_code == 200, resp.text
    seen = upstream.requests[-1].body
    assert seen is not None
    assert seen["generateContentRequest"]["model"] == "models/gemini-2.5-flash"
