"""Bedrock Converse converter: the documented policies, one behaviour per test."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from interlingua.errors import InvalidRequest
from interlingua.translate import Format, parse_error, render_error, translate_request, translate_response

BEDROCK, ANTHROPIC, OPENAI = Format.BEDROCK_CONVERSE, Format.ANTHROPIC_MESSAGES, Format.OPENAI_CHAT
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC"


def _to_bedrock(body: dict[str, Any], source: Format = ANTHROPIC, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    result = translate_request(body, source=source, target=BEDROCK, **kwargs)
    return result.body, result.warnings


def _anthropic(*messages: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"model": "claude-sonnet-4-5", "max_tokens": 100, "messages": list(messages), **extra}


def test_bedrock_model_travels_outside_the_body() -> None:
    result = translate_request(_anthropic({"role": "user", "content": "hi"}), source=ANTHROPIC, target=BEDROCK)
    assert "modelId" not in result.body
    assert result.model == "claude-sonnet-4-5"
    back = translate_request({"modelId": "m1", "messages": [{"role": "user", "content": [{"text": "x"}]}]}, source=BEDROCK, target=ANTHROPIC)
    assert back.body["model"] == "m1"


def test_bedrock_cache_control_becomes_a_cache_point_block_and_back() -> None:
    body = _anthropic({"role": "user", "content": [{"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}}]})
    out, _ = _to_bedrock(body)
    assert out["messages"][0]["content"] == [{"text": "long"}, {"cachePoint": {"type": "default"}}]
    back = translate_request(out, source=BEDROCK, target=ANTHROPIC).body
    assert back["messages"][0]["content"] == [{"type": "text", "text": "long", "cache_control": {"type": "ephemeral"}}]


def test_bedrock_images_are_bytes_with_a_format() -> None:
    body = _anthropic({"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}]})
    out, _ = _to_bedrock(body)
    assert out["messages"][0]["content"] == [{"image": {"format": "png", "source": {"bytes": PNG}}}]


def test_bedrock_url_images_are_dropped_with_a_warning_but_s3_urls_pass() -> None:
    url = {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}
    out, warnings = _to_bedrock(_anthropic({"role": "user", "content": [url, {"type": "text", "text": "?"}]}))
    assert out["messages"][0]["content"] == [{"text": "?"}]
    assert any("image dropped" in w for w in warnings)
    s3 = {"image": {"format": "jpeg", "source": {"s3Location": {"uri": "s3://b/cat.jpeg"}}}}
    same = translate_request({"messages": [{"role": "user", "content": [s3]}]}, source=BEDROCK, target=BEDROCK).body
    assert same["messages"][0]["content"] == [s3]


def test_bedrock_document_names_are_sanitised() -> None:
    doc = {"type": "document", "title": "Q3: report (final)!", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}}
    out, _ = _to_bedrock(_anthropic({"role": "user", "content": [doc]}))
    assert out["messages"][0]["content"][0]["document"] == {"format": "pdf", "name": "Q3 report (final)", "source": {"bytes": "JVBERi0="}}


def test_bedrock_thinking_spelling_follows_the_model_family() -> None:
    body = {"model": "o3", "messages": [{"role": "user", "content": "hi"}], "reasoning_effort": "high"}
    claude, _ = _to_bedrock(body, OPENAI, model="us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert claude["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 16000}}
    assert claude["inferenceConfig"]["maxTokens"] > 16000
    other, _ = _to_bedrock(body, OPENAI, model="openai.gpt-oss-120b-1:0")
    assert other["additionalModelRequestFields"] == {"reasoning_effort": "high"}


def test_bedrock_thinking_drops_sampling_and_respects_max_tokens() -> None:
    body = _anthropic({"role": "user", "content": "hi"}, thinking={"type": "enabled", "budget_tokens": 2048}, temperature=0.5)
    body["max_tokens"] = 1500
    out, warnings = _to_bedrock(body)
    assert out["additionalModelRequestFields"]["thinking"]["budget_tokens"] == 1499
    assert "temperature" not in out["inferenceConfig"]
    assert any("temperature dropped" in w for w in warnings)


def test_bedrock_signed_thinking_goes_back_only_to_bedrock() -> None:
    turn = {"role": "assistant", "content": [{"reasoningContent": {"reasoningText": {"text": "hmm", "signature": "c2ln"}}}, {"text": "ok"}]}
    body = {"messages": [{"role": "user", "content": [{"text": "q"}]}, turn, {"role": "user", "content": [{"text": "more"}]}]}
    same = translate_request(body, source=BEDROCK, target=BEDROCK).body
    assert same["messages"][1] == turn
    anthropic_signed = _anthropic(
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "c2ln"}, {"type": "text", "text": "ok"}]},
        {"role": "user", "content": "more"},
    )
    out, warnings = _to_bedrock(anthropic_signed)
    assert out["messages"][1]["content"] == [{"text": "ok"}]
    assert any("thinking dropped" in w for w in warnings)


def test_bedrock_tool_choice_none_sends_no_tools() -> None:
    tool = {"name": "f", "input_schema": {"type": "object"}}
    out, warnings = _to_bedrock(_anthropic({"role": "user", "content": "hi"}, tools=[tool], tool_choice={"type": "none"}))
    assert "toolConfig" not in out
    assert any("tool_choice none" in w for w in warnings)


def test_bedrock_history_tools_are_declared_when_the_request_has_none() -> None:
    """Bedrock rejects toolUse/toolResult blocks without toolConfig (a ValidationException)."""
    body = _anthropic(
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "lookup", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "42"}]},
    )
    out, warnings = _to_bedrock(body)
    assert [t["toolSpec"]["name"] for t in out["toolConfig"]["tools"]] == ["lookup"]
    assert any("toolConfig added" in w for w in warnings)


def test_bedrock_tool_results_keep_status_and_json() -> None:
    result = {"toolResult": {"toolUseId": "t1", "content": [{"json": {"a": 1}}], "status": "error"}}
    body = {"messages": [{"role": "user", "content": [{"text": "q"}]}, {"role": "user", "content": [result]}]}
    out = translate_request(body, source=BEDROCK, target=ANTHROPIC).body
    block = out["messages"][0]["content"][1]
    assert block == {"type": "tool_result", "tool_use_id": "t1", "content": '{"a":1}', "is_error": True}


def test_bedrock_system_messages_mid_conversation_move_to_system() -> None:
    body = {"model": "gpt-4o", "messages": [{"role": "user", "content": "a"}, {"role": "system", "content": "be brief"}, {"role": "user", "content": "b"}]}
    out, warnings = _to_bedrock(body, OPENAI)
    assert out["system"] == [{"text": "be brief"}]
    assert out["messages"] == [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}]
    assert any("system message moved" in w for w in warnings)


def test_bedrock_unknown_blocks_round_trip_verbatim_and_stay_home() -> None:
    guard = {"guardContent": {"text": {"text": "checked"}}}
    body = {"messages": [{"role": "user", "content": [guard, {"text": "hi"}]}]}
    assert translate_request(body, source=BEDROCK, target=BEDROCK).body["messages"][0]["content"][0] == guard
    out = translate_request(body, source=BEDROCK, target=ANTHROPIC)
    assert out.body["messages"][0]["content"] == "hi"


def test_bedrock_empty_block_is_a_clear_400() -> None:
    with pytest.raises(InvalidRequest) as info:
        translate_request({"messages": [{"role": "user", "content": [{}]}]}, source=BEDROCK, target=ANTHROPIC)
    assert info.value.param is not None
    assert info.value.param.startswith("messages[0].content[0]")


def test_bedrock_usage_input_excludes_cache() -> None:
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "hi"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 2, "outputTokens": 5, "totalTokens": 1329, "cacheReadInputTokens": 1322},
        "metrics": {"latencyMs": 10},
    }
    openai = translate_response(response, source=BEDROCK, target=OPENAI).body
    assert openai["usage"]["prompt_tokens"] == 1324
    back = translate_response(openai, source=OPENAI, target=BEDROCK).body
    assert back["usage"] == {"inputTokens": 2, "outputTokens": 5, "cacheReadInputTokens": 1322, "totalTokens": 1329}


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("guardrail_intervened", "content_filter"), ("max_tokens", "length"), ("model_context_window_exceeded", "length"), ("tool_use", "tool_calls")],
)
def test_bedrock_stop_reasons(reason: str, expected: str) -> None:
    content = [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}] if reason == "tool_use" else [{"text": "x"}]
    response = {"output": {"message": {"role": "assistant", "content": content}}, "stopReason": reason, "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2}, "metrics": {"latencyMs": 1}}
    assert translate_response(response, source=BEDROCK, target=OPENAI).body["choices"][0]["finish_reason"] == expected


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"message": "bad", "__type": "ValidationException"}, "invalid_request"),
        (429, {"message": "slow", "__type": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"}, "rate_limit"),
        (503, {"message": "busy", "__type": "com.amazonaws.bedrock#ServiceUnavailableException"}, "overloaded"),
        (408, {"message": "slow model"}, "timeout"),
        (424, {"Message": "model failed"}, "api_error"),
    ],
)
def test_bedrock_error_types(status: int, body: dict[str, Any], kind: str) -> None:
    err = parse_error(status, orjson.dumps(body), source=BEDROCK)
    assert err.kind == kind
    assert err.message in ("bad", "slow", "busy", "slow model", "model failed")
    rendered = render_error(err, BEDROCK)
    assert rendered["message"] == err.message
    assert rendered["__type"]
