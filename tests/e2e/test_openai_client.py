"""The official OpenAI SDK through the gateway, to an OpenAI upstream
(passthrough) and to an Anthropic upstream (translated both ways)."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import orjson
import pytest

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.tokens import estimate_input_tokens

from .payloads import CLIENT_KEY, ECHO, OPENAI_ROUTES, OPENAI_TOOLS, PNG_B64, READ_MS, upstream_format

pytestmark = pytest.mark.parametrize("model", OPENAI_ROUTES)


def _last_body(up: FakeUpstream) -> dict[str, Any]:
    body = up.requests[-1].body
    assert body is not None
    return body


async def test_openai_client_plain_text_and_usage(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    out = await oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi there"}])
    assert out.choices[0].message.content == ECHO + "hi there"
    assert out.choices[0].message.role == "assistant"
    assert out.choices[0].finish_reason == "stop"
    assert out.model == model
    assert out.usage is not None
    assert out.usage.prompt_tokens == estimate_input_tokens(_last_body(upstream), upstream_format(model))
    assert out.usage.completion_tokens == 9
    assert out.usage.total_tokens == out.usage.prompt_tokens + 9


async def test_openai_client_stream_text_with_usage(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    stream = await oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ECHO + "stream please"
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == ["stop"]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 9


async def test_openai_client_system_prompt_reaches_upstream(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    await oai.chat.completions.create(
        model=model,
        messages=[{"role": "system", "content": "You are terse."}, {"role": "user", "content": "hi"}],
    )
    body = _last_body(upstream)
    if upstream_format(model) == "anthropic_messages":
        system = body["system"]
        text = system if isinstance(system, str) else "".join(b["text"] for b in system)
        assert text == "You are terse."
        assert [m["role"] for m in body["messages"]] == ["user"]
    else:
        assert body["messages"][0] == {"role": "system", "content": "You are terse."}


async def test_openai_client_multi_turn(oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str) -> None:
    out = await oai.chat.completions.create(
        model=model,
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "answer one"},
            {"role": "user", "content": "second"},
        ],
    )
    assert out.choices[0].message.content == ECHO + "second"
    assert [m["role"] for m in _last_body(upstream)["messages"]] == ["user", "assistant", "user"]


async def test_openai_client_streamed_tool_call(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    async with oai.chat.completions.stream(
        model=model, messages=[{"role": "user", "content": "weather?"}], tools=OPENAI_TOOLS[:1]
    ) as stream:
        arg_deltas = [e async for e in stream if e.type == "tool_calls.function.arguments.delta"]
        final = await stream.get_final_completion()
    assert len(arg_deltas) > 1, "arguments must arrive as several deltas, not one blob"
    calls = final.choices[0].message.tool_calls or []
    assert len(calls) == 1
    assert calls[0].function.name == "get_weather"
    assert orjson.loads(calls[0].function.arguments) == {"location": "Paris"}
    assert calls[0].id
    assert final.choices[0].finish_reason == "tool_calls"


async def test_openai_client_parallel_tool_calls(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    async with oai.chat.completions.stream(
        model=model, messages=[{"role": "user", "content": "both in parallel"}], tools=OPENAI_TOOLS
    ) as stream:
        final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert [orjson.loads(c.function.arguments) for c in calls] == [{"location": "Paris"}, {"timezone": "UTC"}]
    assert len({c.id for c in calls}) == 2


async def test_openai_client_parallel_tool_results(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    calls = [
        {
            "id": "call_a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"location":"Paris"}'},
        },
        {
            "id": "call_b",
            "type": "function",
            "function": {"name": "get_time", "arguments": '{"timezone":"UTC"}'},
        },
    ]
    out = await oai.chat.completions.create(
        model=model,
        tools=OPENAI_TOOLS,
        messages=[
            {"role": "user", "content": "both in parallel"},
            {"role": "assistant", "content": None, "tool_calls": calls},  # type: ignore[typeddict-item]
            {"role": "tool", "tool_call_id": "call_a", "content": "sunny"},
            {"role": "tool", "tool_call_id": "call_b", "content": "12:00"},
        ],
    )
    assert out.choices[0].message.content == "The tool get_time returned: 12:00."
    assert out.choices[0].finish_reason == "stop"


async def test_openai_client_image(oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str) -> None:
    out = await oai.chat.completions.create(
        model=model,
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
                ],
            }
        ],
    )
    assert out.choices[0].message.content == ECHO + "what is this? I see 1 image(s)."


async def test_openai_client_reasoning(oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str) -> None:
    out = await oai.chat.completions.create(
        model=model,
        reasoning_effort="low",
        max_completion_tokens=8000,
        messages=[{"role": "user", "content": "think"}],
    )
    body = _last_body(upstream)
    if upstream_format(model) == "anthropic_messages":
        assert body["thinking"]["type"] == "enabled"
        assert 1024 <= body["thinking"]["budget_tokens"] < body["max_tokens"]
    extra = out.choices[0].message.model_extra or {}
    assert extra.get("reasoning_content", "").startswith("The user wrote 5 characters")
    assert out.choices[0].message.content == ECHO + "think"


async def test_openai_client_stop_reasons(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    short = await oai.chat.completions.create(
        model=model, max_completion_tokens=3, messages=[{"role": "user", "content": "long answer"}]
    )
    assert short.choices[0].finish_reason == "length"
    assert short.choices[0].message.content == "Hello from the"
    stopped = await oai.chat.completions.create(
        model=model, stop=["said"], messages=[{"role": "user", "content": "x"}]
    )
    assert stopped.choices[0].finish_reason == "stop"
    assert stopped.choices[0].message.content == "Hello from the demo upstream! You "


async def test_openai_client_keys_and_request_id(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    raw = await oai.chat.completions.with_raw_response.create(
        model=model, messages=[{"role": "user", "content": "hi"}], extra_headers={"x-request-id": "req-e2e-1"}
    )
    assert raw.headers["x-request-id"] == "req-e2e-1"
    headers = upstream.requests[-1].headers
    assert CLIENT_KEY not in " ".join(headers.values())
    assert DEMO_UPSTREAM_KEY in (headers.get("authorization", "") + headers.get("x-api-key", ""))


async def test_openai_client_rate_limit_keeps_retry_after(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("status:429,retry-after:3,message:Too many demo requests")
    with pytest.raises(openai.RateLimitError, match="Too many demo requests") as info:
        await oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert info.value.response.headers["retry-after"] == "3"


async def test_openai_client_upstream_500(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("status:500,message:demo exploded")
    with pytest.raises(openai.InternalServerError, match="demo exploded"):
        await oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


async def test_openai_client_upstream_dies_mid_stream(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("die-after:4")
    stream = await oai.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass


async def test_openai_client_slow_upstream_times_out(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next(f"slow:{READ_MS * 3}")
    with pytest.raises(openai.APIStatusError) as info:
        await oai.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 504


async def test_openai_client_stalled_stream_times_out(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("stall-after:3")
    stream = await oai.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    with pytest.raises(openai.APIError):
        async for _ in stream:
            pass
    await upstream.wait_idle()
    assert upstream.requests[-1].disconnected, "the gateway must close the stalled upstream request"


async def test_openai_client_disconnect_cancels_upstream(
    oai: openai.AsyncOpenAI, upstream: FakeUpstream, model: str
) -> None:
    upstream.fault_next("pace:100")
    stream = await oai.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "hi"}], stream=True
    )
    async for _ in stream:
        break
    await stream.close()
    await upstream.wait_idle(seconds=3)
    assert upstream.requests[-1].disconnected
    assert upstream.requests[-1].events_sent < 8
    await asyncio.sleep(0.05)
    assert upstream.active == 0
