"""Two gateway instances sharing a real Redis: cooldowns, probes and cached answers.

Each instance is a full gateway (its own Hypercorn server, services and Redis client) on
127.0.0.1; the Redis is a real ``redis-server`` (the session's, emptied per test).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import openai
import pytest
import redis.asyncio as redis
from redis.asyncio.cluster import RedisCluster
from server_helpers import free_port
from test_gateway_routing import CHAT, generations, in_turn, oai, provider, upstreams

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.resilience.health import TargetHealth
from interlingua.server.resilience.shared import SharedCooldowns
from interlingua.server.testing import running_gateway

ADMIN = "admin-key-0123456789"
SECRET = "a-server-secret-0123456789"


@pytest.fixture
def shared_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTERLINGUA_SECRET", SECRET)


@pytest.fixture
async def empty_redis(redis_url: str) -> str:
    client = redis.Redis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()
    return redis_url


@pytest.fixture(params=["server", "cluster"])
async def fleet_redis(request: pytest.FixtureRequest) -> dict[str, Any]:
    """An emptied Redis, then an emptied three-node Redis Cluster: the ``redis:`` section."""
    # (Session fixtures only: an async fixture cannot be asked for from here.)
    cluster = request.param == "cluster"
    url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
    if cluster:
        nodes = RedisCluster.from_url(url)
        await nodes.flushdb(target_nodes=RedisCluster.PRIMARIES)
        await nodes.aclose()
    else:
        client = redis.Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
    return {"url": url, "cluster": cluster}


def pair_config(
    bad: FakeUpstream, good: FakeUpstream, url: str | dict[str, Any], *cached: str, **cooldown: Any
) -> Config:
    """``gpt-ha`` (and each ``cached`` name, with a response cache) in turn over bad and good."""
    targets = ("bad", "gpt-4o-mini"), ("good", "gpt-4o-mini")
    models = [in_turn("gpt-ha", *targets), *({**in_turn(n, *targets), "cache": {"ttl_s": 300}} for n in cached)]
    return Config.model_validate({
        "providers": [provider("bad", bad), provider("good", good)],
        "models": models,
        "routing": {"cooldown": {"failures": 3, "window_s": 60, "cooldown_s": 60, **cooldown}},
        # A loaded test machine is slow, not down.
        "redis": {**(url if isinstance(url, dict) else {"url": url}), "timeout_ms": 5000},
        "admin": {"api_key": ADMIN},
    })


@asynccontextmanager
async def two_gateways(cfg: Config) -> AsyncIterator[tuple[str, str]]:
    async with running_gateway(cfg) as a, running_gateway(cfg) as b:
        yield a, b


async def target_state(url: str, name: str) -> str:
    async with httpx.AsyncClient(base_url=url) as c:
        r = await c.get("/admin/targets", headers={"authorization": f"Bearer {ADMIN}"})
    return str(next(t["state"] for t in r.json()["targets"] if t["target"] == name))


async def wait_state(url: str, name: str, *states: str) -> None:
    """Until ``url``'s view of ``name`` is one of ``states`` (bounded: fails after 10 s)."""
    for _ in range(200):
        if await target_state(url, name) in states:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} never became {states} on {url}: {await target_state(url, name)}")


async def chat(client: openai.AsyncOpenAI) -> str:
    raw = await client.chat.completions.with_raw_response.create(model="gpt-ha", **CHAT)  # type: ignore[call-overload]
    return raw.headers["x-interlingua-target"]


async def test_a_target_cooled_by_failures_on_one_instance_gets_nothing_from_the_other(empty_redis: str) -> None:
    async with upstreams(2) as (bad, good):
        bad.default_fault = "status:503"
        async with two_gateways(pair_config(bad, good, empty_redis)) as (a, b), oai(a) as ca, oai(b) as cb:
            while generations(bad) < 3:  # round robin: every other request of A tries bad first
                assert await chat(ca) == "good/gpt-4o-mini"
            await wait_state(b, "bad/gpt-4o-mini", "cooling")
            for _ in range(20):
                assert await chat(cb) == "good/gpt-4o-mini"
    assert generations(bad) == 3


async def test_failures_on_both_instances_together_cool_the_target_for_both(fleet_redis: dict[str, Any]) -> None:
    async with upstreams(2) as (bad, good):
        bad.default_fault = "status:503"
        cfg = pair_config(bad, good, fleet_redis, failures=2)
        async with two_gateways(cfg) as (a, b), oai(a) as ca, oai(b) as cb:
            for client in (ca, cb):  # one failure each: neither instance reaches 2 alone
                seen = generations(bad)
                while generations(bad) == seen:
                    await chat(client)
            await wait_state(a, "bad/gpt-4o-mini", "cooling")
            await wait_state(b, "bad/gpt-4o-mini", "cooling")
            for _ in range(10):
                await asyncio.gather(chat(ca), chat(cb))
    assert generations(bad) == 2


async def test_one_probe_across_both_instances_when_the_cooldown_ends(fleet_redis: dict[str, Any]) -> None:
    async with upstreams(2) as (bad, good):
        bad.default_fault = "slow:300,status:503"  # the probe is in flight while others arrive
        cfg = pair_config(bad, good, fleet_redis, failures=1, cooldown_s=1)
        name = "bad/gpt-4o-mini"
        async with two_gateways(cfg) as (a, b), oai(a) as ca, oai(b) as cb:
            while generations(bad) < 1:
                await chat(ca)
            # B adopted the cooldown (a loaded machine may see it only once it is over).
            await wait_state(b, name, "cooling", "probe_due")
            await wait_state(a, name, "probe_due")
            await wait_state(b, name, "probe_due")
            await asyncio.gather(*(chat(c) for c in (ca, cb) for _ in range(8)))
            assert generations(bad) == 2  # the first failure, then exactly one probe
            # The probe failed: cooling again everywhere; once it answers, one probe puts it back.
            bad.default_fault = None
            await wait_state(a, name, "probe_due")
            await wait_state(b, name, "probe_due")
            await asyncio.gather(*(chat(c) for c in (ca, cb) for _ in range(4)))
            await wait_state(a, name, "up")
            await wait_state(b, name, "up")
            before = generations(bad)
            targets = {await chat(cb) for _ in range(4)}
    assert generations(bad) > before  # B sends to it again
    assert targets == {name, "good/gpt-4o-mini"}


async def test_a_cached_answer_written_through_one_instance_is_a_hit_on_the_other(
    empty_redis: str, shared_secret: None
) -> None:
    async with upstreams(2) as (up, other):
        cfg = pair_config(up, other, empty_redis, "gpt-c")
        key = "sk-client-key-0123456789"
        async with two_gateways(cfg) as (a, b):
            first = await _cached_call(a, key)
            second = await _cached_call(b, key)
            third = await _cached_call(b, "sk-another-client-key-0000")
        store = redis.Redis.from_url(empty_redis)
        stored = [k async for k in store.scan_iter("interlingua:cache:*")]
        await store.aclose()
    assert (first, second, third) == ("miss", "hit", "miss")
    assert generations(up) + generations(other) == 2
    assert len(stored) == 2
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert not any(key.encode() in k or digest[:16].encode() in k for k in stored)


async def _cached_call(url: str, key: str) -> str:
    client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
    async with client:
        raw = await client.chat.completions.with_raw_response.create(model="gpt-c", **CHAT)  # type: ignore[call-overload]
    assert raw.parse().choices[0].message.content
    return raw.headers["x-interlingua-cache"]


async def test_redis_down_requests_are_served_with_local_cooldowns_and_cache_misses(
    shared_secret: None, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with upstreams(2) as (bad, good):
        bad.default_fault = "status:503"
        cfg = pair_config(bad, good, dead, "gpt-c")
        async with two_gateways(cfg) as (a, b), oai(a) as ca, oai(b) as cb:
            for _ in range(12):
                assert await chat(ca) == "good/gpt-4o-mini"
                assert await chat(cb) == "good/gpt-4o-mini"
            caches = []
            for _ in range(2):
                raw = await ca.chat.completions.with_raw_response.create(model="gpt-c", **CHAT)  # type: ignore[call-overload]
                caches.append(raw.headers["x-interlingua-cache"])
    assert generations(bad) == 6  # three failures per instance, each cooling it alone
    assert caches == ["miss", "miss"]
    assert caplog.text.count("routing: Redis unreachable") == 2  # once per instance, not per request
    assert "response cache: Redis unreachable" in caplog.text


async def test_a_cooldown_whose_publication_was_lost_is_published_by_the_next_poll(empty_redis: str) -> None:
    client = redis.Redis.from_url(empty_redis)
    fleet = SharedCooldowns(client)
    cooled = TargetHealth("p/m", cooling_until=time.monotonic() + 30)  # cooled while Redis was away
    expired = TargetHealth("q/m", cooling_until=time.monotonic() - 1)  # over, and up in the fleet
    try:
        await fleet.poll({"p/m": cooled, "q/m": expired})
        published = await client.hget("{interlingua:routing}:cooling", "p/m")
    finally:
        await client.aclose()
    assert published is not None
    assert expired.cooling_until == 0.0
