"""The official Anthropic SDK through the gateway, to an Anthropic upstream
(passthrough) and to an OpenAI upstream (translated both ways)."""

from __future__ import annotations

import asyncio
from typing import Any

import anthropic
import pytest

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.fake_upstream.counting import COUNT_OFFSET
from interlingua.server.tokens import estimate_input_tokens

from .payloads import ANTHROPIC_ROUTES, ANTHROPIC_TOOLS, CLIENT_KEY, ECHO, PNG_B64, READ_MS, upstream_format

pytestmark = pytest.mark.parametrize("model", ANTHROPIC_ROUTES)
USER: Any = [{"role": "user", "content": "hi there"}]


def _last_body(up: FakeUpstream) -> dict[str, Any]:
    body = up.requests[-1].body
    assert body is not None
    return body


async def test_anthropic_client_plain_text_and_usage(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    out = await ant.messages.create(model=model, max_tokens=100, messages=USER)
    assert [b.type for b in out.content] == ["text"]
    assert out.content[0].text == ECHO + "hi there"  # type: ignore[union-attr]
    assert out.stop_reason == "end_turn"
    assert out.role == "assistant"
    assert out.model == model
    assert out.usage.input_tokens == estimate_input_tokens(_last_body(upstream), upstream_format(model))
    assert out.usage.output_tokens == 9


async def test_anthropic_client_stream_text_events(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    async with ant.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
        kinds = [event.type async for event in stream]
        final = await stream.get_final_message()
    assert kinds[0] == "message_start"
    assert kinds[-1] == "message_stop"
    assert "content_block_start" in kinds
    assert kinds.count("content_block_start") == kinds.count("content_block_stop")
    assert final.content[0].text == ECHO + "hi there"  # type: ignore[union-attr]
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens == 9
    assert final.usage.input_tokens > 0


async def test_anthropic_client_system_prompt_reaches_upstream(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    system: Any = [{"type": "text", "text": "You are terse.", "cache_control": {"type": "ephemeral"}}]
    await ant.messages.create(model=model, max_tokens=50, system=system, messages=USER)
    body = _last_body(upstream)
    if upstream_format(model) == "openai_chat":
        first = body["messages"][0]
        assert first["role"] in ("system", "developer")
        content = first["content"]
        text = content if isinstance(content, str) else "".join(p["text"] for p in content)
        assert text == "You are terse."
    else:
        assert body["system"] == system


async def test_anthropic_client_multi_turn(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    out = await ant.messages.create(
        model=model,
        max_tokens=100,
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "answer one"},
            {"role": "user", "content": "second"},
        ],
    )
    assert out.content[0].text == ECHO + "second"  # type: ignore[union-attr]
    assert [m["role"] for m in _last_body(upstream)["messages"]] == ["user", "assistant", "user"]


async def test_anthropic_client_streamed_tool_use(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    async with ant.messages.stream(
        model=model,
        max_tokens=500,
        messages=[{"role": "user", "content": "weather?"}],
        tools=ANTHROPIC_TOOLS[:1],
    ) as stream:
        json_deltas = [e async for e in stream if e.type == "input_json"]
        final = await stream.get_final_message()
    assert len(json_deltas) > 1, "tool input must stream as several input_json_delta events"
    tools = [b for b in final.content if b.type == "tool_use"]
    assert len(tools) == 1
    assert tools[0].name == "get_weather"
    assert tools[0].input == {"location": "Paris"}
    assert tools[0].id
    assert final.stop_reason == "tool_use"


async def test_anthropic_client_parallel_tool_use(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    async with ant.messages.stream(
        model=model,
        max_tokens=500,
        messages=[{"role": "user", "content": "both in parallel"}],
        tools=ANTHROPIC_TOOLS,
    ) as stream:
        final = await stream.get_final_message()
    tools = [b for b in final.content if b.type == "tool_use"]
    assert [(t.name, t.input) for t in tools] == [
        ("get_weather", {"location": "Paris"}),
        ("get_time", {"timezone": "UTC"}),
    ]
    assert len({t.id for t in tools}) == 2


async def test_anthropic_client_parallel_tool_results(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    out = await ant.messages.create(
        model=model,
        max_tokens=100,
        tools=ANTHROPIC_TOOLS,
        messages=[
            {"role": "user", "content": "both in parallel"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "toolu_a",
                        "name": "get_weather",
                        "input": {"location": "Paris"},
                    },
                    {"type": "tool_use", "id": "toolu_b", "name": "get_time", "input": {"timezone": "UTC"}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_a", "content": "sunny"},
                    {
                        "type": "tool_result",
                        "tool_use_id": "toolu_b",
                        "content": [{"type": "text", "text": "12:00"}],
                    },
                ],
            },
        ],
    )
    assert out.content[0].text == "The tool get_time returned: 12:00."  # type: ignore[union-attr]
    assert out.stop_reason == "end_turn"


async def test_anthropic_client_image(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    image: Any = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}}
    out = await ant.messages.create(
        model=model,
        max_tokens=100,
        messages=[{"role": "user", "content": [{"type": "text", "text": "what is this?"}, image]}],
    )
    assert out.content[0].text == ECHO + "what is this? I see 1 image(s)."  # type: ignore[union-attr]


async def test_anthropic_client_thinking(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    async with ant.messages.stream(
        model=model,
        max_tokens=8000,
        thinking={"type": "enabled", "budget_tokens": 2000},
        messages=[{"role": "user", "content": "think"}],
    ) as stream:
        final = await stream.get_final_message()
    if upstream_format(model) == "openai_chat":
        assert _last_body(upstream).get("reasoning_effort") == "low"
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking.startswith("The user wrote 5 characters")  # type: ignore[union-attr]
    assert final.content[1].text == ECHO + "think"  # type: ignore[union-attr]


async def test_anthropic_client_thinking_not_streamed(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    out = await ant.messages.create(
        model=model,
        max_tokens=8000,
        thinking={"type": "enabled", "budget_tokens": 2000},
        messages=[{"role": "user", "content": "think"}],
    )
    assert [b.type for b in out.content] == ["thinking", "text"]


async def test_anthropic_client_stop_reasons(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    short = await ant.messages.create(model=model, max_tokens=3, messages=USER)
    assert short.stop_reason == "max_tokens"
    assert short.content[0].text == "Hello from the"  # type: ignore[union-attr]
    stopped = await ant.messages.create(model=model, max_tokens=100, stop_sequences=["said"], messages=USER)
    assert stopped.content[0].text == "Hello from the demo upstream! You "  # type: ignore[union-attr]
    if upstream_format(model) == "anthropic_messages":
        assert stopped.stop_reason == "stop_sequence"
        assert stopped.stop_sequence == "said"
    else:  # OpenAI's finish_reason "stop" does not tell a stop sequence from a natural end
        assert stopped.stop_reason in ("end_turn", "stop_sequence")


async def test_anthropic_client_count_tokens(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    body: Any = {"model": model, "messages": USER, "tools": ANTHROPIC_TOOLS, "system": "Be brief."}
    count = await ant.messages.count_tokens(**body)
    estimate = estimate_input_tokens(body, "anthropic_messages")
    if upstream_format(model) == "anthropic_messages":  # counted by the upstream, as sent
        assert count.input_tokens == COUNT_OFFSET + estimate
    else:  # OpenAI Chat has no counting endpoint
        assert count.input_tokens == estimate


async def test_anthropic_client_keys_and_request_id(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    raw = await ant.messages.with_raw_response.create(
        model=model, max_tokens=10, messages=USER, extra_headers={"x-request-id": "req-e2e-2"}
    )
    assert raw.headers["x-request-id"] == "req-e2e-2"
    headers = upstream.requests[-1].headers
    assert CLIENT_KEY not in " ".join(headers.values())
    assert DEMO_UPSTREAM_KEY in (headers.get("authorization", "") + headers.get("x-api-key", ""))


async def test_anthropic_client_rate_limit_keeps_retry_after(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("status:429,retry-after:3,message:Too many demo requests")
    with pytest.raises(anthropic.RateLimitError, match="Too many demo requests") as info:
        await ant.messages.create(model=model, max_tokens=10, messages=USER)
    assert info.value.response.headers["retry-after"] == "3"
    assert info.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


async def test_anthropic_client_upstream_400_names_field(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("status:400,message:messages.0.content: demo says no")
    with pytest.raises(anthropic.BadRequestError, match="demo says no"):
        await ant.messages.create(model=model, max_tokens=10, messages=USER)


async def test_anthropic_client_upstream_dies_mid_stream(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("die-after:4")
    with pytest.raises(anthropic.APIError):
        async with ant.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
            await stream.get_final_message()


async def test_anthropic_client_upstream_error_event_mid_stream(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("error-after:4,message:demo overloaded mid-stream")
    with pytest.raises(anthropic.APIError, match="demo overloaded mid-stream"):
        async with ant.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
            await stream.get_final_message()


async def test_anthropic_client_slow_upstream_times_out(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next(f"slow:{READ_MS * 3}")
    with pytest.raises(anthropic.APIStatusError) as info:
        await ant.messages.create(model=model, max_tokens=10, messages=USER)
    assert info.value.status_code == 504


async def test_anthropic_client_stalled_stream_times_out(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("stall-after:3")
    with pytest.raises(anthropic.APIError):
        async with ant.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
            await stream.get_final_message()
    await upstream.wait_idle()
    assert upstream.requests[-1].disconnected, "the gateway must close the stalled upstream request"


async def test_anthropic_client_disconnect_cancels_upstream(
    ant: anthropic.AsyncAnthropic, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("pace:100")
    async with ant.messages.stream(model=model, max_tokens=100, messages=USER) as stream:
        async for _ in stream:
            break
    await upstream.wait_idle(seconds=3)
    assert upstream.requests[-1].disconnected
    assert upstream.requests[-1].events_sent < 8
    await asyncio.sleep(0.05)
    assert upstream.active == 0
