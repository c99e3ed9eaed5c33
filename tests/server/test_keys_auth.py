"""Issued keys at the edge: every client convention, 401s in the client's envelope,
expiry, static keys alongside, keys never logged, revocation on every worker and
instance within a second."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anthropic
import httpx
import openai
import pytest
from keys_helpers import admin_client, keys_config, keys_raw_config, serve_process
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent"


@pytest.fixture
async def gateway(upstream: FakeUpstream, tmp_path: Path) -> AsyncIterator[str]:
    async with running_gateway(keys_config(upstream, tmp_path / "keys.db")) as url:
        yield url


async def _issue(url: str, **body: object) -> dict[str, str]:
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json={"name": "k", **body})
        assert r.status_code == 201, r.text
        return dict(r.json())


async def test_keys_gateway_open_until_a_key_is_issued(gateway: str) -> None:
    async with httpx.AsyncClient(base_url=gateway) as c:
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 200
        await _issue(gateway)
        await asyncio.sleep(0.3)  # next revision poll
        r = await c.post("/v1/chat/completions", json=OPENAI_BODY)
        assert r.status_code == 401
        assert r.json()["error"]["type"] == "authentication_error"


async def test_keys_every_client_convention(gateway: str) -> None:
    key = (await _issue(gateway))["key"]
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key=key, max_retries=0) as oa:
        assert (await oa.chat.completions.create(**OPENAI_BODY)).choices
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key=key, max_retries=0) as an:
        assert (await an.messages.create(**ANTHROPIC_BODY)).content
    async with httpx.AsyncClient(base_url=gateway) as c:
        assert (await c.post(GEMINI_PATH, json=GEMINI_BODY, headers={"x-goog-api-key": key})).status_code == 200
        assert (await c.post(GEMINI_PATH, json=GEMINI_BODY, params={"key": key})).status_code == 200


async def test_keys_wrong_secret_is_401_in_each_envelope(gateway: str) -> None:
    key = (await _issue(gateway))["key"]
    forged = key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")
    async with openai.AsyncOpenAI(base_url=f"{gateway}/v1", api_key=forged, max_retries=0) as oa:
        with pytest.raises(openai.AuthenticationError):
            await oa.chat.completions.create(**OPENAI_BODY)
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key=forged, max_retries=0) as an:
        with pytest.raises(anthropic.AuthenticationError) as info:
            await an.messages.create(**ANTHROPIC_BODY)
    assert info.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    async with httpx.AsyncClient(base_url=gateway) as c:
        r = await c.post(GEMINI_PATH, json=GEMINI_BODY, params={"key": "il-nosuchkey000-" + "a" * 40})
        assert r.status_code == 401
        assert r.json()["error"]["status"] == "UNAUTHENTICATED"
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 401  # missing


async def test_keys_expired_and_disabled_are_401(gateway: str) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    expired = await _issue(gateway, name="old", expires_at=past)
    live = await _issue(gateway, name="live")
    async with httpx.AsyncClient(base_url=gateway) as c, admin_client(gateway) as admin:
        r = await c.post("/v1/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {expired['key']}"})
        assert r.status_code == 401
        assert "expired" in r.json()["error"]["message"]
        assert (await admin.patch(f"/admin/keys/{live['id']}", json={"enabled": False})).status_code == 200
        await asyncio.sleep(0.3)
        r = await c.post("/v1/messages", json=ANTHROPIC_BODY, headers={"x-api-key": live["key"]})
        assert r.status_code == 401
        assert "disabled" in r.json()["error"]["message"]


async def test_keys_static_keys_keep_working(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = keys_config(upstream, tmp_path / "k.db", server={"api_keys": ["static-key-1234"]})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as c:
        issued = (await _issue(url))["key"]
        for key in ("static-key-1234", issued):
            r = await c.post("/v1/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {key}"})
            assert r.status_code == 200


async def test_keys_never_logged(gateway: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = (await _issue(gateway))["key"]
    async with httpx.AsyncClient(base_url=gateway) as c:
        for k in (key, key[:-1] + "x", "il-" + "x" * 10):
            await c.post("/v1/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {k}"})
    secret = key.rsplit("-", 1)[1]
    assert secret[:-4] not in caplog.text


async def _statuses(url: str, key: str, n: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as c:
        headers = {"authorization": f"Bearer {key}"}
        return [(await c.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)).status_code for _ in range(n)]


async def test_keys_revocation_reaches_every_worker_and_instance_within_a_second(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    raw = keys_raw_config(upstream, tmp_path / "shared.db")
    raw["store"]["revision_poll_ms"] = 250  # the default
    async with serve_process(raw, tmp_path, "--workers", "2") as a, serve_process(raw, tmp_path) as b:
        key = await _issue(a)
        await asyncio.sleep(0.5)
        # Warm every worker's cache (connections are spread over both workers).
        assert set(await _statuses(a, key["key"], 10) + await _statuses(b, key["key"], 5)) == {200}
        async with admin_client(b) as admin:
            assert (await admin.delete(f"/admin/keys/{key['id']}")).status_code == 200
        await asyncio.sleep(1.0)
        assert set(await _statuses(a, key["key"], 10) + await _statuses(b, key["key"], 5)) == {401}


async def test_keys_on_postgresql(upstream: FakeUpstream, tmp_path: Path, postgres_url: str) -> None:
    from realservers import fresh_database

    url = await fresh_database(postgres_url, "keys_e2e")
    config = keys_config(upstream, tmp_path / "unused.db", store={"url": url, "secret": "p" * 32})
    async with running_gateway(config) as gw, httpx.AsyncClient(base_url=gw) as c, admin_client(gw) as admin:
        key = await _issue(gw, limits={"rpm": 5})
        headers = {"authorization": f"Bearer {key['key']}"}
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)).status_code == 200
        assert (await admin.delete(f"/admin/keys/{key['id']}")).status_code == 200
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)).status_code == 401
