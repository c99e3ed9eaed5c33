"""Hostile upstreams: arbitrary JSON in plausible places never raises and never breaks the client protocol."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from .judges import ANTHROPIC, OPENAI, StreamErrorEvent, anthropic_final, openai_chunks, translate

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4),
                     st.sampled_from(["text", "tool_use", "text_delta", "input_json_delta", "stop", "end_turn"]))
_json = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["type", "index", "delta", "content_block", "choices", "content",
                                     "tool_calls", "function", "arguments", "id", "name", "usage",
                                     "finish_reason", "message", "error", "text", "partial_json"]), inner,
                    max_size=4)), max_leaves=12)

_OPENAI_EVENT = st.one_of(
    _json,
    st.builds(lambda delta, finish: {"id": "c", "model": "m", "choices": [{"index": 0, "delta": delta,
                                                                           "finish_reason": finish}]},
              _json, st.one_of(st.none(), st.sampled_from(["stop", "tool_calls", "length", "weird"]))),
)
_ANTHROPIC_TYPES = ["message_start", "content_block_start", "content_block_delta", "content_block_stop",
                    "message_delta", "message_stop", "ping", "error"]
_ANTHROPIC_EVENT = st.builds(lambda kind, rest: {**(rest if isinstance(rest, dict) else {}), "type": kind},
                             st.sampled_from(_ANTHROPIC_TYPES), _json)


def _judge(target: str, out: bytes) -> None:
    try:
        if target == ANTHROPIC:
            anthropic_final(out)
        else:
            openai_chunks(out)
    except StreamErrorEvent:
        pass


def _sse(events: list[Any], *, named: bool) -> bytes:
    parts = []
    for event in events:
        name = f"event: {event.get('type')}\n".encode() if named and isinstance(event, dict) else b""
        parts.append(name + b"data: " + orjson.dumps(event) + b"\n\n")
    return b"".join(parts)


@given(events=st.lists(_OPENAI_EVENT, max_size=8), done=st.booleans(), target=st.sampled_from([OPENAI, ANTHROPIC]))
def test_stream_fuzz_openai_upstream(events: list[Any], done: bool, target: str) -> None:
    raw = _sse(events, named=False) + (b"data: [DONE]\n\n" if done else b"")
    _judge(target, translate(raw, OPENAI, target))


@given(events=st.lists(_ANTHROPIC_EVENT, max_size=10), target=st.sampled_from([OPENAI, ANTHROPIC]))
def test_stream_fuzz_anthropic_upstream(events: list[Any], target: str) -> None:
    _judge(target, translate(_sse(events, named=True), ANTHROPIC, target))
