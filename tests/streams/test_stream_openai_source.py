"""OpenAI Chat Completions upstream streams, translated for Anthropic (and OpenAI) clients."""

from __future__ import annotations

import json

import pytest

from interlingua.errors import UpstreamTimeout
from interlingua.streams import StreamTranslator
from interlingua.translate import Policy

from .judges import (
    ANTHROPIC,
    OPENAI,
    StreamErrorEvent,
    anthropic_final,
    oa_chunk,
    oa_tool,
    oa_usage,
    openai_final,
    openai_sse,
    translate,
)

ROLE = oa_chunk({"role": "assistant", "content": ""})


def _to_anthropic(raw: bytes, **kwargs: object) -> bytes:
    return translate(raw, OPENAI, ANTHROPIC, **kwargs)


def test_stream_openai_text_becomes_anthropic_text_with_usage() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "Hel"}), oa_chunk({"content": "lo ✓"}),
                      oa_chunk(finish="stop"), oa_usage(12, 3)])
    message = anthropic_final(_to_anthropic(raw)).message
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text == "Hello ✓"  # type: ignore[union-attr]
    assert message.stop_reason == "end_turn"
    assert (message.usage.input_tokens, message.usage.output_tokens) == (12, 3)


def test_stream_openai_tool_arguments_split_across_many_chunks_arrive_whole() -> None:
    arguments = json.dumps({"city": "Paris", "days": [1, 2, 3], "note": "ünïcode"})
    pieces = [oa_chunk(oa_tool(0, args=ch)) for ch in arguments]
    raw = openai_sse([ROLE, oa_chunk(oa_tool(0, id="call_1", name="weather")), *pieces,
                      oa_chunk(finish="tool_calls"), oa_usage(5, 9)])
    out = _to_anthropic(raw)
    message = anthropic_final(out).message
    block = message.content[0]
    assert block.type == "tool_use"
    assert (block.id, block.name, block.input) == ("toolu_ilg_call_1", "weather", json.loads(arguments))
    assert message.stop_reason == "tool_use"
    assert out.count(b"input_json_delta") == len(arguments)


def test_stream_openai_parallel_tool_calls_each_become_a_block() -> None:
    chunks = [ROLE, oa_chunk({"content": "Checking."})]
    for i, city in enumerate(["Paris", "Tokyo", "Lima"]):
        chunks.append(oa_chunk(oa_tool(i, id=f"call_{i}", name="weather")))
        chunks += [oa_chunk(oa_tool(i, args=p)) for p in ('{"ci', 'ty": "', city, '"}')]
    raw = openai_sse([*chunks, oa_chunk(finish="tool_calls")])
    message = anthropic_final(_to_anthropic(raw)).message
    assert [b.type for b in message.content] == ["text", "tool_use", "tool_use", "tool_use"]
    assert [b.input for b in message.content[1:]] == [{"city": c} for c in ["Paris", "Tokyo", "Lima"]]  # type: ignore[union-attr]
    assert [b.id for b in message.content[1:]] == ["toolu_ilg_call_0", "toolu_ilg_call_1", "toolu_ilg_call_2"]  # type: ignore[union-attr]


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_stream_openai_reasoning_then_text_becomes_thinking_then_text(field: str) -> None:
    raw = openai_sse([ROLE, oa_chunk({field: "Let me "}), oa_chunk({field: "think."}),
                      oa_chunk({"content": "Answer."}), oa_chunk(finish="stop")])
    message = anthropic_final(_to_anthropic(raw, policy=Policy(reasoning_field=field))).message
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == "Let me think."  # type: ignore[union-attr]
    assert message.content[1].text == "Answer."  # type: ignore[union-attr]


def test_stream_openai_reasoning_field_follows_policy_on_output() -> None:
    raw = openai_sse([ROLE, oa_chunk({"reasoning_content": "hmm"}), oa_chunk({"content": "ok"}),
                      oa_chunk(finish="stop")])
    out = translate(raw, OPENAI, OPENAI, policy=Policy(reasoning_field="reasoning"))
    assert b'"reasoning":"hmm"' in out
    assert b"reasoning_content" not in out


def test_stream_openai_usage_after_finish_chunk_holds_only_message_delta() -> None:
    translator = StreamTranslator(source=OPENAI, target=ANTHROPIC)  # type: ignore[arg-type]
    first = translator.feed(openai_sse([ROLE], done=False))
    assert first.startswith(b"event: message_start"), "message_start must not be held back"
    text = translator.feed(openai_sse([oa_chunk({"content": "Hi"})], done=False))
    assert b"text_delta" in text
    at_finish = translator.feed(openai_sse([oa_chunk(finish="stop")], done=False))
    assert b"content_block_stop" in at_finish
    assert b"message_delta" not in at_finish
    tail = translator.feed(openai_sse([oa_usage(40, 2, cached=30)]))
    assert tail.startswith(b"event: message_delta")
    message = anthropic_final(first + text + at_finish + tail + translator.finish()).message
    # Anthropic counts cache reads outside input_tokens.
    assert (message.usage.input_tokens, message.usage.cache_read_input_tokens) == (10, 30)
    assert message.usage.output_tokens == 2
    assert translator.usage == {"input_tokens": 40, "output_tokens": 2, "cache_read_tokens": 30}


def test_stream_openai_usage_on_the_finish_chunk_itself_is_kept() -> None:
    usage = oa_usage(7, 1)["usage"]
    raw = openai_sse([ROLE, oa_chunk({"content": "x"}), oa_chunk(finish="length", usage=usage)])
    message = anthropic_final(_to_anthropic(raw)).message
    assert (message.usage.input_tokens, message.usage.output_tokens, message.stop_reason) == (7, 1, "max_tokens")


def test_stream_openai_late_arguments_from_openrouter_are_not_lost() -> None:
    """OpenRouter: tool calls start with empty arguments, which arrive only at the end."""
    raw = openai_sse([
        ROLE,
        oa_chunk(oa_tool(0, id="call_a", name="read")),
        oa_chunk(oa_tool(1, id="call_b", name="write")),
        oa_chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"path": "a.txt"}'}},
                                 {"index": 1, "function": {"arguments": '{"path": "b.txt"}'}}]},
                 finish="tool_calls"),
    ])
    out = _to_anthropic(raw)
    message = anthropic_final(out).message
    assert [(b.id, b.input) for b in message.content] == [  # type: ignore[union-attr]
        ("toolu_ilg_call_a", {"path": "a.txt"}), ("toolu_ilg_call_b", {"path": "b.txt"})]
    completion = openai_final(translate(raw, OPENAI, OPENAI), expect_usage=True)
    calls = completion.choices[0].message.tool_calls or []
    assert [c.function.arguments for c in calls] == ['{"path": "a.txt"}', '{"path": "b.txt"}']  # type: ignore[union-attr]


def test_stream_openai_ending_early_closes_blocks_then_sends_anthropic_error() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "partial"}), oa_chunk(oa_tool(0, id="c", name="f", args='{"a'))],
                     done=False)
    out = _to_anthropic(raw)
    with pytest.raises(StreamErrorEvent) as caught:
        anthropic_final(out)
    assert caught.value.open_blocks == []
    assert out.count(b"event: content_block_start") == out.count(b"event: content_block_stop") == 2
    assert out.endswith(b"\n\n")
    assert b"event: error" in out
    assert b"message_stop" not in out


def test_stream_openai_error_object_mid_stream_becomes_anthropic_error_event() -> None:
    error = json.dumps({"error": {"message": "Rate limit reached", "type": "rate_limit_error",
                                  "code": "rate_limit_exceeded"}})
    raw = openai_sse([ROLE, oa_chunk({"content": "Hi"}), error], done=False)
    out = _to_anthropic(raw)
    with pytest.raises(StreamErrorEvent) as caught:
        anthropic_final(out)
    assert caught.value.body["error"] == {"type": "rate_limit_error", "message": "Rate limit reached"}
    assert caught.value.open_blocks == []
    with pytest.raises(StreamErrorEvent) as same_format:
        openai_final(translate(raw, OPENAI, OPENAI))
    assert same_format.value.body["error"]["message"] == "Rate limit reached"


def test_stream_openai_finish_without_done_is_a_normal_end() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "ok"}), oa_chunk(finish="stop")], done=False)
    assert anthropic_final(_to_anthropic(raw)).message.stop_reason == "end_turn"


def test_stream_openai_framing_crlf_comments_padding_and_no_space() -> None:
    chunks = [ROLE, oa_chunk({"content": "a"}), oa_chunk({"content": "b"}), oa_chunk(finish="stop")]
    lines = [b": keep-alive", b""]
    for i, chunk in enumerate(chunks):
        payload = json.dumps(chunk).encode()
        lines += [b"data:" + payload if i % 2 else b"data:   " + payload + b"   ", b": ping", b""]
    raw = b"\r\n".join([*lines, b"data: [DONE]", b"", b""])
    message = anthropic_final(_to_anthropic(raw)).message
    assert message.content[0].text == "ab"  # type: ignore[union-attr]
    lone_cr = raw.replace(b"\r\n", b"\r")
    assert _to_anthropic(lone_cr) == _to_anthropic(raw)


def test_stream_openai_refusal_reaches_anthropic_as_text_and_openai_as_refusal() -> None:
    raw = openai_sse([ROLE, oa_chunk({"refusal": "I can't help."}), oa_chunk(finish="content_filter")])
    message = anthropic_final(_to_anthropic(raw)).message
    assert (message.content[0].text, message.stop_reason) == ("I can't help.", "refusal")  # type: ignore[union-attr]
    completion = openai_final(translate(raw, OPENAI, OPENAI))
    assert completion.choices[0].message.refusal == "I can't help."
    assert completion.choices[0].finish_reason == "content_filter"


def test_stream_openai_fail_mid_stream_closes_blocks_and_renders_error() -> None:
    translator = StreamTranslator(source=OPENAI, target=ANTHROPIC)  # type: ignore[arg-type]
    out = translator.feed(openai_sse([ROLE, oa_chunk(oa_tool(0, id="c", name="f", args="{"))], done=False))
    out += translator.fail(UpstreamTimeout("upstream read timed out"))
    with pytest.raises(StreamErrorEvent) as caught:
        anthropic_final(out)
    assert caught.value.body["error"]["type"] == "timeout_error"
    assert out.count(b"event: content_block_stop") == 1
    assert translator.feed(openai_sse([oa_chunk({"content": "late"})])) == b""
    assert translator.finish() == b""
    assert translator.fail(UpstreamTimeout("again")) == b""


def test_stream_openai_model_override_and_constant_identity() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "x"}), oa_chunk(finish="stop"), oa_usage(1, 1)])
    message = anthropic_final(_to_anthropic(raw, model="my-alias")).message
    assert message.model == "my-alias"
    completion = openai_final(translate(raw, OPENAI, OPENAI, model="my-alias"))
    assert completion.model == "my-alias"
    assert completion.id == "chatcmpl-1"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 2


def test_stream_openai_include_usage_false_sends_no_usage_chunk() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "x"}), oa_chunk(finish="stop"), oa_usage(1, 1)])
    completion = openai_final(translate(raw, OPENAI, OPENAI, include_usage=False), expect_usage=False)
    assert completion.choices[0].message.content == "x"


def test_stream_openai_other_choices_are_ignored() -> None:
    raw = openai_sse([ROLE, oa_chunk({"content": "zero"}),
                      {**oa_chunk({"content": "one"}), "choices": [{"index": 1, "delta": {"content": "one"}}]},
                      oa_chunk(finish="stop")])
    assert anthropic_final(_to_anthropic(raw)).message.content[0].text == "zero"  # type: ignore[union-attr]


def test_stream_openai_malformed_json_becomes_error_event() -> None:
    raw = openai_sse([ROLE, '{"id": "chatcmpl-1", "choices": [', oa_chunk(finish="stop")])
    with pytest.raises(StreamErrorEvent):
        anthropic_final(_to_anthropic(raw))
