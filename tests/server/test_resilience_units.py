"""Unit tests of the routing building blocks: verdicts, backoff, health, key pools, balancing."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from interlingua.errors import InvalidRequest, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from interlingua.server.config.routing import CooldownConfig, KeyPoolConfig
from interlingua.server.resilience.backoff import backoff_s
from interlingua.server.resilience.balance import Balancer, Slot
from interlingua.server.resilience.health import HealthBook, TargetHealth
from interlingua.server.resilience.keys import KeyPool
from interlingua.server.resilience.verdict import Verdict, parse_retry_after, verdict_for


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("err", "verdict"),
    [
        (UpstreamUnavailable("could not connect"), Verdict.RETRY),
        (UpstreamTimeout("no first byte"), Verdict.RETRY),
        *((UpstreamError("x", status=s), Verdict.RETRY) for s in (500, 502, 503, 504, 529)),
        (UpstreamError("slow down", status=429, kind="rate_limit"), Verdict.KEY_LIMITED),
        (UpstreamError("bad key", status=401, kind="authentication"), Verdict.KEY_REFUSED),
        (UpstreamError("forbidden", status=403, kind="permission"), Verdict.KEY_REFUSED),
        *((UpstreamError("no", status=s), Verdict.FINAL) for s in (400, 404, 413, 422)),
        (InvalidRequest("messages: missing"), Verdict.FINAL),
        (UpstreamError("prompt is too long: 210000 tokens > 200000 maximum", status=400), Verdict.CONTEXT),
        (UpstreamError("too big", status=400, code="context_length_exceeded"), Verdict.CONTEXT),
        (UpstreamError("Input is too long for requested model.", status=413), Verdict.CONTEXT),
    ],
)
def test_verdict_for_each_failure(err: UpstreamError, verdict: Verdict) -> None:
    assert verdict_for(err) is verdict


def test_verdict_only_retry_counts_against_the_target() -> None:
    assert [v for v in Verdict if v.target_failed] == [Verdict.RETRY]


@pytest.mark.parametrize(
    ("value", "value_ms", "seconds"),
    [
        ("7", None, 7.0),
        ("1.5", None, 1.5),
        ("7s", None, 7.0),
        (None, "250", 0.25),
        ("9", "100", 0.1),
        (None, None, None),
        ("soon", None, None),
        ("-3", None, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, 0.0),
    ],
)
def test_parse_retry_after_forms(value: str | None, value_ms: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, value_ms) == seconds


def test_backoff_is_jittered_under_a_doubling_ceiling() -> None:
    rng = random.Random(7)
    waits = [backoff_s(n, 250, 8000, rng=rng) for n in (1, 2, 3, 9) for _ in range(200)]
    assert all(w is not None for w in waits)
    first, second, third, capped = (waits[i * 200 : (i + 1) * 200] for i in range(4))
    assert max(first) <= 0.25
    assert max(second) <= 0.5
    assert max(third) <= 1.0
    assert max(capped) <= 8.0
    assert len(set(first)) > 150  # jittered, not lockstep


def test_backoff_honours_retry_after_and_gives_up_past_the_cap() -> None:
    assert backoff_s(1, 250, 8000, 3.0, rng=random.Random(1)) == 3.0
    assert backoff_s(1, 250, 8000, 9.0) is None


def test_cooldown_after_failures_in_window_then_one_probe_decides() -> None:
    clock = Clock()
    book = HealthBook(CooldownConfig(failures=2, window_s=10, cooldown_s=30), clock)
    h = book["a/m"]
    for _ in range(2):
        assert book.claim(h)
        book.failed(h)
    assert not book.usable(h)
    assert not book.claim(h)
    clock.now += 31
    assert book.claim(h)  # the probe
    assert not book.claim(h)  # everyone else waits for its verdict
    book.failed(h)  # the probe failed: another cooldown
    assert not book.usable(h)
    clock.now += 31
    assert book.claim(h)
    book.succeeded(h)
    book.left(h)
    assert book.usable(h)
    assert book.claim(h)
    assert book.claim(h)
    assert h.inflight == 2


def test_failures_outside_the_window_do_not_add_up() -> None:
    clock = Clock()
    book = HealthBook(CooldownConfig(failures=2, window_s=10, cooldown_s=30), clock)
    h = book["a/m"]
    book.claim(h)
    book.failed(h)
    clock.now += 11
    book.claim(h)
    book.failed(h)
    assert book.usable(h)


def _cooled_down() -> tuple[Clock, HealthBook, TargetHealth]:
    """A target that failed once (failures: 1) and whose 30 s cooldown just ended."""
    clock = Clock()
    book = HealthBook(CooldownConfig(failures=1, window_s=10, cooldown_s=30), clock)
    h = book["a/m"]
    book.claim(h)
    book.failed(h)
    clock.now += 31
    return clock, book, h


def test_a_probe_that_never_reports_is_given_up() -> None:
    clock, book, h = _cooled_down()
    assert book.claim(h)
    clock.now += 31
    assert book.claim(h)  # the first probe's request vanished without a verdict


def test_a_released_probe_goes_to_the_next_request() -> None:
    _, book, h = _cooled_down()
    assert book.claim(h)
    book.left(h, released=True)
    assert book.claim(h)
    assert book.describe(h)["state"] == "probing"


def test_latency_is_a_decaying_average() -> None:
    h = HealthBook(CooldownConfig())["a/m"]
    h.observe_latency(1.0)
    for _ in range(30):
        h.observe_latency(0.1)
    assert h.latency_s is not None
    assert 0.1 <= h.latency_s < 0.11


def test_key_pool_rotates_rests_and_benches() -> None:
    clock = Clock()
    pool = KeyPool("openai", 3, KeyPoolConfig(bench_s=600, rate_limit_s=5), clock)
    assert [pool.pick() for _ in range(4)] == [0, 1, 2, 0]
    pool.rate_limited(1, 2.0)
    pool.refused(2, 401)
    assert [pool.pick() for _ in range(3)] == [0, 0, 0]
    assert pool.pick(frozenset({0})) == 1  # every untried key rests: the first to wake
    assert pool.pick(frozenset({0, 1, 2})) is None
    assert pool.ready()
    clock.now += 2.5
    assert pool.pick(frozenset({0})) == 1
    pool.rate_limited(0, None)
    pool.rate_limited(1, None)
    assert not pool.ready()
    assert pool.wait_s() == pytest.approx(5.0)
    states = pool.describe()
    assert [s["key"] for s in states] == ["#1", "#2", "#3"]
    assert states[2]["reason"] == "refused (401)"


def test_key_pool_logs_name_the_key_by_position(caplog: pytest.LogCaptureFixture) -> None:
    pool = KeyPool("openai", 2, KeyPoolConfig())
    pool.refused(1, 403)
    assert "openai key #2 refused (403)" in caplog.text


def test_an_empty_key_pool_is_always_usable() -> None:
    pool = KeyPool("local", 0, KeyPoolConfig())
    assert pool.pick() == -1
    assert pool.pick(frozenset({-1})) is None
    assert pool.ready()


def _slots(*specs: tuple[float, int]) -> list[Slot]:
    book = HealthBook(CooldownConfig())
    return [
        Slot(i, w, p, book[f"t{i}"], KeyPool(f"t{i}", 0, KeyPoolConfig())) for i, (w, p) in enumerate(specs)
    ]


def test_weighted_shares_are_exact_over_400_requests() -> None:
    balancer = Balancer(_slots((3, 0), (1, 0)), "weighted")
    firsts = Counter(balancer.order(lambda s: True)[0].index for _ in range(400))
    assert firsts == {0: 300, 1: 100}


def test_weighted_failover_order_and_priorities() -> None:
    slots = _slots((1, 0), (5, 0), (1, 1))
    order = Balancer(slots, "weighted").order(lambda s: True)
    assert [s.index for s in order] == [1, 0, 2]
    only_backup = Balancer(slots, "weighted").order(lambda s: s.health.name == "t2")
    assert [s.index for s in only_backup] == [2]


def test_round_robin_ignores_weights() -> None:
    balancer = Balancer(_slots((9, 0), (1, 0), (1, 0)), "round_robin")
    assert Counter(balancer.order(lambda s: True)[0].index for _ in range(300)) == {0: 100, 1: 100, 2: 100}


def test_least_busy_picks_the_fewest_in_flight() -> None:
    slots = _slots((1, 0), (1, 0), (1, 0))
    slots[0].health.inflight, slots[1].health.inflight, slots[2].health.inflight = 4, 1, 2
    assert [s.index for s in Balancer(slots, "least_busy").order(lambda s: True)] == [1, 2, 0]


def test_least_busy_spreads_ties() -> None:
    balancer = Balancer(_slots((1, 0), (1, 0)), "least_busy")
    assert Counter(balancer.order(lambda s: True)[0].index for _ in range(10)) == {0: 5, 1: 5}


def test_lowest_latency_measures_every_target_then_prefers_the_fastest() -> None:
    slots = _slots((1, 0), (1, 0), (1, 0))
    slots[0].health.observe_latency(0.5)
    slots[2].health.observe_latency(0.1)
    assert [s.index for s in Balancer(slots, "lowest_latency").order(lambda s: True)] == [1, 2, 0]


def test_a_single_target_route_skips_the_balancing() -> None:
    balancer = Balancer(_slots((1, 0)), "weighted")
    assert balancer.single
    assert [s.index for s in balancer.order(lambda s: True)] == [0]
    assert balancer.order(lambda s: False) == []
