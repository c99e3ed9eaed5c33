"""The attempt walk (:func:`run_plan`) against scripted upstream outcomes."""

from __future__ import annotations

import asyncio

import pytest

from interlingua.errors import GatewayError, UpstreamError, UpstreamUnavailable
from interlingua.server.config.routing import (
    CooldownConfig,
    KeyPoolConfig,
    RetriesConfig,
    RoutingConfig,
)
from interlingua.server.resilience.balance import Balancer, Slot
from interlingua.server.resilience.health import HealthBook
from interlingua.server.resilience.keys import KeyPool
from interlingua.server.resilience.plan import Leg, run_plan

CONFIG = RoutingConfig(
    retries=RetriesConfig(attempts=3, backoff_ms=10, max_backoff_ms=5000),
    cooldown=CooldownConfig(failures=2, window_s=30, cooldown_s=30),
)


def leg(
    book: HealthBook,
    name: str,
    *targets: str,
    keys: int = 0,
    strategy: str = "round_robin",
    pools: dict[str, KeyPool] | None = None,
) -> Leg[str]:
    pools = {} if pools is None else pools
    slots = [
        Slot(i, 1.0, 0, book[t], pools.setdefault(t, KeyPool(t, keys, KeyPoolConfig())))
        for i, t in enumerate(targets)
    ]
    return Leg(name, Balancer(slots, strategy), tuple(targets))  # type: ignore[arg-type]


class Upstreams:
    """Scripted outcomes per target: a list of errors to raise first, then success."""

    def __init__(self, script: dict[str, list[GatewayError]]) -> None:
        self.script = script
        self.calls: list[tuple[str, int]] = []
        self.sleeps: list[float] = []

    async def call(self, target: str, key: int) -> str:
        self.calls.append((target, key))
        queue = self.script.get(target, [])
        if queue:
            raise queue.pop(0)
        return f"answer from {target}"

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def down(n: int = 99, status: int = 503) -> list[GatewayError]:
    return [UpstreamError("down", status=status) for _ in range(n)]


async def test_failover_to_the_next_target_without_waiting() -> None:
    book = HealthBook(CONFIG.cooldown)
    ups = Upstreams({"a": down()})
    landing = await run_plan([leg(book, "m", "a", "b")], ups.call, CONFIG, book, sleep=ups.sleep)
    assert landing.result == "answer from b"
    assert landing.attempts == 2
    assert ups.sleeps == []
    assert landing.health.inflight == 1
    landing.done()
    landing.done()
    assert landing.health.inflight == 0


async def test_a_cooling_target_gets_no_requests() -> None:
    book = HealthBook(CONFIG.cooldown)
    route = leg(book, "m", "a", "b")
    ups = Upstreams({"a": down()})
    for _ in range(20):
        (await run_plan([route], ups.call, CONFIG, book, sleep=ups.sleep)).done()
    assert [c for c in ups.calls if c[0] == "a"] == [("a", -1), ("a", -1)]  # 2 failures, then cooling


async def test_passes_back_off_and_honour_retry_after() -> None:
    book = HealthBook(CooldownConfig(failures=99))
    ups = Upstreams({"a": [UpstreamError("busy", status=503, retry_after="2"), *down(1)]})
    landing = await run_plan([leg(book, "m", "a")], ups.call, CONFIG, book, sleep=ups.sleep)
    assert landing.attempts == 3
    assert ups.sleeps[0] == 2.0
    assert 0 <= ups.sleeps[1] <= 0.02


async def test_a_retry_after_past_the_cap_ends_the_retries() -> None:
    book = HealthBook(CooldownConfig(failures=99))
    ups = Upstreams({"a": [UpstreamError("busy", status=503, retry_after="60")]})
    with pytest.raises(UpstreamError) as caught:
        await run_plan([leg(book, "m", "a")], ups.call, CONFIG, book, sleep=ups.sleep)
    assert caught.value.retry_after == "60"
    assert len(ups.calls) == 1


async def test_the_last_error_reaches_the_client_when_every_pass_fails() -> None:
    book = HealthBook(CooldownConfig(failures=99))
    ups = Upstreams({"a": down(), "b": down(status=502)})
    with pytest.raises(UpstreamError) as caught:
        await run_plan([leg(book, "m", "a", "b")], ups.call, CONFIG, book, sleep=ups.sleep)
    assert len(ups.calls) == 6
    assert len(ups.sleeps) == 2
    assert caught.value.status in (502, 503)


async def test_client_errors_are_not_retried() -> None:
    book = HealthBook(CONFIG.cooldown)
    ups = Upstreams({"a": down(status=400), "b": []})
    with pytest.raises(UpstreamError):
        await run_plan(
            [leg(book, "m", "a", "b", strategy="weighted")], ups.call, CONFIG, book, sleep=ups.sleep
        )
    assert len(ups.calls) == 1
    assert book["a"].inflight == 0
    assert book.usable(book["a"])


async def test_429_rotates_to_the_next_key_and_rests_the_first() -> None:
    book = HealthBook(CONFIG.cooldown)
    route = leg(book, "m", "a", keys=2)
    ups = Upstreams({"a": [UpstreamError("slow", status=429, retry_after="30")]})
    (await run_plan([route], ups.call, CONFIG, book, sleep=ups.sleep)).done()
    for _ in range(3):
        (await run_plan([route], ups.call, CONFIG, book, sleep=ups.sleep)).done()
    assert ups.calls == [("a", 0), ("a", 1), ("a", 1), ("a", 1), ("a", 1)]
    assert book.usable(book["a"])
    assert not book["a"].failures


async def test_401_benches_the_key() -> None:
    book = HealthBook(CONFIG.cooldown)
    pools: dict[str, KeyPool] = {}
    route = leg(book, "m", "a", keys=3, pools=pools)
    ups = Upstreams({"a": [UpstreamError("bad key", status=401, kind="authentication")]})
    for _ in range(4):
        (await run_plan([route], ups.call, CONFIG, book, sleep=ups.sleep)).done()
    assert [k for _, k in ups.calls] == [0, 1, 2, 1, 2]
    assert pools["a"].describe()[0]["reason"] == "refused (401)"


async def test_a_target_whose_keys_all_rest_is_skipped_unless_nothing_else_is_left() -> None:
    book = HealthBook(CONFIG.cooldown)
    pools: dict[str, KeyPool] = {}
    ups = Upstreams({"a": [UpstreamError("slow", status=429, retry_after="20")]})
    with pytest.raises(UpstreamError) as caught:
        await run_plan([leg(book, "m", "a", keys=1, pools=pools)], ups.call, CONFIG, book, sleep=ups.sleep)
    assert caught.value.status == 429
    assert caught.value.retry_after == "20"
    (await run_plan([leg(book, "m", "a", "b", keys=1, pools=pools)], ups.call, CONFIG, book)).done()
    assert ups.calls == [("a", 0), ("b", 0)]  # a's only key rests: b serves
    (await run_plan([leg(book, "m", "a", keys=1, pools=pools)], ups.call, CONFIG, book)).done()
    assert ups.calls[-1] == ("a", 0)  # nothing else: the resting key is tried rather than refuse


async def test_every_target_cooling_tries_them_anyway() -> None:
    book = HealthBook(CooldownConfig(failures=1, cooldown_s=30))
    ups = Upstreams({"a": down(1)})
    route = leg(book, "m", "a")
    cfg = RoutingConfig(retries=RetriesConfig(attempts=1))
    with pytest.raises(UpstreamError):
        await run_plan([route], ups.call, cfg, book, sleep=ups.sleep)
    assert not book.usable(book["a"])
    (await run_plan([route], ups.call, cfg, book, sleep=ups.sleep)).done()
    assert len(ups.calls) == 2
    assert book.usable(book["a"])  # the forced attempt was a successful probe


async def test_fallback_routes_come_after_every_target() -> None:
    book = HealthBook(CONFIG.cooldown)
    ups = Upstreams({"a": down(), "b": down()})
    legs = [leg(book, "m", "a", "b"), leg(book, "fallback", "c")]
    landing = await run_plan(legs, ups.call, CONFIG, book, sleep=ups.sleep)
    assert landing.target == "c"
    assert [c[0] for c in ups.calls][-1] == "c"
    assert len(ups.calls) == 3


async def test_context_overflow_goes_to_the_context_fallbacks_only() -> None:
    book = HealthBook(CONFIG.cooldown)
    too_long = UpstreamError("prompt is too long", status=400)
    ups = Upstreams({"a": [too_long]})
    legs = [leg(book, "m", "a", "b")]
    landing = await run_plan(
        legs, ups.call, CONFIG, book, context_legs=[leg(book, "big", "c")], sleep=ups.sleep
    )
    assert landing.target == "c"
    assert [c[0] for c in ups.calls] == ["a", "c"]
    ups.script["a"] = [too_long]
    with pytest.raises(UpstreamError):
        await run_plan([leg(book, "m2", "a")], ups.call, CONFIG, book, sleep=ups.sleep)


async def test_cancellation_releases_the_target() -> None:
    book = HealthBook(CooldownConfig(failures=1, cooldown_s=0.01))
    started = asyncio.Event()
    h = book["a"]
    book.claim(h)
    book.failed(h)
    await asyncio.sleep(0.02)

    async def call(target: str, key: int) -> str:
        started.set()
        await asyncio.sleep(5)
        return target

    task = asyncio.create_task(run_plan([leg(book, "m", "a")], call, CONFIG, book))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert h.inflight == 0
    assert h.probe_started is None
    assert book.claim(h)


async def test_transport_errors_fail_over() -> None:
    book = HealthBook(CONFIG.cooldown)
    ups = Upstreams({"a": [UpstreamUnavailable("could not connect")]})
    landing = await run_plan([leg(book, "m", "a", "b")], ups.call, CONFIG, book, sleep=ups.sleep)
    assert landing.target == "b"
