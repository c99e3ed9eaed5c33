"""The Bedrock Converse upstream adapter: SigV4-signed requests (checked by the fake Bedrock
and recomputed here by hand at a fixed time), URL-encoded model ids, the binary event
stream translated, error types from ``x-amzn-ErrorType``."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import AsyncIterator
from urllib.parse import quote, urlsplit

import httpx
import pytest
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, formats_config

from interlingua.server.adapters import adapter_for
from interlingua.server.config import AwsConfig, Config, ProviderConfig
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

MODEL_ID = "anthropic.claude-3-5-sonnet-20240620-v1:0"


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


async def test_bedrock_converse_signed_and_translated(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    resp = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "claude-via-bedrock"})
    assert resp.status_code == 200, resp.text  # the fake Bedrock verified the signature
    assert resp.json()["choices"][0]["message"]["content"]
    assert resp.json()["model"] == "claude-via-bedrock"
    seen = upstream.requests[-1]
    assert seen.path == f"/model/{MODEL_ID}/converse"
    assert seen.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=")
    assert "/us-east-1/bedrock/aws4_request" in seen.headers["authorization"]
    assert seen.headers["x-amz-date"]
    assert seen.headers["x-amz-content-sha256"] == hashlib.sha256(seen.raw).hexdigest()
    assert seen.body is not None
    assert "modelId" not in seen.body
    assert "model" not in seen.body
    assert "messages" in seen.body


async def test_bedrock_model_id_is_url_encoded_on_the_wire(upstream: FakeUpstream) -> None:
    # What the fake saw as the raw request line: the ':' of the model id is %3A, as boto3 sends it.
    paths: list[str] = []
    from aiohttp import web

    async def record(request: web.Request) -> web.Response:
        paths.append(request.raw_path)
        return web.json_response(
            {"message": "nope"}, status=400, headers={"x-amzn-ErrorType": "ValidationException"}
        )

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        config = formats_config(upstream)
        providers = [
            p.model_copy(update={"base_url": f"http://127.0.0.1:{port}"}) if p.name == "demo-bedrock" else p
            for p in config.providers
        ]
        config = config.model_copy(update={"providers": tuple(providers)})
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
            resp = await c.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "claude-via-bedrock"})
        assert paths == ["/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"]
        # ValidationException from the header: an OpenAI client sees a 400 invalid_request_error.
        assert resp.status_code == 400
        assert resp.json()["error"]["type"] == "invalid_request_error"
        assert resp.json()["error"]["message"] == "nope"
    finally:
        await runner.cleanup()


async def test_bedrock_stream_translated_for_anthropic_client(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {**ANTHROPIC_BODY, "model": "claude-via-bedrock", "stream": True}
    resp = await client.post("/v1/messages", json=body)
    assert resp.status_code == 200
    assert "event: content_block_delta" in resp.text
    assert resp.text.rstrip().endswith('{"type":"message_stop"}')
    assert upstream.requests[-1].path == f"/model/{MODEL_ID}/converse-stream"


async def test_bedrock_stream_translated_for_openai_client(client: httpx.AsyncClient) -> None:
    body = {**OPENAI_BODY, "model": "claude-via-bedrock", "stream": True}
    resp = await client.post("/v1/chat/completions", json=body)
    assert resp.status_code == 200
    assert resp.text.rstrip().endswith("data: [DONE]")


async def test_bedrock_throttling_becomes_429(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    upstream.fault_next("status:429")
    resp = await client.post("/v1/messages", json={**ANTHROPIC_BODY, "model": "claude-via-bedrock"})
    assert resp.status_code == 429
    assert resp.json()["error"]["type"] == "rate_limit_error"


async def test_bedrock_wrong_credentials_relayed_as_403(upstream: FakeUpstream) -> None:
    config = formats_config(upstream)
    providers = [
        p.model_copy(
            update={"aws": AwsConfig(region="us-east-1", access_key_id="AKIAWRONG", secret_access_key="x")}
        )
        if p.name == "demo-bedrock"
        else p
        for p in config.providers
    ]
    config = config.model_copy(update={"providers": tuple(providers)})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        resp = await c.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "claude-via-bedrock"})
    assert resp.status_code == 403
    assert "AKIAWRONG" not in resp.text


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def test_sigv4_signature_matches_the_documented_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recomputed by hand (AWS SigV4 steps) at a fixed time, with temporary credentials."""
    fixed = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: fixed)
    aws = {
        "region": "eu-west-3",
        "access_key_id": "AKIDEXAMPLE",
        "secret_access_key": "secret",
        "session_token": "tok",
    }
    provider = ProviderConfig.model_validate({"name": "b", "format": "bedrock_converse", "aws": aws})
    adapter = adapter_for(provider)
    url = adapter.url("generate", MODEL_ID, False)
    assert (
        str(url)
        == f"https://bedrock-runtime.eu-west-3.amazonaws.com/model/{quote(MODEL_ID, safe='')}/converse"
    )
    body = b'{"messages":[]}'
    out = {"content-type": "application/json", "accept-encoding": "identity"}
    adapter.sign(url, out, body)
    url = str(url)

    amz_date, day = "20250102T030405Z", "20250102"
    payload = hashlib.sha256(body).hexdigest()
    assert out["x-amz-date"] == amz_date
    assert out["x-amz-content-sha256"] == payload
    assert out["x-amz-security-token"] == "tok"
    headers = {
        "content-type": "application/json",
        "host": "bedrock-runtime.eu-west-3.amazonaws.com",
        "x-amz-content-sha256": payload,
        "x-amz-date": amz_date,
        "x-amz-security-token": "tok",
    }
    signed = ";".join(sorted(headers))
    # Non-S3 services: the (already encoded) path is encoded once more in the canonical request.
    canonical_uri = quote(urlsplit(url).path, safe="/~")
    canonical = "\n".join(
        ["POST", canonical_uri, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed, payload]
    )
    scope = f"{day}/eu-west-3/bedrock/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(b"AWS4secret", day), "eu-west-3"), "bedrock"), "aws4_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    assert out["authorization"] == (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{scope}, SignedHeaders={signed}, Signature={signature}"
    )


async def test_bedrock_api_key_is_sent_as_bearer_unsigned(upstream: FakeUpstream) -> None:
    from aiohttp import web

    seen: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append({k.lower(): v for k, v in request.headers.items()})
        return web.json_response(
            {"message": "x"}, status=400, headers={"x-amzn-ErrorType": "ValidationException"}
        )

    app = web.Application()
    app.router.add_post("/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        config = Config.model_validate(
            {
                "providers": [
                    {
                        "name": "b",
                        "format": "bedrock_converse",
                        "base_url": f"http://127.0.0.1:{port}",
                        "api_key": "bedrock-api-key",
                        "aws": {"region": "us-east-1"},
                    }
                ],
                "models": [{"name": "*", "provider": "b"}],
            },
            context={"env": {}},
        )
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
            await c.post("/v1/chat/completions", json=OPENAI_BODY)
        assert seen[-1]["authorization"] == "Bearer bedrock-api-key"
        assert "x-amz-date" not in seen[-1]
    finally:
        await runner.cleanup()
