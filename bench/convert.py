"""Micro-benchmark of the translator's hot path (run: ``python bench/convert.py``; nox ``bench-convert``).

Reports microseconds per conversion, best of several ``timeit`` repeats, for:

- a typical request: a system prompt, 10 messages (text, two tool-call rounds
  with their results) and 3 tools with JSON Schemas;
- a typical response: text plus one tool call, with usage;
- a stream: per upstream event (each event fed as it arrives, translator
  created and finished inside the timing, divided by the event count);
- observing a passthrough stream (the relay's :class:`~interlingua.streams.tap.StreamTap`:
  usage, stop reason and completion from the format's own decoder), per event;

in both directions (OpenAI Chat -> Anthropic Messages and back), and prints a
markdown table against the targets (< 100 µs per request, < 10 µs per stream
event). Best-of-N is the usual timeit practice: the minimum is the run least
disturbed by the rest of the machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import timeit
from collections.abc import Callable
from typing import Any

import orjson

from interlingua.streams.tap import StreamTap
from interlingua.translate import Format, StreamTranslator, translate_request, translate_response

OA, AN = Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES
JSON = dict[str, Any]

_SCHEMA = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer", "minimum": 1, "maximum": 10},
    },
    "required": ["city"],
}
_TOOLS = [
    ("get_weather", "Current weather for a city"),
    ("get_forecast", "Forecast"),
    ("search", "Web search"),
]
_ARGS = [{"city": "Paris", "unit": "celsius"}, {"city": "Lyon", "days": 3}]
_PROSE = "The quick brown fox jumps over the lazy dog, and then considers the weather in several cities. " * 2


def openai_request() -> JSON:
    messages: list[JSON] = [{"role": "system", "content": "You are a helpful travel assistant. " * 4}]
    for n, args in enumerate(_ARGS):
        call_id = f"call_{n:024d}"
        messages += [
            {"role": "user", "content": f"Question {n}: {_PROSE}"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": orjson.dumps(args).decode()},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": '{"temperature": 21, "sky": "clear"}'},
            {"role": "assistant", "content": f"Answer {n}: {_PROSE}"},
        ]
    messages += [{"role": "user", "content": [{"type": "text", "text": "And tomorrow?"}]}]
    messages += [{"role": "assistant", "content": "Let me check."}]
    assert len(messages) == 11  # the system prompt + 10 messages
    tools = [
        {"type": "function", "function": {"name": n, "description": d, "parameters": _SCHEMA}}
        for n, d in _TOOLS
    ]
    return {
        "model": "gpt-4.1",
        "messages": messages,
        "tools": tools,
        "tool_choice": "auto",
        "max_completion_tokens": 1024,
        "temperature": 0.5,
    }


def anthropic_request() -> JSON:
    messages: list[JSON] = []
    for n, args in enumerate(_ARGS):
        call_id = f"toolu_{n:024d}"
        result = {
            "type": "tool_result",
            "tool_use_id": call_id,
            "content": '{"temperature": 21, "sky": "clear"}',
        }
        messages += [
            {"role": "user", "content": f"Question {n}: {_PROSE}"}
            if n == 0
            else {"role": "user", "content": [{"type": "text", "text": f"Question {n}: {_PROSE}"}]},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": call_id, "name": "get_weather", "input": args}],
            },
            {"role": "user", "content": [result]},
            {"role": "assistant", "content": [{"type": "text", "text": f"Answer {n}: {_PROSE}"}]},
        ]
    messages += [
        {"role": "user", "content": "And tomorrow?"},
        {"role": "assistant", "content": "Let me check."},
    ]
    assert len(messages) == 10
    tools = [{"name": n, "description": d, "input_schema": _SCHEMA} for n, d in _TOOLS]
    return {
        "model": "claude-sonnet-4-5",
        "system": [
            {
                "type": "text",
                "text": "You are a helpful travel assistant. " * 4,
                "cache_control": {"type": "ephemeral"},
            }
        ],
        "messages": messages,
        "tools": tools,
        "tool_choice": {"type": "auto"},
        "max_tokens": 1024,
        "temperature": 0.5,
    }


def openai_response() -> JSON:
    call = {
        "id": "call_abc",
        "type": "function",
        "function": {"name": "get_weather", "arguments": orjson.dumps(_ARGS[0]).decode()},
    }
    message = {"role": "assistant", "content": _PROSE, "tool_calls": [call], "refusal": None}
    usage = {
        "prompt_tokens": 812,
        "completion_tokens": 64,
        "total_tokens": 876,
        "prompt_tokens_details": {"cached_tokens": 512},
    }
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls", "logprobs": None}
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_750_000_000,
        "model": "gpt-4.1",
        "choices": [choice],
        "usage": usage,
    }


def anthropic_response() -> JSON:
    content = [
        {"type": "text", "text": _PROSE},
        {"type": "tool_use", "id": "toolu_abc", "name": "get_weather", "input": _ARGS[0]},
    ]
    usage = {
        "input_tokens": 300,
        "cache_read_input_tokens": 512,
        "cache_creation_input_tokens": 0,
        "output_tokens": 64,
    }
    return {
        "id": "msg_bench",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": content,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage,
    }


def _words(text: str) -> list[str]:
    return [w + " " for w in text.split()]


def openai_stream() -> list[bytes]:
    """One upstream chunk per list item: role, ~30 text deltas, a tool call in 6 pieces, finish, usage, [DONE]."""
    head = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1_750_000_000,
        "model": "gpt-4.1",
    }

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        return (
            b"data: "
            + orjson.dumps({**head, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
            + b"\n\n"
        )

    arguments = orjson.dumps(_ARGS[0]).decode()
    pieces = [arguments[i : i + 6] for i in range(0, len(arguments), 6)]
    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": w}) for w in _words(_PROSE)]
    out.append(
        chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": "call_abc",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": ""},
                    }
                ]
            }
        )
    )
    out += [chunk({"tool_calls": [{"index": 0, "function": {"arguments": p}}]}) for p in pieces]
    out.append(chunk({}, "tool_calls"))
    usage = {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876}
    out.append(b"data: " + orjson.dumps({**head, "choices": [], "usage": usage}) + b"\n\n")
    out.append(b"data: [DONE]\n\n")
    return out


def anthropic_stream() -> list[bytes]:
    def event(payload: JSON) -> bytes:
        return b"event: " + str(payload["type"]).encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"

    start = {
        **anthropic_response(),
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": 300, "output_tokens": 1},
    }
    arguments = orjson.dumps(_ARGS[0]).decode()
    out = [event({"type": "message_start", "message": start})]
    out.append(
        event({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    )
    out.append(event({"type": "ping"}))
    out += [
        event({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}})
        for w in _words(_PROSE)
    ]
    out.append(event({"type": "content_block_stop", "index": 0}))
    tool = {"type": "tool_use", "id": "toolu_abc", "name": "get_weather", "input": {}}
    out.append(event({"type": "content_block_start", "index": 1, "content_block": tool}))
    out += [
        event(
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": arguments[i : i + 6]},
            }
        )
        for i in range(0, len(arguments), 6)
    ]
    out.append(event({"type": "content_block_stop", "index": 1}))
    out.append(
        event(
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                "usage": {"output_tokens": 64},
            }
        )
    )
    out.append(event({"type": "message_stop"}))
    return out


def _stream_run(events: list[bytes], source: Format, target: Format) -> Callable[[], None]:
    def run() -> None:
        translator = StreamTranslator(source=source, target=target)
        for event in events:
            translator.feed(event)
        translator.finish()

    return run


def _tap_run(events: list[bytes], fmt: Format) -> Callable[[], None]:
    """Observing a passthrough stream (usage, stop reason, completion), as the relay does."""

    def run() -> None:
        tap = StreamTap(fmt)
        for event in events:
            tap.feed(event)
        tap.finish()
        assert tap.complete

    return run


def best_us(fn: Callable[[], object], *, repeat: int, per: int = 1) -> float:
    """Best-of-``repeat`` microseconds per call (divided by ``per`` events), ``number`` auto-ranged to ~0.2 s."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number / per * 1e6


def measurements(repeat: int) -> list[tuple[str, str, float, float]]:
    rows: list[tuple[str, str, float, float]] = []
    oa_req, an_req, oa_resp, an_resp = (
        openai_request(),
        anthropic_request(),
        openai_response(),
        anthropic_response(),
    )
    cases: list[tuple[str, Format, Format, Callable[[], object], int, float]] = [
        (
            "request (10 messages, 3 tools)",
            OA,
            AN,
            lambda: translate_request(oa_req, source=OA, target=AN),
            1,
            100,
        ),
        (
            "request (10 messages, 3 tools)",
            AN,
            OA,
            lambda: translate_request(an_req, source=AN, target=OA),
            1,
            100,
        ),
        (
            "response (text + tool call)",
            OA,
            AN,
            lambda: translate_response(oa_resp, source=OA, target=AN),
            1,
            100,
        ),
        (
            "response (text + tool call)",
            AN,
            OA,
            lambda: translate_response(an_resp, source=AN, target=OA),
            1,
            100,
        ),
    ]
    oa_stream, an_stream = openai_stream(), anthropic_stream()
    cases.append(("stream, per event", OA, AN, _stream_run(oa_stream, OA, AN), len(oa_stream), 10))
    cases.append(("stream, per event", AN, OA, _stream_run(an_stream, AN, OA), len(an_stream), 10))
    cases.append(("passthrough tap, per event", OA, OA, _tap_run(oa_stream, OA), len(oa_stream), 10))
    cases.append(("passthrough tap, per event", AN, AN, _tap_run(an_stream, AN), len(an_stream), 10))
    for name, source, target, fn, per, budget in cases:
        fn()  # a conversion that raises should fail loudly before it is timed
        rows.append((name, f"{source.value} -> {target.value}", best_us(fn, repeat=repeat, per=per), budget))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--repeat", type=int, default=7, help="timeit repeats; the best is reported (default 7)"
    )
    args = parser.parse_args(argv)
    rows = measurements(args.repeat)
    print(
        f"Python {platform.python_version()} on {platform.machine()} ({platform.system()}), best of {args.repeat}\n"
    )
    print("| conversion | direction | µs | target µs | |")
    print("|---|---|---:|---:|---|")
    for name, direction, us, budget in rows:
        print(f"| {name} | {direction} | {us:.1f} | < {budget:g} | {'ok' if us < budget else 'OVER'} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
