"""Anthropic Messages upstream streams, translated for OpenAI (and Anthropic) clients."""

from __future__ import annotations

import json

import pytest

from interlingua.errors import UpstreamUnavailable
from interlingua.streams import StreamTranslator

from .judges import (
    ANTHROPIC,
    OPENAI,
    StreamErrorEvent,
    an_block,
    an_delta,
    an_message_delta,
    an_start,
    an_stop,
    an_text_block,
    an_tool_block,
    anthropic_final,
    anthropic_sse,
    openai_chunks,
    openai_final,
    translate,
)

SIGNATURE = "EqQBCkYIBxgCKkA" + "x" * 40


def _thinking_block(index: int) -> list[dict[str, object]]:
    return [
        an_block(index, {"type": "thinking", "thinking": "", "signature": ""}),
        an_delta(index, {"type": "thinking_delta", "thinking": "First, "}),
        an_delta(index, {"type": "thinking_delta", "thinking": "think."}),
        an_delta(index, {"type": "signature_delta", "signature": SIGNATURE}),
        an_stop(index),
    ]


def _to_openai(raw: bytes, **kwargs: object) -> bytes:
    return translate(raw, ANTHROPIC, OPENAI, **kwargs)


def test_stream_anthropic_text_with_usage_on_start_and_delta() -> None:
    raw = anthropic_sse([
        an_start(input_tokens=5, cache_read_input_tokens=100, cache_creation_input_tokens=20),
        {"type": "ping"},
        *an_text_block(0, "Hello", ", world"),
        an_message_delta("end_turn", 42),
    ])
    completion = openai_final(_to_openai(raw))
    assert completion.choices[0].message.content == "Hello, world"
    assert completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (125, 42, 167)
    assert usage.prompt_tokens_details is not None
    assert usage.prompt_tokens_details.cached_tokens == 100
    # Same format: the cache split survives the IR.
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens,
            message.usage.cache_creation_input_tokens, message.usage.output_tokens) == (5, 100, 20, 42)


def test_stream_anthropic_usage_only_on_message_delta_wins_per_field() -> None:
    raw = anthropic_sse([an_start(input_tokens=0), *an_text_block(0, "x"),
                         an_message_delta("end_turn", 9, input_tokens=31)])
    usage = openai_final(_to_openai(raw)).usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (31, 9)


def test_stream_anthropic_tool_use_split_arguments_and_parallel_calls() -> None:
    raw = anthropic_sse([
        an_start(),
        *an_text_block(0, "Let me check."),
        *an_tool_block(1, "toolu_1", "weather", "", '{"ci', 'ty": "Pa', 'ris"}'),
        *an_tool_block(2, "toolu_2", "weather", '{"city": ', '"Tokyo"}'),
        an_message_delta("tool_use", 30),
    ])
    completion = openai_final(_to_openai(raw))
    message = completion.choices[0].message
    assert message.content == "Let me check."
    calls = message.tool_calls or []
    assert [(c.id, c.function.name, json.loads(c.function.arguments)) for c in calls] == [  # type: ignore[union-attr]
        ("call_ilg_toolu_1", "weather", {"city": "Paris"}), ("call_ilg_toolu_2", "weather", {"city": "Tokyo"})]
    assert completion.choices[0].finish_reason == "tool_calls"
    chunks = openai_chunks(_to_openai(raw))
    firsts = [c["choices"][0]["delta"]["tool_calls"][0] for c in chunks
              if c["choices"] and "id" in (c["choices"][0]["delta"].get("tool_calls") or [{}])[0]]
    assert [(f["index"], f["type"], f["function"]["arguments"]) for f in firsts] == [
        (0, "function", ""), (1, "function", "")]


def test_stream_anthropic_thinking_with_signature_then_text() -> None:
    raw = anthropic_sse([an_start(), *_thinking_block(0), *an_text_block(1, "Done."),
                         an_message_delta("end_turn", 12)])
    out = _to_openai(raw)
    chunks = openai_chunks(out)
    reasoning = "".join(c["choices"][0]["delta"].get("reasoning_content", "") for c in chunks if c["choices"])
    assert reasoning == "First, think."
    assert SIGNATURE.encode() not in out  # a signature only goes back to the kind of provider that issued it
    assert openai_final(out).choices[0].message.content == "Done."
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert message.content[0].type == "thinking"
    assert (message.content[0].thinking, message.content[0].signature) == ("First, think.", SIGNATURE)


def test_stream_anthropic_redacted_thinking_kept_for_anthropic_dropped_for_openai() -> None:
    raw = anthropic_sse([
        an_start(),
        an_block(0, {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"}), an_stop(0),
        *an_text_block(1, "Hi."),
        an_message_delta("end_turn", 3),
    ])
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert message.content[0].type == "redacted_thinking"
    assert message.content[0].data == "EmwKAhgBEgy3va3pzix/LafPsn4a"
    assert openai_final(_to_openai(raw)).choices[0].message.content == "Hi."


def test_stream_anthropic_block_indices_are_remapped_from_zero() -> None:
    """An upstream whose indices skip (e.g. a dropped server block) still yields 0, 1, ..."""
    raw = anthropic_sse([an_start(), *an_text_block(3, "a"), *an_tool_block(7, "t", "f", "{}"),
                         an_message_delta("tool_use", 1)])
    verdict = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC))
    assert [e["index"] for e in verdict.events if e["type"] == "content_block_start"] == [0, 1]


def test_stream_anthropic_tool_input_given_at_start_becomes_a_delta() -> None:
    """Some Anthropic-compatible servers put the whole input in content_block_start."""
    raw = anthropic_sse([an_start(), an_block(0, {"type": "tool_use", "id": "t", "name": "f", "input": {"q": 1}}),
                         an_stop(0), an_message_delta("tool_use", 1)])
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert message.content[0].input == {"q": 1}  # type: ignore[union-attr]
    calls = openai_final(_to_openai(raw)).choices[0].message.tool_calls or []
    assert json.loads(calls[0].function.arguments) == {"q": 1}  # type: ignore[union-attr]


def test_stream_anthropic_error_event_becomes_openai_error_object() -> None:
    raw = anthropic_sse([an_start(), *an_text_block(0, "par")[:2],
                         {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}],
                        stop=False)
    out = _to_openai(raw)
    with pytest.raises(StreamErrorEvent) as caught:
        openai_chunks(out)
    assert caught.value.body["error"]["message"] == "Overloaded"
    assert b"[DONE]" not in out
    with pytest.raises(StreamErrorEvent) as same:
        anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC))
    assert same.value.body["error"]["type"] == "overloaded_error"
    assert same.value.open_blocks == []


def test_stream_anthropic_ending_before_message_stop_is_an_error_unless_stopped() -> None:
    truncated = anthropic_sse([an_start(), *an_text_block(0, "par")[:2]], stop=False)
    with pytest.raises(StreamErrorEvent):
        openai_chunks(_to_openai(truncated))
    with pytest.raises(StreamErrorEvent) as caught:
        anthropic_final(translate(truncated, ANTHROPIC, ANTHROPIC))
    assert caught.value.open_blocks == []
    stopped = anthropic_sse([an_start(), *an_text_block(0, "ok"), an_message_delta("end_turn", 1)], stop=False)
    assert openai_final(_to_openai(stopped)).choices[0].message.content == "ok"


def test_stream_anthropic_stop_reasons_map_both_ways() -> None:
    for wire, openai_reason in [("max_tokens", "length"), ("stop_sequence", "stop"), ("refusal", "content_filter"),
                                ("model_context_window_exceeded", "length"), ("pause_turn", "stop")]:
        raw = anthropic_sse([an_start(), *an_text_block(0, "x"), an_message_delta(wire, 1, sequence=None)])
        assert openai_final(_to_openai(raw)).choices[0].finish_reason == openai_reason
        assert anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message.stop_reason == wire


def test_stream_anthropic_stop_sequence_survives_same_format() -> None:
    raw = anthropic_sse([an_start(), *an_text_block(0, "x"), an_message_delta("stop_sequence", 1, sequence="END")])
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert (message.stop_reason, message.stop_sequence) == ("stop_sequence", "END")


def test_stream_anthropic_unknown_blocks_pass_to_anthropic_only() -> None:
    """Server tool blocks have no OpenAI counterpart: kept for Anthropic clients, dropped for OpenAI."""
    server_use = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    result = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
    raw = anthropic_sse([
        an_start(),
        an_block(0, server_use), an_delta(0, {"type": "input_json_delta", "partial_json": '{"query": "x"}'}),
        an_stop(0),
        an_block(1, result), an_stop(1),
        *an_text_block(2, "Found it."),
        an_message_delta("end_turn", 5),
    ])
    message = anthropic_final(translate(raw, ANTHROPIC, ANTHROPIC)).message
    assert [b.type for b in message.content] == ["server_tool_use", "web_search_tool_result", "text"]
    assert message.content[0].input == {"query": "x"}  # type: ignore[union-attr]
    completion = openai_final(_to_openai(raw))
    assert completion.choices[0].message.content == "Found it."
    assert not completion.choices[0].message.tool_calls


def test_stream_anthropic_message_start_is_emitted_at_once_even_before_thinking() -> None:
    translator = StreamTranslator(source=ANTHROPIC, target=ANTHROPIC)  # type: ignore[arg-type]
    first = translator.feed(anthropic_sse([an_start()], stop=False))
    assert first.startswith(b"event: message_start")
    assert translator.feed(anthropic_sse(_thinking_block(0)[:2], stop=False)).count(b"event: ") == 2


def test_stream_anthropic_fail_after_end_adds_nothing() -> None:
    translator = StreamTranslator(source=ANTHROPIC, target=OPENAI)  # type: ignore[arg-type]
    out = translator.feed(anthropic_sse([an_start(), *an_text_block(0, "ok"), an_message_delta("end_turn", 1)]))
    assert out.endswith(b"data: [DONE]\n\n")
    assert translator.fail(UpstreamUnavailable("gone")) == b""
