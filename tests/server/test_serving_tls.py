"""Inbound TLS (``server.tls``) end to end: a self-signed certificate made here, ``interlingua
serve`` as a real process (one worker and two), official SDK clients trusting that certificate."""

from __future__ import annotations

import ssl
from pathlib import Path

import anthropic
import httpx
import openai
import pytest
from server_helpers import serving
from tls_helpers import self_signed

from interlingua.server.config import ConfigError, load_config_text
from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream

Pair = tuple[Path, Path]


@pytest.fixture
def pair(tmp_path: Path) -> Pair:
    return self_signed(tmp_path)


def _trusting(certfile: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certfile))


@pytest.mark.parametrize("workers", [1, 2])
async def test_tls_sdk_clients_verify_the_gateway_certificate(
    upstream: FakeUpstream, tmp_path: Path, pair: Pair, workers: int
) -> None:
    certfile, keyfile = pair
    tls = {"tls": {"certfile": str(certfile), "keyfile": str(keyfile)}}
    verify = _trusting(certfile)
    async with serving(upstream, tmp_path, "--workers", str(workers), server=tls, verify=verify) as (url, _):
        assert url.startswith("https://127.0.0.1:")
        async with httpx.AsyncClient(verify=verify) as http:
            oai = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="unused", http_client=http)
            chat = await oai.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            assert chat.choices[0].message.content
        # The Anthropic SDK brings its own HTTP package (httpx2): its default client, told to verify.
        async with anthropic.DefaultAsyncHttpxClient(verify=verify) as ant_http:
            ant = anthropic.AsyncAnthropic(base_url=url, api_key="unused", http_client=ant_http)
            message = await ant.messages.create(
                model="gpt-4o-mini", max_tokens=32, messages=[{"role": "user", "content": "hi"}]
            )
            assert message.content
        # Without trusting the certificate, a client refuses the gateway; plain HTTP is not served.
        async with httpx.AsyncClient() as untrusting:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await untrusting.get(f"{url}/healthz")
            with pytest.raises(httpx.TransportError):
                await untrusting.get(url.replace("https://", "http://") + "/healthz")
    assert any(r.headers.get("authorization") == f"Bearer {DEMO_UPSTREAM_KEY}" for r in upstream.requests)


def _tls_error(certfile: Path | str, keyfile: Path | str) -> str:
    text = f"server:\n  tls:\n    certfile: '{certfile}'\n    keyfile: '{keyfile}'\n"
    with pytest.raises(ConfigError) as info:
        load_config_text(text, {})
    return str(info.value)


def test_tls_missing_file_is_a_config_error(tmp_path: Path, pair: Pair) -> None:
    assert _tls_error(tmp_path / "nope.crt", pair[1]) == (
        f"<config>: line 3: server.tls.certfile: cannot read {tmp_path / 'nope.crt'}: No such file or directory"
    )


def test_tls_key_of_another_certificate_is_a_config_error(tmp_path: Path, pair: Pair) -> None:
    _, other_key = self_signed(tmp_path, "other")
    assert "server.tls: certfile and keyfile do not load as a certificate and its key" in _tls_error(
        pair[0], other_key
    )


def test_tls_encrypted_key_is_a_config_error(tmp_path: Path) -> None:
    certfile, keyfile = self_signed(tmp_path, "locked", password=b"s3cret-pass")
    assert _tls_error(certfile, keyfile) == (
        "<config>: line 4: server.tls.keyfile: is encrypted; give an unencrypted key"
    )


def test_tls_loads(pair: Pair) -> None:
    text = f"server: {{tls: {{certfile: '{pair[0]}', keyfile: '{pair[1]}'}}}}\n"
    tls = load_config_text(text, {}).server.tls
    assert tls is not None
    assert tls.certfile == str(pair[0])
