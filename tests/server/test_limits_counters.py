"""The limit algorithm (reserve/settle token buckets with debt) and its three homes:
this process, the parent of ``--workers N`` (Unix socket), Redis (Lua)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from server_helpers import free_port

from interlingua.errors import Overloaded
from interlingua.server.limits.buckets import Buckets, Charge, Settle
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.limits.redis_counters import RedisCounters
from interlingua.server.limits.shared import CounterServer, SocketCounters


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _tokens(need: float, key: str = "k:tpm", cap: float = 100, enforce: bool = True) -> Charge:
    return Charge(key, need, cap, cap / 60, enforce)


def test_buckets_all_or_nothing_and_retry_after() -> None:
    clock = Clock()
    b = Buckets(clock)
    rpm = Charge("k:rpm", 1, 2, 2 / 60)
    assert b.reserve([rpm, _tokens(60)]).allowed
    refused = b.reserve([rpm, _tokens(60)])  # rpm fits, tokens do not: nothing is taken
    assert not refused.allowed
    assert refused.refused == [1]
    assert refused.retry_after_s == pytest.approx(20 / (100 / 60))
    assert b.peek([rpm])[0][0] == pytest.approx(1)


def test_buckets_settle_refunds_and_debt_is_repaid_by_refill() -> None:
    clock = Clock()
    b = Buckets(clock)
    assert b.reserve([_tokens(50)]).allowed
    b.settle([Settle("k:tpm", 50 - 130, 100, 100 / 60)])  # used 130 of 50 reserved: 30 in debt
    assert b.peek([_tokens(0)])[0][0] == pytest.approx(-30)
    assert not b.reserve([_tokens(1)]).allowed
    clock.now += 18.6  # 31 tokens refilled
    assert b.reserve([_tokens(1)]).allowed


def test_buckets_shadow_counts_but_never_refuses() -> None:
    b = Buckets(Clock())
    shadow = _tokens(80, enforce=False)
    assert b.reserve([shadow]).allowed
    second = b.reserve([shadow])
    assert second.allowed
    assert second.refused == [0]
    assert second.remaining == [pytest.approx(-60)]


def test_buckets_need_beyond_capacity_is_too_large() -> None:
    decision = Buckets(Clock()).reserve([_tokens(101)])
    assert not decision.allowed
    assert decision.too_large


def test_buckets_concurrency_slot_comes_back_at_settle() -> None:
    b = Buckets(Clock())
    slot = Charge("k:par", 1, 2, 0)
    assert b.reserve([slot]).allowed
    assert b.reserve([slot]).allowed
    assert not b.reserve([slot]).allowed
    b.settle([Settle("k:par", 1, 2, 0)])
    assert b.reserve([slot]).allowed


def test_buckets_sweep_forgets_full_buckets() -> None:
    clock = Clock()
    b = Buckets(clock)
    for i in range(5000):
        b.reserve([Charge(f"k{i}", 1, 10, 10)])
        clock.now += 0.01
    # Swept at the 4,096th operation: only the last ~0.1 s of buckets were not full again.
    assert len(b) < 5000 - 4000


@pytest.fixture
async def shared() -> AsyncIterator[tuple[SocketCounters, SocketCounters]]:
    server = CounterServer()
    server.start()
    a, b = SocketCounters(server.path), SocketCounters(server.path)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()
        server.stop()


async def _served(counters: list[Counters], n: int, charge: Callable[[], list[Charge]]) -> int:
    results = await asyncio.gather(*(counters[i % len(counters)].reserve(charge()) for i in range(n)))
    return sum(d.allowed for d in results)


async def test_shared_counters_exact_across_clients(shared: tuple[SocketCounters, SocketCounters]) -> None:
    # Two workers' clients, 30 concurrent requests, 10 per minute: exactly 10.
    assert await _served(list(shared), 30, lambda: [Charge("k:rpm", 1, 10, 10 / 60)]) == 10
    a, b = shared
    await a.settle([Settle("k:rpm", 5, 10, 10 / 60)])
    assert (await b.peek([Charge("k:rpm", 1, 10, 10 / 60)]))[0][0] == pytest.approx(5, abs=0.1)


@pytest.mark.parametrize("kind", ["server", "cluster"])
async def test_redis_counters_exact_and_same_arithmetic(kind: str, request: pytest.FixtureRequest) -> None:
    """On one Redis and on a three-node Redis Cluster (where a script's keys must share a
    slot: the counters' hash tag)."""
    url = request.getfixturevalue("redis_url" if kind == "server" else "redis_cluster_url")
    clients = [
        RedisCounters(url, on_error="fail_closed", timeout_s=2, fallback=LocalCounters(), cluster=kind == "cluster")
        for _ in range(2)
    ]
    try:
        name = f"t{free_port()}"
        # Two buckets per request (a key's and a model's, say): one script over both keys.
        both = lambda: [Charge(f"{name}:rpm", 1, 10, 10 / 60), Charge(f"{name}:model:rpm", 1, 100, 100 / 60)]  # noqa: E731
        assert await _served(list(clients), 30, both) == 10
        slow = 1e-6  # no refill to speak of: compare with the in-process buckets exactly
        ref = Buckets()
        for need, actual in ((40, 70), (50, 0), (30, 30), (20, 5)):
            charge = Charge(f"{name}:tpm", need, 100, slow)
            got, want = await clients[0].reserve([charge]), ref.reserve([charge])
            assert (got.allowed, got.refused) == (want.allowed, want.refused)
            assert got.remaining[0] == pytest.approx(want.remaining[0], abs=0.01)
            if got.allowed:
                settle = Settle(f"{name}:tpm", need - actual, 100, slow)
                await clients[1].settle([settle], got)
                ref.settle([settle])
        assert (await clients[0].peek([Charge(f"{name}:tpm", 0, 100, slow)]))[0][0] == pytest.approx(
            ref.peek([Charge(f"{name}:tpm", 0, 100, slow)])[0][0], abs=0.01
        )
    finally:
        for c in clients:
            await c.close()


async def test_redis_unreachable_falls_back_or_fails_closed() -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    local = RedisCounters(url, on_error="local", timeout_s=0.2, fallback=LocalCounters())
    closed = RedisCounters(url, on_error="fail_closed", timeout_s=0.2, fallback=LocalCounters())
    try:
        decision = await local.reserve([Charge("k", 1, 1, 1)])
        assert decision.allowed
        assert decision.fallback
        assert not (await local.reserve([Charge("k", 1, 1, 1)])).allowed  # counted locally meanwhile
        assert local.status()["mode"] == "per-instance fallback"
        with pytest.raises(Overloaded):
            await closed.reserve([Charge("k", 1, 1, 1)])
        assert closed.status()["ok"] is False
    finally:
        await local.close()
        await closed.close()
