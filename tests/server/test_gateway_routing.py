"""Routing end to end: the official SDKs through the gateway to fault-injecting fake upstreams.

Each test starts its own fake upstreams (real aiohttp servers on 127.0.0.1) so one can be
down while another serves; faults are the fake upstream's (:mod:`interlingua.server.fake_upstream.faults`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anthropic
import httpx
import openai
import pytest

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

CHAT = {"messages": [{"role": "user", "content": "hi"}]}
MSG = {"max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def provider(name: str, up: FakeUpstream | str, fmt: str = "openai_chat", **extra: Any) -> dict[str, Any]:
    base = up if isinstance(up, str) else (up.openai_base_url if fmt == "openai_chat" else up.base_url)
    return {
        "name": name,
        "format": fmt,
        "base_url": base,
        "timeouts": {"connect_ms": 5000, "read_ms": 5000},  # loopback: refusals are instant
        **extra,
    }


def in_turn(name: str, *targets: tuple[str, str]) -> dict[str, Any]:
    """A round-robin route over ``(provider, upstream model)`` targets."""
    listed = [{"provider": p, "upstream_model": m} for p, m in targets]
    return {"name": name, "balance": "round_robin", "targets": listed}


def anthropic_pair(first: FakeUpstream, second: FakeUpstream) -> Config:
    """Route ``claude-ha`` over two Anthropic-format upstreams, in turn."""
    return config(
        [provider("first", first, "anthropic_messages"), provider("second", second, "anthropic_messages")],
        [in_turn("claude-ha", ("first", "claude-sonnet-4-6"), ("second", "claude-sonnet-4-6"))],
    )


def config(providers: list[dict[str, Any]], models: list[dict[str, Any]], **routing: Any) -> Config:
    return Config.model_validate({"providers": providers, "models": models, "routing": routing})


@asynccontextmanager
async def upstreams(n: int, **kwargs: Any) -> AsyncIterator[list[FakeUpstream]]:
    ups = [FakeUpstream(**kwargs) for _ in range(n)]
    for up in ups:
        await up.start()
    try:
        yield ups
    finally:
        for up in ups:
            await up.stop()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def oai(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)


def ant(url: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=url, api_key="x", max_retries=0)


def generations(up: FakeUpstream) -> int:
    return sum(1 for r in up.requests if r.method == "POST")


async def test_failover_keeps_every_request_succeeding_and_a_cooling_target_gets_none() -> None:
    async with upstreams(2) as (bad, good):
        bad.default_fault = "status:503"
        cfg = config(
            [provider("bad", bad), provider("good", good)],
            [in_turn("gpt-ha", ("bad", "gpt-4o-mini"), ("good", "gpt-4o-mini"))],
            cooldown={"failures": 3, "window_s": 60, "cooldown_s": 60},
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            for _ in range(30):
                raw = await client.chat.completions.with_raw_response.create(model="gpt-ha", **CHAT)  # type: ignore[call-overload]
                assert raw.headers["x-interlingua-target"] == "good/gpt-4o-mini"
            assert generations(bad) == 3  # then it cooled: zero requests reached it
            assert generations(good) == 30


async def test_refused_connections_fail_over_across_formats_for_a_streaming_client() -> None:
    async with upstreams(1) as (good,):
        cfg = config(
            [provider("dead", closed_port_url()), provider("claude", good, "anthropic_messages")],
            [in_turn("gpt-x", ("dead", "gpt-4o-mini"), ("claude", "claude-sonnet-4-6"))],
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            stream = await client.chat.completions.create(model="gpt-x", stream=True, **CHAT)  # type: ignore[call-overload]
            chunks = [chunk async for chunk in stream]
    assert {c.model for c in chunks} == {"gpt-x"}  # the client's name, not the upstream's
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert {c.object for c in chunks} == {"chat.completion.chunk"}
    assert good.requests[0].path == "/v1/messages"


async def test_a_stream_failing_before_its_first_event_goes_to_the_next_target() -> None:
    async with upstreams(2) as (first, second):
        first.default_fault = "die-after:0"
        cfg = anthropic_pair(first, second)
        async with (
            running_gateway(cfg) as url,
            ant(url) as client,
            client.messages.stream(model="claude-ha", **MSG) as stream,  # type: ignore[arg-type]
        ):
            message = await stream.get_final_message()
    assert message.content[0].type == "text"
    assert message.stop_reason == "end_turn"
    assert generations(first) == 1
    assert generations(second) == 1


async def test_an_inband_overloaded_first_event_goes_to_the_next_target() -> None:
    async with upstreams(2) as (first, second):
        first.default_fault = "error-after:0"
        cfg = config(
            [provider("first", first, "anthropic_messages"), provider("second", second)],
            [in_turn("claude-ha", ("first", "claude-sonnet-4-6"), ("second", "gpt-4o-mini"))],
        )
        async with (
            running_gateway(cfg) as url,
            ant(url) as client,
            client.messages.stream(model="claude-ha", **MSG) as stream,  # type: ignore[arg-type]
        ):
            message = await stream.get_final_message()
    assert message.model == "claude-ha"
    assert generations(second) == 1


async def test_a_stream_failing_after_its_first_event_ends_with_an_error_event_not_a_splice() -> None:
    async with upstreams(2) as (first, second):
        first.default_fault = "die-after:2"
        cfg = anthropic_pair(first, second)
        events: list[str] = []

        async def read() -> None:
            async with client.messages.stream(model="claude-ha", **MSG) as stream:  # type: ignore[arg-type]
                async for event in stream:
                    events.append(event.type)

        async with running_gateway(cfg) as url, ant(url) as client:
            with pytest.raises(anthropic.APIStatusError) as caught:
                await read()
    assert events[0] == "message_start"
    assert events.count("message_start") == 1  # nothing spliced from another target
    assert "upstream" in str(caught.value.message) or caught.value.body is not None
    assert generations(second) == 0


async def test_retry_after_is_honoured_before_the_next_pass() -> None:
    async with upstreams(1) as (up,):
        up.fault_next("status:503,retry-after:1")
        cfg = config(
            [provider("only", up)],
            [{"name": "gpt-one", "provider": "only", "upstream_model": "gpt-4o-mini"}],
            retries={"attempts": 2, "backoff_ms": 10, "max_backoff_ms": 5000},
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            started = time.monotonic()
            raw = await client.chat.completions.with_raw_response.create(model="gpt-one", **CHAT)  # type: ignore[call-overload]
            waited = time.monotonic() - started
    assert raw.headers["x-interlingua-attempts"] == "2"
    assert waited >= 1.0  # a lower bound: the gateway waited at least the upstream's retry-after


KEYS = ["sk-first-key-0001", "sk-second-key-002", "sk-third-key-0003"]


async def _pool_requests(up: FakeUpstream, n: int) -> str:
    """``n`` requests through a provider with the pool ``KEYS``; the first one's attempt count."""
    cfg = config(
        [provider("pool", up, api_keys=KEYS)],
        [{"name": "gpt-pool", "provider": "pool", "upstream_model": "gpt-4o-mini"}],
    )
    async with running_gateway(cfg) as url, oai(url) as client:
        raw = await client.chat.completions.with_raw_response.create(model="gpt-pool", **CHAT)  # type: ignore[call-overload]
        for _ in range(n - 1):
            await client.chat.completions.create(model="gpt-pool", **CHAT)  # type: ignore[call-overload]
    return raw.headers["x-interlingua-attempts"]


def _keys_used(up: FakeUpstream) -> list[str]:
    return [r.headers["authorization"].removeprefix("Bearer ") for r in up.requests]


async def test_a_429_moves_to_the_next_key_and_rests_the_first(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "interlingua.server")
    async with upstreams(1) as (up,):
        up.fault_next("status:429,retry-after:30")
        assert await _pool_requests(up, 5) == "2"
    used = _keys_used(up)
    assert used[:2] == KEYS[:2]
    assert KEYS[0] not in used[2:]  # resting for its retry-after
    assert set(used[2:]) == set(KEYS[1:])  # the others take turns
    assert "pool key #1 rate limited (429): resting 30.0 s" in caplog.text
    assert not any(key in caplog.text for key in KEYS)


async def test_a_401_benches_the_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "interlingua.server")
    async with upstreams(1, api_key=KEYS[2]) as (up,):
        assert await _pool_requests(up, 4) == "3"
    assert _keys_used(up) == [*KEYS, KEYS[2], KEYS[2], KEYS[2]]
    assert "pool key #2 refused (401)" in caplog.text
    assert not any(key in caplog.text for key in KEYS)


async def test_weighted_targets_share_400_requests_within_ten_percent() -> None:
    async with upstreams(2) as (heavy, light):
        cfg = config(
            [provider("heavy", heavy), provider("light", light)],
            [
                {
                    "name": "gpt-w",
                    "balance": "weighted",
                    "targets": [
                        {"provider": "heavy", "upstream_model": "gpt-4o-mini", "weight": 3},
                        {"provider": "light", "upstream_model": "gpt-4o-mini", "weight": 1},
                    ],
                }
            ],
        )
        async with running_gateway(cfg) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
            for _ in range(40):
                await asyncio.gather(
                    *(client.post("/v1/chat/completions", json={"model": "gpt-w", **CHAT}) for _ in range(10))
                )
    assert 270 <= generations(heavy) <= 330
    assert generations(heavy) + generations(light) == 400


async def test_priority_targets_serve_only_when_the_first_group_is_down() -> None:
    async with upstreams(2) as (main, backup):
        cfg = config(
            [provider("main", main), provider("backup", backup, "anthropic_messages")],
            [
                {
                    "name": "gpt-p",
                    "targets": [
                        {"provider": "main", "upstream_model": "gpt-4o-mini"},
                        {"provider": "backup", "upstream_model": "claude-sonnet-4-6", "priority": 1},
                    ],
                }
            ],
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            for _ in range(3):
                await client.chat.completions.create(model="gpt-p", **CHAT)  # type: ignore[call-overload]
            main.default_fault = "status:500"
            answer = await client.chat.completions.create(model="gpt-p", **CHAT)  # type: ignore[call-overload]
    assert answer.model == "gpt-p"
    assert generations(backup) == 1


async def test_fallback_routes_and_context_window_fallbacks() -> None:
    async with upstreams(2) as (small, big):
        cfg = config(
            [provider("small", small), provider("big", big, "anthropic_messages")],
            [
                {
                    "name": "gpt-small",
                    "provider": "small",
                    "upstream_model": "gpt-4o-mini",
                    "fallbacks": ["claude-big"],
                    "context_window_fallbacks": ["claude-big"],
                },
                {"name": "claude-big", "provider": "big", "upstream_model": "claude-sonnet-4-6"},
            ],
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            small.fault_next("status:400,message:This model's maximum context length is 128000 tokens")
            raw = await client.chat.completions.with_raw_response.create(model="gpt-small", **CHAT)  # type: ignore[call-overload]
            assert raw.headers["x-interlingua-target"] == "big/claude-sonnet-4-6"
            assert raw.parse().model == "gpt-small"
            small.fault_next("status:400,message:temperature: must be at most 2")
            with pytest.raises(openai.BadRequestError):  # a plain client error is not retried
                await client.chat.completions.create(model="gpt-small", **CHAT)  # type: ignore[call-overload]
            small.fault_next("status:502")
            answer = await client.chat.completions.create(model="gpt-small", **CHAT)  # type: ignore[call-overload]
    assert answer.model == "gpt-small"
    assert generations(big) == 2


@pytest.mark.parametrize("stream", [True, False])
async def test_no_first_byte_in_time_goes_to_the_next_target(stream: bool) -> None:
    async with upstreams(2) as (slow, fast):
        slow.default_fault = "slow:3000"
        # Streams: routing.timeouts.first_byte_ms; whole answers: the provider's read_ms.
        # 1 s, not less: first_byte_ms also bounds the fast target, which a loaded machine
        # can keep from answering for a few hundred milliseconds.
        slow_provider = provider("slow", slow) | ({} if stream else {"timeouts": {"read_ms": 1_000}})
        cfg = config(
            [slow_provider, provider("fast", fast)],
            [in_turn("gpt-t", ("slow", "gpt-4o-mini"), ("fast", "gpt-4o-mini"))],
            timeouts={"first_byte_ms": 1_000},
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            raw = await client.chat.completions.with_raw_response.create(model="gpt-t", stream=stream, **CHAT)  # type: ignore[call-overload]
            if stream:
                assert [chunk async for chunk in raw.parse()]
    assert raw.headers["x-interlingua-target"] == "fast/gpt-4o-mini"
    assert raw.headers["x-interlingua-attempts"] == "2"


async def test_the_last_failure_reaches_a_same_format_client_verbatim() -> None:
    async with upstreams(2) as (a, b):
        a.default_fault = b.default_fault = "status:503,message:both down"
        cfg = config(
            [provider("a", a), provider("b", b)],
            [
                {
                    "name": "gpt-2",
                    "targets": [
                        {"provider": "a", "upstream_model": "gpt-4o-mini"},
                        {"provider": "b", "upstream_model": "gpt-4o-mini"},
                    ],
                }
            ],
        )
        async with running_gateway(cfg) as url, oai(url) as client:
            with pytest.raises(openai.InternalServerError) as caught:
                await client.chat.completions.create(model="gpt-2", **CHAT)  # type: ignore[call-overload]
    assert caught.value.status_code == 503
    assert "both down" in caught.value.message
    assert caught.value.response.headers["x-interlingua-attempts"] == "2"


ADMIN_KEY = "admin-key-0123456789"


async def test_admin_targets_lists_every_target_with_its_state() -> None:
    async with upstreams(2) as (bad, good):
        bad.default_fault = "status:503"
        cfg = Config.model_validate(
            {
                "server": {"api_keys": ["client-key"]},
                "admin": {"api_key": ADMIN_KEY},
                "providers": [provider("bad", bad, api_keys=KEYS[:2]), provider("good", good)],
                "models": [
                    {
                        "name": "gpt-ha",
                        "targets": [
                            {"provider": "bad", "upstream_model": "gpt-4o-mini"},
                            {"provider": "good", "upstream_model": "gpt-4o-mini", "priority": 1},
                        ],
                    }
                ],
                "routing": {"cooldown": {"failures": 1, "window_s": 60, "cooldown_s": 60}},
            }
        )
        async with running_gateway(cfg) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            sent = await http.post(
                "/v1/chat/completions",
                json={"model": "gpt-ha", **CHAT},
                headers={"authorization": "Bearer client-key"},
            )
            assert sent.status_code == 200
            for key in (None, "client-key", "admin-key-wrong-wrong"):
                denied = await http.get(
                    "/admin/targets", headers={"authorization": f"Bearer {key}"} if key else {}
                )
                assert denied.status_code == 401
            report = (
                await http.get("/admin/targets", headers={"authorization": f"Bearer {ADMIN_KEY}"})
            ).json()
    targets = {t["target"]: t for t in report["targets"]}
    assert targets["bad/gpt-4o-mini"]["state"] == "cooling"
    assert 0 < targets["bad/gpt-4o-mini"]["cooling_for_s"] <= 60
    assert targets["bad/gpt-4o-mini"]["errors"] == 1
    assert targets["good/gpt-4o-mini"]["state"] == "up"
    assert targets["good/gpt-4o-mini"]["in_flight"] == 0
    assert targets["good/gpt-4o-mini"]["latency_ms"] is not None
    keys = {p["provider"]: p["keys"] for p in report["providers"]}
    assert [k["key"] for k in keys["bad"]] == ["#1", "#2"]
    assert not any(key in str(report) for key in KEYS)


async def test_admin_targets_is_not_served_without_an_admin_key() -> None:
    async with upstreams(1) as (up,):
        cfg = config([provider("p", up)], [{"name": "gpt-x", "provider": "p"}])
        async with running_gateway(cfg) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            assert (await http.get("/admin/targets")).status_code == 404


def test_the_readme_routing_example_is_a_valid_config() -> None:
    from pathlib import Path

    from interlingua.server.config import load_config_text

    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("```yaml\nproviders:\n  - {name: openai") + len("```yaml\n")
    env = {"OPENAI_KEY_1": "k1", "OPENAI_KEY_2": "k2", "ANTHROPIC_API_KEY": "k3"}
    cfg = load_config_text(text[start : text.index("```", start)], env)
    route = cfg.models[0]
    assert [t.priority for t in route.targets] == [0, 1]
    assert cfg.routing.retries.attempts == 3
    assert len(cfg.providers[0].keys) == 2


async def test_count_tokens_fails_over_like_generate_and_passes_over_other_formats() -> None:
    async with upstreams(2) as (down, up):
        down.default_fault = "status:503"
        cfg = config(
            [
                provider("openai", up),
                provider("down", down, "anthropic_messages"),
                provider("claude", up, "anthropic_messages"),
            ],
            [in_turn("claude-ha", ("openai", "gpt-4o-mini"), ("down", "claude-a"), ("claude", "claude-b"))],
        )
        async with running_gateway(cfg) as url, ant(url) as client:
            counted = await client.messages.count_tokens(model="claude-ha", messages=MSG["messages"])  # type: ignore[arg-type]
    assert counted.input_tokens > 0
    # The OpenAI-format target cannot count an Anthropic request: passed over, never called.
    assert [r.path for r in down.requests] == ["/v1/messages/count_tokens"]
    assert [r.path for r in up.requests] == ["/v1/messages/count_tokens"]
    assert up.requests[0].body["model"] == "claude-b"


async def test_count_tokens_without_a_target_of_the_clients_format_is_estimated() -> None:
    async with upstreams(1) as (up,):
        cfg = config([provider("openai", up)], [in_turn("claude-x", ("openai", "gpt-4o-mini"))])
        async with running_gateway(cfg) as url, ant(url) as client:
            raw = await client.messages.with_raw_response.count_tokens(model="claude-x", messages=MSG["messages"])  # type: ignore[arg-type]
    assert (await raw.parse()).input_tokens > 0
    assert "estimate" in raw.headers["x-interlingua-warning"]
    assert up.requests == []
