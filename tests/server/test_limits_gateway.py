"""Limits and budgets through the real gateway: exact request and token limits under
concurrency, client headers, 403/429 envelopes, usage and spend, ``--workers 2`` without
Redis, two instances on one real Redis, Redis unreachable."""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
import yaml
from keys_helpers import admin_client, keys_config, keys_raw_config, serve_process
from server_helpers import ANTHROPIC_BODY, OPENAI_BODY, free_port

from interlingua.server.app import create_app
from interlingua.server.config import load_config_text
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.limits.buckets import Buckets, Charge
from interlingua.server.testing import running_app, running_gateway


async def _issue(url: str, **body: Any) -> dict[str, Any]:
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json={"name": "k", **body})
        assert r.status_code == 201, r.text
        return dict(r.json())


async def _burst(url: str, key: str, n: int, body: dict[str, Any] | None = None) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as c:
        headers = {"authorization": f"Bearer {key}"}
        return list(
            await asyncio.gather(
                *(c.post("/v1/chat/completions", json=body or OPENAI_BODY, headers=headers) for _ in range(n))
            )
        )


async def test_limits_10_rpm_30_concurrent_serves_exactly_10(upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.default_fault = "slow:100"
    async with running_gateway(keys_config(upstream, tmp_path / "k.db")) as url:
        key = await _issue(url, limits={"rpm": 10})
        responses = await _burst(url, key["key"], 30)
    assert sorted(r.status_code for r in responses).count(200) == 10
    refused = [r for r in responses if r.status_code == 429]
    assert len(refused) == 20
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)
    assert refused[0].json()["error"]["code"] == "rate_limit_exceeded"


async def test_limits_tokens_served_within_limit_plus_one_estimate(upstream: FakeUpstream, tmp_path: Path) -> None:
    # BerriAI/litellm#18730: 663 tokens through a 100-token limit with 5 concurrent requests.
    upstream.default_fault = "slow:50"
    body = {**OPENAI_BODY, "max_tokens": 40}
    async with running_gateway(keys_config(upstream, tmp_path / "k.db")) as url:
        key = await _issue(url, limits={"tpm": 300})
        started = time.monotonic()
        responses = await _burst(url, key["key"], 40, body)
        elapsed = time.monotonic() - started
    served = sum(r.json()["usage"]["total_tokens"] for r in responses if r.status_code == 200)
    refill = elapsed * 300 / 60
    assert 0 < served <= 300 + refill + 40  # one request's estimate error: at most its max_tokens
    assert {r.status_code for r in responses} == {200, 429}


async def test_limits_headers_in_each_clients_convention(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with running_gateway(keys_config(upstream, tmp_path / "k.db")) as url, httpx.AsyncClient(base_url=url) as c:
        key = (await _issue(url, limits={"rpm": 5, "tpm": 100_000}))["key"]
        r = await c.post("/v1/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {key}"})
        assert r.headers["x-ratelimit-limit-requests"] == "5"
        assert r.headers["x-ratelimit-remaining-requests"] == "4"
        assert r.headers["x-ratelimit-limit-tokens"] == "100000"
        a = await c.post("/v1/messages", json=ANTHROPIC_BODY, headers={"x-api-key": key})
        assert a.headers["anthropic-ratelimit-requests-remaining"] == "3"
        assert a.headers["anthropic-ratelimit-tokens-reset"].endswith("Z")


async def test_limits_model_not_allowed_is_403_naming_the_model(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with running_gateway(keys_config(upstream, tmp_path / "k.db")) as url:
        key = (await _issue(url, models=["claude-*", "internal-*"]))["key"]
        async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0) as client:
            with pytest.raises(openai.PermissionDeniedError) as info:
                await client.chat.completions.create(**OPENAI_BODY)
        message = str(info.value)
        assert "gpt-4o-mini" in message
        assert "claude" not in message
        assert "internal" not in message


async def test_limits_budget_exhausted_is_insufficient_quota_and_spend_shown(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    pricing = [{"model": "gpt-*", "input": 10_000, "output": 10_000}]  # $0.01 a token
    store_extra = {"usage_flush_ms": 50}
    config = keys_config(upstream, tmp_path / "k.db", pricing=pricing)
    config = config.model_copy(update={"store": config.store.model_copy(update=store_extra)})
    async with running_gateway(config) as url:
        key = await _issue(url, budget={"usd": 1, "period": "1d"})
        body = {**OPENAI_BODY, "max_tokens": 20}
        statuses = [r.status_code for r in await _burst(url, key["key"], 1, body)]
        async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0) as client:
            with pytest.raises(openai.RateLimitError) as info:  # noqa: PT012 (spend until refused)
                for _ in range(10):
                    await client.chat.completions.create(**body)
        assert info.value.code == "insufficient_quota"
        await asyncio.sleep(0.3)  # the usage writer's next batch
        async with admin_client(url) as admin:
            report = (await admin.get(f"/admin/keys/{key['id']}")).json()
    assert statuses == [200]
    assert 0 < report["usage"]["period"]["spend_usd"] <= 1 + 0.01 * 40
    assert report["usage"]["total"]["requests"] >= 2


async def test_limits_usage_records_flushed_on_graceful_shutdown(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = keys_config(upstream, tmp_path / "k.db")
    config = config.model_copy(update={"store": config.store.model_copy(update={"usage_flush_ms": 60_000})})
    async with running_gateway(config) as url:
        key = await _issue(url, limits={"rpm": 100})
        assert {r.status_code for r in await _burst(url, key["key"], 5)} == {200}
    async with running_gateway(config) as url, admin_client(url) as admin:
        report = (await admin.get(f"/admin/keys/{key['id']}")).json()
    assert report["usage"]["total"]["requests"] == 5
    assert report["usage"]["total"]["output_tokens"] > 0


async def test_limits_exact_across_two_workers_without_redis(upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.default_fault = "slow:100"
    raw = keys_raw_config(upstream, tmp_path / "w.db")
    async with serve_process(raw, tmp_path, "--workers", "2") as url:
        key = await _issue(url, limits={"rpm": 10})
        responses = await _burst(url, key["key"], 30)
    assert [r.status_code for r in responses].count(200) == 10


@pytest.mark.parametrize("kind", ["server", "cluster"])
async def test_limits_two_instances_share_a_limit_on_redis(
    upstream: FakeUpstream, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """On one Redis, and on a three-node Redis Cluster (``redis.cluster``)."""
    upstream.default_fault = "slow:100"
    url = request.getfixturevalue("redis_url" if kind == "server" else "redis_cluster_url")
    shared = {"url": url, "on_error": "fail_closed", "cluster": kind == "cluster"}
    raw = keys_raw_config(upstream, tmp_path / "r.db", redis=shared)
    async with serve_process(raw, tmp_path) as a, serve_process(raw, tmp_path) as b:
        key = await _issue(a, name=f"shared-{free_port()}", limits={"rpm": 10})
        await asyncio.sleep(0.5)  # b sees the new key
        responses = await asyncio.gather(_burst(a, key["key"], 15), _burst(b, key["key"], 15))
    statuses = [r.status_code for batch in responses for r in batch]
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


async def test_limits_redis_unreachable_visible_and_configurable(
    upstream: FakeUpstream, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    for on_error, expected in (("local", 200), ("fail_closed", 503)):
        config = keys_config(upstream, tmp_path / f"{on_error}.db", redis={"url": dead, "on_error": on_error, "timeout_ms": 200})
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as c:
            key = (await _issue(url, limits={"rpm": 100}))["key"]
            r = await c.post("/v1/chat/completions", json=OPENAI_BODY, headers={"authorization": f"Bearer {key}"})
            assert r.status_code == expected
            ready = (await c.get("/readyz")).json()
            assert ready["limits"]["ok"] is False
            assert ready["limits"]["backend"] == "redis"
            assert (await c.get("/readyz")).status_code == (503 if on_error == "fail_closed" else 200)
    assert caplog.text.count("limits: Redis unreachable") == 2  # once per outage and instance, not per request
    assert caplog.text.count("routing: Redis unreachable") == 2  # shared cooldowns: the same


async def test_limits_cut_stream_frees_its_slot_and_is_charged(upstream: FakeUpstream, tmp_path: Path) -> None:
    upstream.default_fault = "pace:100"
    async with running_gateway(keys_config(upstream, tmp_path / "k.db")) as url, admin_client(url) as admin:
        key = await _issue(url, limits={"max_parallel": 1, "tpm": 6000})  # refills 100 tokens/s
        headers = {"authorization": f"Bearer {key['key']}"}
        body = {**OPENAI_BODY, "stream": True, "max_tokens": 500}
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            async with c.stream("POST", "/v1/chat/completions", json=body, headers=headers) as r:
                assert r.status_code == 200
                await anext(r.aiter_raw())  # then the client goes away mid-stream
            # The cut stream's `complete` frees the one concurrency slot.
            for _ in range(100):
                room = (await admin.get(f"/admin/keys/{key['id']}")).json()["limits_remaining"]
                if room["parallel"]["remaining"] == 1:
                    break
                await asyncio.sleep(0.05)
            assert room["parallel"]["remaining"] == 1  # (what it is charged: the next test)
            upstream.default_fault = None
            r = await c.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)
            assert r.status_code == 200


async def _limit_commands(monitor: Any, seen: list[str], counters: str) -> None:
    async for entry in monitor.listen():
        # Commands a script runs are listed too (client type "lua"): only round trips count.
        if entry.get("client_type") != "lua" and counters in entry.get("command", ""):
            seen.append(entry["command"])


async def test_limits_on_redis_one_round_trip_to_reserve_and_one_to_settle(
    upstream: FakeUpstream, tmp_path: Path, redis_url: str
) -> None:
    """Every request, plain or streamed: one EVALSHA of the reserve script, one of the
    settle script, nothing else touching a limit counter (counted with MONITOR)."""
    import redis.asyncio as redis

    from interlingua.server.limits.redis_counters import _RESERVE, _SETTLE

    reserve, settle = (hashlib.sha1(script.encode()).hexdigest() for script in (_RESERVE, _SETTLE))
    config = keys_config(upstream, tmp_path / "k.db", redis={"url": redis_url, "on_error": "fail_closed"})
    stream = {**OPENAI_BODY, "stream": True}
    client = redis.Redis.from_url(redis_url)
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as c:
        limits = {"rpm": 1000, "tpm": 10**7}
        warm = await _issue(url, name=f"warm-{free_port()}", limits=limits)
        headers = {"authorization": f"Bearer {warm['key']}"}  # loads the scripts into Redis
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY, headers=headers)).status_code == 200
        key = await _issue(url, name=f"trips-{free_port()}", limits=limits)
        headers = {"authorization": f"Bearer {key['key']}"}
        seen: list[str] = []
        async with client.monitor() as monitor:
            watcher = asyncio.create_task(_limit_commands(monitor, seen, f"{{il:lim}}:k:{key['id']}:"))
            await asyncio.sleep(0)
            for body in (OPENAI_BODY, stream, OPENAI_BODY, stream):
                r = await c.post("/v1/chat/completions", json=body, headers=headers)
                assert r.status_code == 200
            for _ in range(200):  # the last settle runs after the answer ended
                if len(seen) >= 8:
                    break
                await asyncio.sleep(0.05)
            watcher.cancel()
    await client.aclose()
    names = [command.split()[:2] for command in seen]
    assert sorted(names) == sorted([["EVALSHA", reserve]] * 4 + [["EVALSHA", settle]] * 4), seen


_CONTENT = re.compile(rb'"content"\s*:\s*"((?:[^"\\]|\\.)*)"')


@pytest.mark.parametrize("cut_by", ["upstream", "client"])
async def test_limits_cut_stream_is_charged_what_it_delivered(
    upstream: FakeUpstream, tmp_path: Path, cut_by: str
) -> None:
    """A real stream cut mid-way (the upstream resets the connection, or the client hangs up
    after the first text): its token limit is charged the input estimate and the output the
    client was sent, not the 1,000 tokens of max_tokens it reserved."""
    # The client hangs up while the upstream stalls after its first text: nothing else is sent.
    upstream.default_fault = "die-after:4" if cut_by == "upstream" else "stall-after:2"
    config = keys_config(upstream, tmp_path / "k.db")
    app = create_app(config)
    counters = app.extensions["interlingua"].services.counters
    counters.buckets = Buckets(clock=lambda: 1000.0)  # no refill: the balance is exact
    raw = orjson.dumps({**OPENAI_BODY, "stream": True, "max_tokens": 1000})
    received = b""
    async with running_app(app, config) as url, httpx.AsyncClient(base_url=url, timeout=30) as c:
        key = await _issue(url, limits={"tpm": 100_000})
        headers = {"authorization": f"Bearer {key['key']}", "content-type": "application/json"}
        async with c.stream("POST", "/v1/chat/completions", content=raw, headers=headers) as r:
            async for chunk in r.aiter_raw():
                received += chunk
                if cut_by == "client" and any(m.group(1) for m in _CONTENT.finditer(received)):
                    break  # leaving the block closes the connection mid-stream
        tpm = Charge(f"k:{key['id']}:tpm", 0, 100_000, 100_000 / 60)
        for _ in range(200):  # the client's hang-up reaches the gateway a moment later
            (left, _), = await counters.peek([tpm])
            if left > 100_000 - 1000:
                break
            await asyncio.sleep(0.05)
        async with admin_client(url) as admin:  # no usage came: the record holds the charge
            for _ in range(400):  # usage records are written in batches, off the request path
                usage = (await admin.get(f"/admin/keys/{key['id']}")).json()["usage"]["total"]
                if usage["requests"]:
                    break
                await asyncio.sleep(0.05)
    pieces = [m.group(1) for m in _CONTENT.finditer(received) if m.group(1)]
    assert pieces, received
    output = max(len(pieces), -(-sum(map(len, pieces)) // 4))
    assert left == 100_000 - (len(raw) // 4 + 1) - output
    assert 1000 > output > 0
    assert (usage["input_tokens"], usage["output_tokens"]) == (len(raw) // 4 + 1, output)


async def test_limits_rule_keeps_its_counter_when_a_reload_inserts_a_rule(upstream: FakeUpstream, tmp_path: Path) -> None:
    """Rule counters are named by the rule (its model and key globs, or its name), not its
    position: a reload that inserts a rule before another neither hands the exhausted
    counter of the old rule to the new one nor gives the old rule a fresh counter."""
    gpt = {"model": OPENAI_BODY["model"], "rpm": 2}
    raw = keys_raw_config(upstream, tmp_path / "k.db", limits=[gpt])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    config = load_config_text(path.read_text(), {}, source=str(path))
    app = create_app(config, config_path=path)
    app.extensions["interlingua"].services.counters.buckets = Buckets(clock=lambda: 1000.0)  # no refill
    async with running_app(app, config) as url, httpx.AsyncClient(base_url=url, timeout=30) as c:
        statuses = [(await c.post("/v1/chat/completions", json=OPENAI_BODY)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        claude = {"model": "claude-*", "rpm": 100}
        path.write_text(yaml.safe_dump({**raw, "limits": [claude, gpt]}))
        assert await app.extensions["interlingua.reloader"].reload("test")
        assert (await c.post("/v1/chat/completions", json=OPENAI_BODY)).status_code == 429
        assert (await c.post("/v1/messages", json=ANTHROPIC_BODY)).status_code == 200
