"""The fake upstream itself, judged by the official SDKs talking to it directly.

If the SDKs parse its answers (JSON and streams), the end-to-end tests that put
the gateway in between compare against a faithful upstream.
"""

from __future__ import annotations

import asyncio

import anthropic
import httpx
import openai
import pytest

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream, parse_fault

WEATHER_OPENAI = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"location": {"type": "string"}},
            "required": ["location"],
        },
    },
}
WEATHER_ANTHROPIC = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


def _oai(up: FakeUpstream) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=up.openai_base_url, api_key=DEMO_UPSTREAM_KEY, max_retries=0)


def _ant(up: FakeUpstream) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=up.anthropic_base_url, api_key=DEMO_UPSTREAM_KEY, max_retries=0)


async def test_fake_upstream_openai_text(up: FakeUpstream) -> None:
    async with _oai(up) as client:
        out = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi there"}]
        )
    assert out.choices[0].message.content == "Hello from the demo upstream! You said: hi there"
    assert out.choices[0].finish_reason == "stop"
    assert out.usage is not None
    assert out.usage.prompt_tokens > 0
    assert out.usage.completion_tokens == 9
    assert up.requests[0].headers["authorization"] == f"Bearer {DEMO_UPSTREAM_KEY}"


async def test_fake_upstream_openai_stream_tools(up: FakeUpstream) -> None:
    async with (
        _oai(up) as client,
        client.chat.completions.stream(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "weather in parallel please"}],
            tools=[
                WEATHER_OPENAI,
                {**WEATHER_OPENAI, "function": {**WEATHER_OPENAI["function"], "name": "get_time"}},
            ],
            stream_options={"include_usage": True},
        ) as stream,
    ):
        final = await stream.get_final_completion()
    calls = final.choices[0].message.tool_calls or []
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert calls[0].function.arguments == '{"location":"Paris"}'
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.usage is not None
    assert final.usage.completion_tokens > 0


async def test_fake_upstream_openai_tool_result_and_reasoning(up: FakeUpstream) -> None:
    async with _oai(up) as client:
        out = await client.chat.completions.create(
            model="gpt-4o-mini",
            reasoning_effort="low",
            messages=[
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": "{}"},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": '{"temp": 21}'},
            ],
            tools=[WEATHER_OPENAI],
        )
    assert out.choices[0].message.content == 'The tool get_weather returned: {"temp": 21}.'
    assert out.choices[0].message.model_extra["reasoning_content"]  # type: ignore[index]
    assert out.usage is not None
    assert out.usage.completion_tokens_details is not None
    assert out.usage.completion_tokens_details.reasoning_tokens > 0


async def test_fake_upstream_openai_rejects_orphan_tool_message(up: FakeUpstream) -> None:
    async with _oai(up) as client:
        with pytest.raises(openai.BadRequestError, match="role 'tool'"):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "tool", "tool_call_id": "x", "content": "1"}]
            )


async def test_fake_upstream_anthropic_stream_thinking_tools(up: FakeUpstream) -> None:
    async with (
        _ant(up) as client,
        client.messages.stream(
            model="claude-sonnet-4-6",
            max_tokens=4096,
            thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": "weather in Paris?"}],
            tools=[WEATHER_ANTHROPIC],
        ) as stream,
    ):
        final = await stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "tool_use"]
    assert final.content[1].input == {"location": "Paris"}  # type: ignore[union-attr]
    assert final.stop_reason == "tool_use"
    assert final.usage.input_tokens > 0
    assert final.usage.output_tokens > 1


async def test_fake_upstream_anthropic_text_limits(up: FakeUpstream) -> None:
    async with _ant(up) as client:
        cut = await client.messages.create(
            model="claude-sonnet-4-6", max_tokens=3, messages=[{"role": "user", "content": "one two three"}]
        )
        stopped = await client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=100,
            stop_sequences=["said"],
            messages=[{"role": "user", "content": "x"}],
        )
        count = await client.messages.count_tokens(
            model="claude-sonnet-4-6",
            messages=[{"role": "user", "content": "hello"}],
            tools=[WEATHER_ANTHROPIC],
        )
    assert cut.stop_reason == "max_tokens"  # type: ignore[union-attr]
    assert cut.content[0].text == "Hello from the"
    assert stopped.stop_reason == "stop_sequence"
    assert stopped.stop_sequence == "said"
    assert count.input_tokens > 10


async def test_fake_upstream_anthropic_requires_tool_results(up: FakeUpstream) -> None:
    async with _ant(up) as client:
        with pytest.raises(anthropic.BadRequestError, match="tool_result"):
            await client.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=10,
                messages=[
                    {"role": "user", "content": "q"},
                    {
                        "role": "assistant",
                        "content": [{"type": "tool_use", "id": "t1", "name": "f", "input": {}}],
                    },
                    {"role": "user", "content": "no result"},
                ],
            )


async def test_fake_upstream_fault_status_429(up: FakeUpstream) -> None:
    up.fault_next("status:429,retry-after:3,message:slow down")
    async with _ant(up) as client:
        with pytest.raises(anthropic.RateLimitError, match="slow down") as info:
            await client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "q"}])
    assert info.value.response.headers["retry-after"] == "3"


async def test_fake_upstream_rejects_wrong_key(up: FakeUpstream) -> None:
    async with openai.AsyncOpenAI(base_url=up.openai_base_url, api_key="wrong", max_retries=0) as client:
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])


async def test_fake_upstream_die_after_truncates(up: FakeUpstream) -> None:
    body = {"model": "m", "stream": True, "messages": [{"role": "user", "content": "q"}]}
    headers = {"authorization": f"Bearer {DEMO_UPSTREAM_KEY}", "x-fake-fault": "die-after:2"}

    async def read_all() -> None:
        async with (
            httpx.AsyncClient() as client,
            client.stream("POST", up.openai_base_url + "/chat/completions", json=body, headers=headers) as r,
        ):
            async for _ in r.aiter_bytes():
                pass

    with pytest.raises(httpx.RemoteProtocolError):
        await read_all()
    await up.wait_idle()
    assert up.requests[0].events_sent == 2
    assert up.requests[0].dropped


async def test_fake_upstream_sees_client_disconnect_during_stall(up: FakeUpstream) -> None:
    body = {"model": "m", "max_tokens": 50, "stream": True, "messages": [{"role": "user", "content": "q"}]}
    headers = {"x-api-key": DEMO_UPSTREAM_KEY, "x-fake-fault": "stall-after:3"}
    async with (
        httpx.AsyncClient() as client,
        client.stream("POST", up.anthropic_base_url + "/v1/messages", json=body, headers=headers) as r,
    ):
        chunks = r.aiter_bytes()
        await anext(chunks)
        await asyncio.sleep(0.05)
        assert up.active == 1
    await up.wait_idle()
    assert up.active == 0
    assert up.requests[0].disconnected
    assert up.requests[0].events_sent == 3


def test_fake_upstream_parse_fault_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        parse_fault("explode:1")
    assert parse_fault("slow:20, die-after:3").cut_at() == 3


async def test_fake_upstream_calls_the_named_tool_with_backquoted_argument(up: FakeUpstream) -> None:
    bash = {
        "name": "Bash",
        "description": "Run a command",
        "input_schema": {
            "type": "object",
            "properties": {"command": {"type": "string"}, "timeout": {"type": "number"}},
            "required": ["command"],
        },
    }
    async with _ant(up) as client:
        out = await client.messages.create(
            model="claude-sonnet-4-6",
            max_tokens=100,
            tools=[WEATHER_ANTHROPIC, bash],  # type: ignore[list-item]
            messages=[
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "<system-reminder>get_weather exists</system-reminder>"},
                        {"type": "text", "text": "Use the Bash tool to run `echo interlingua-ok`"},
                    ],
                }
            ],
        )
    call = out.content[0]
    assert call.type == "tool_use"
    assert call.name == "Bash"
    assert call.input == {"command": "echo interlingua-ok"}
