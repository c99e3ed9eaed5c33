"""The limits feature's hooks on real contexts and in-process counters: allowed models,
reserve/settle, shadow rules, budgets and the client's rate-limit headers. (End-to-end
through the gateway: test_limits_gateway.py.)"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from interlingua.errors import PermissionDenied, RateLimited
from interlingua.server.config import Config
from interlingua.server.keys.authenticator import principal_of
from interlingua.server.keys.model import Budget, KeyLimits, VirtualKey
from interlingua.server.limits.buckets import Buckets
from interlingua.server.limits.counters import LocalCounters
from interlingua.server.limits.feature import LimitsFeature
from interlingua.server.limits.plan import rule_ids
from interlingua.server.pipeline.context import ANONYMOUS, Outcome, Principal, RequestContext
from interlingua.server.pipeline.relay import DELIVERED_KEY
from interlingua.translate import Format


def _key(**fields: Any) -> VirtualKey:
    now = datetime.now(UTC)
    base: dict[str, Any] = {
        "id": "abc123def456", "name": "team", "secret_hash": "", "last4": "abcd", "models": (),
        "limits": KeyLimits(), "budget": None, "metadata": {}, "enabled": True, "expires_at": None,
        "created_at": now, "updated_at": now, "revoked_at": None,
    }
    return VirtualKey(**{**base, **fields})


def _ctx(principal: Principal, model: str = "gpt-4o", fmt: Format = Format.OPENAI_CHAT, max_tokens: int = 10) -> RequestContext:
    ctx = RequestContext("req_1", SimpleNamespace(format=fmt), "generate", None)  # type: ignore[arg-type]
    ctx.principal, ctx.client_model = principal, model
    body = {"model": model, "max_tokens": max_tokens, "messages": [{"role": "user", "content": "hi"}]}
    ctx.extras["call"] = SimpleNamespace(body=body, raw=b"x" * 40)
    return ctx


def _feature(**config: Any) -> LimitsFeature:
    return LimitsFeature(Config.model_validate(config), LocalCounters())


async def test_limits_model_not_allowed_names_only_the_model() -> None:
    feature = _feature()
    key = _key(models=("claude-*", "secret-model-*"))
    with pytest.raises(PermissionDenied) as info:
        await feature.admit(_ctx(principal_of(key), "gpt-4o"))
    assert info.value.status == 403
    assert "gpt-4o" in info.value.message
    assert "claude" not in info.value.message
    assert "secret" not in info.value.message
    await feature.admit(_ctx(principal_of(key), "claude-sonnet-4-6"))


async def test_limits_rpm_exactly_n_of_concurrent_requests() -> None:
    feature = _feature()
    key = _key(limits=KeyLimits(rpm=10))
    results = await asyncio.gather(*(feature.admit(_ctx(principal_of(key))) for _ in range(30)), return_exceptions=True)
    assert sum(r is None for r in results) == 10
    refused = [r for r in results if r is not None]
    assert all(isinstance(r, RateLimited) and r.retry_after for r in refused)


async def _one_request(feature: LimitsFeature, principal: Principal, served: list[int], max_tokens: int) -> None:
    ctx = _ctx(principal, max_tokens=max_tokens)
    try:
        await feature.admit(ctx)
    except RateLimited:
        return
    await asyncio.sleep(random.random() / 100)
    used_output = random.randint(0, max_tokens)
    ctx.usage.update({"input_tokens": 12, "output_tokens": used_output})
    served.append(ctx.usage.total_tokens)
    await feature.complete(ctx)


async def test_limits_tokens_served_stay_within_limit_under_concurrency() -> None:
    # The BerriAI/litellm#18730 scenario: a 100-token limit, many concurrent requests.
    feature = _feature()
    key = _key(limits=KeyLimits(tpm=100))
    served: list[int] = []
    await asyncio.gather(*(_one_request(feature, principal_of(key), served, 20) for _ in range(50)))
    estimate_error = 40  # input estimate vs the 12 tokens reported, at most
    assert 0 < sum(served) <= 100 + estimate_error


async def test_limits_settle_refunds_unused_and_frees_parallel_slot() -> None:
    feature = _feature()
    key = _key(limits=KeyLimits(tpm=1000, max_parallel=1))
    first = _ctx(principal_of(key), max_tokens=500)
    await feature.admit(first)
    with pytest.raises(RateLimited):
        await feature.admit(_ctx(principal_of(key)))  # the one slot is taken
    first.usage.update({"input_tokens": 5, "output_tokens": 5})
    await feature.complete(first)
    room = await feature.headroom(key)
    assert room["parallel"]["remaining"] == 1
    assert room["tokens"]["remaining"] == pytest.approx(990, abs=1)


async def test_limits_config_rules_global_per_key_and_shadow(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "interlingua.limits")
    feature = _feature(
        limits=[
            {"model": "gpt-*", "rpm": 2},  # one counter for everyone
            {"model": "*", "key": "static-*", "rpm": 1, "per_key": True},
            {"model": "*", "tpm": 1, "shadow": True},
        ]
    )
    a, b = Principal("static_key", "static-key-1"), Principal("static_key", "static-key-2")
    await feature.admit(_ctx(a))
    with pytest.raises(RateLimited):
        await feature.admit(_ctx(a))  # a's own rule
    await feature.admit(_ctx(b))  # b has its own counter; the shadow tpm would refuse, is not enforced
    with pytest.raises(RateLimited):
        await feature.admit(_ctx(ANONYMOUS))  # the global gpt-* counter is spent
    await feature.admit(_ctx(ANONYMOUS, model="claude-x"))
    assert "shadow limit would refuse request req_1 of static-key-2: limits[2]" in caplog.text


async def test_limits_budget_exhausted_is_insufficient_quota() -> None:
    feature = _feature(pricing=[{"model": "gpt-*", "input": 1_000_000, "output": 1_000_000}])  # $1 a token
    key = _key(budget=Budget(usd=100, period="1d"))
    ctx = _ctx(principal_of(key), max_tokens=10)
    await feature.admit(ctx)
    ctx.usage.update({"input_tokens": 50, "output_tokens": 40})
    await feature.complete(ctx)
    with pytest.raises(RateLimited) as info:
        await feature.admit(_ctx(principal_of(key), max_tokens=10))
    assert info.value.code == "insufficient_quota"
    assert int(info.value.retry_after or 0) > 0


async def test_limits_budget_admits_by_maximum_cost_so_it_is_never_overshot() -> None:
    # The documented policy (README, Budgets): a hard cap. 1,000 tokens left: a request that
    # may cost 11 + 2,000 is refused, one that may cost 11 + 100 fits, and ten such requests
    # in flight together (none settled yet) cannot spend past the budget.
    feature = _feature()
    key = _key(budget=Budget(tokens=1000, period="1d"))
    with pytest.raises(RateLimited) as info:
        await feature.admit(_ctx(principal_of(key), max_tokens=2000))
    assert info.value.code == "insufficient_quota"
    assert "maximum cost" in info.value.message
    admitted = 0
    for _ in range(10):
        try:
            await feature.admit(_ctx(principal_of(key), max_tokens=100))
        except RateLimited:
            continue
        admitted += 1
    assert admitted == 1000 // 111


@pytest.mark.parametrize(
    ("fmt", "names"),
    [
        (Format.OPENAI_CHAT, {"x-ratelimit-limit-requests", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"}),
        (Format.OPENAI_RESPONSES, {"x-ratelimit-remaining-requests"}),
        (Format.ANTHROPIC_MESSAGES, {"anthropic-ratelimit-requests-limit", "anthropic-ratelimit-tokens-reset"}),
        (Format.GEMINI, set()),
    ],
)
async def test_limits_headers_in_the_clients_convention(fmt: Format, names: set[str]) -> None:
    feature = _feature()
    key = _key(limits=KeyLimits(rpm=5, tpm=10_000))  # the default output cap (4,096) fits
    ctx = _ctx(principal_of(key), fmt=fmt)
    await feature.admit(ctx)
    headers = {name.decode(): value.decode() for name, value in feature.response_headers(ctx)}
    assert names <= set(headers)
    if fmt is Format.OPENAI_CHAT:
        assert headers["x-ratelimit-limit-requests"] == "5"
        assert headers["x-ratelimit-remaining-requests"] == "4"
    if fmt is Format.GEMINI:
        assert headers == {}


def _frozen_feature() -> LimitsFeature:
    # A clock that stands still: no refill between reserve, settle and the check.
    return LimitsFeature(Config.model_validate({}), LocalCounters(Buckets(clock=lambda: 1000.0)))


_DELTA = b'data: {"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'


@pytest.mark.parametrize(
    ("reported", "texts", "charged"),
    [
        ({}, ["Hello", " world, how are", " you"], 11 + 6),  # no usage: input estimate + 24 bytes / 4
        ({"input_tokens": 12}, ["Hi", "!"], 12 + 2),  # a token at least per piece delivered
        ({"input_tokens": 12, "output_tokens": 9}, ["Hi"], 12 + 9),  # the upstream's larger count
        ({}, ["x" * 2000], 11 + 300),  # never more than the output reserved
        ({}, [], 11),  # cut before any text: the input estimate only
    ],
)
async def test_limits_cut_stream_is_charged_what_it_delivered(
    reported: dict[str, int], texts: list[str], charged: int
) -> None:
    feature = _frozen_feature()
    key = _key(limits=KeyLimits(tpm=100_000))
    ctx = _ctx(principal_of(key), max_tokens=300)  # a 40-byte body: 11 tokens of input estimate
    ctx.stream = True
    await feature.admit(ctx)
    delivered = ctx.extras[DELIVERED_KEY]
    for text in texts:
        delivered(_DELTA % text.encode())
    ctx.usage.update(reported)
    ctx.outcome, ctx.timings.first_byte = Outcome.CANCELLED, 1.0
    await feature.complete(ctx)
    assert (await feature.headroom(key))["tokens"]["remaining"] == 100_000 - charged


async def test_limits_cut_plain_answer_keeps_its_output_reservation_unless_reported() -> None:
    # No record of what was sent (not a stream): the output reserved, unless usage says.
    for reported, charged in (({}, 11 + 300), ({"input_tokens": 12, "output_tokens": 5}, 17)):
        feature = _frozen_feature()
        key = _key(limits=KeyLimits(tpm=100_000))
        ctx = _ctx(principal_of(key), max_tokens=300)
        await feature.admit(ctx)
        assert DELIVERED_KEY not in ctx.extras
        ctx.usage.update(reported)
        ctx.outcome, ctx.timings.first_byte = Outcome.CANCELLED, 1.0
        await feature.complete(ctx)
        assert (await feature.headroom(key))["tokens"]["remaining"] == 100_000 - charged


async def test_limits_failed_call_is_refunded() -> None:
    feature = _feature()
    key = _key(limits=KeyLimits(tpm=100_000))
    ctx = _ctx(principal_of(key), max_tokens=300)
    await feature.admit(ctx)
    ctx.outcome = Outcome.UPSTREAM_ERROR
    await feature.complete(ctx)
    assert (await feature.headroom(key))["tokens"]["remaining"] == pytest.approx(100_000, abs=2)


def test_limits_rule_ids_follow_the_rule_not_its_position() -> None:
    def rules(*raw: dict[str, Any]) -> list[Any]:
        return list(Config.model_validate({"limits": list(raw)}).limits)

    a, b = {"model": "gpt-*", "rpm": 5}, {"model": "claude-*", "key": "team-*", "per_key": True, "tpm": 9}
    named = {"name": "global", "model": "*", "rpm": 100}
    first = dict(zip(("a", "b", "named"), rule_ids(rules(a, b, named)), strict=True))
    moved = dict(zip(("named", "b", "a"), rule_ids(rules(named, b, a)), strict=True))
    assert first == moved
    assert first["named"] == "n:global"
    # New limits or shadow mode: the same rule, the same counter.
    assert rule_ids(rules({**a, "rpm": 50, "shadow": True})) == [first["a"]]
    # Two rules that match alike still count apart, told apart by their order.
    twins = rule_ids(rules(a, {**a, "rpm": 7}))
    assert twins == [first["a"], first["a"] + "#2"]
