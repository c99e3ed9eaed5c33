"""A handful of end-to-end conversions through interlingua.translate."""

from __future__ import annotations

from typing import Any

import pytest

from interlingua.errors import GatewayError, InvalidRequest, RateLimited
from interlingua.translate import Format, parse_error, render_error, translate_request, translate_response

OA, AN = Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES

CLAUDE_CODE: dict[str, Any] = {
    "model": "gpt-x",
    "max_tokens": 32000,
    "system": [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2"},
        {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
    ],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": "run echo"}]},
        {"role": "system", "content": "<env>linux</env>"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "", "signature": "sig=="},
            {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "echo hi"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "hi",
                                      "is_error": False, "cache_control": {"type": "ephemeral"}}]},
    ],
    "tools": [
        {"name": "Bash", "description": "run", "input_schema": {"type": "object"}},
        {"name": "DeferredToolPlaceholder", "input_schema": {"type": "object"}, "defer_loading": True},
        {"type": "web_search_20250305", "name": "web_search"},
    ],
    "thinking": {"type": "adaptive", "display": "omitted"},
    "output_config": {"effort": "high"},
    "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
    "metadata": {"user_id": '{"session": "s"}'},
    "stream": True,
}


def test_conversion_claude_code_request_never_errors_and_warns() -> None:
    out = translate_request(CLAUDE_CODE, source=AN, target=OA)
    body = out.body
    assert body["messages"][0]["role"] == "system"
    assert [m["role"] for m in body["messages"]] == ["system", "user", "system", "assistant", "tool"]
    assert body["messages"][3]["tool_calls"][0]["function"] == {"name": "Bash", "arguments": '{"command":"echo hi"}'}
    assert body["messages"][4] == {"role": "tool", "tool_call_id": "toolu_1", "content": "hi"}
    assert [t["function"]["name"] for t in body["tools"]] == ["Bash", "DeferredToolPlaceholder"]
    assert body["reasoning_effort"] == "high"
    assert body["user"] == '{"session": "s"}'
    assert set(out.warnings) >= {
        "context_management dropped: anthropic_messages field with no openai_chat counterpart",
        "defer_loading dropped: anthropic_messages field with no openai_chat counterpart",
        "cache_control dropped: the target format has no counterpart",
        "thinking.display dropped: the target format has no counterpart",
    }


def test_conversion_claude_code_same_format_round_trip_keeps_everything() -> None:
    body = translate_request(CLAUDE_CODE, source=AN, target=AN).body
    assert body["context_management"] == CLAUDE_CODE["context_management"]
    assert body["tools"] == CLAUDE_CODE["tools"]
    assert body["messages"][1] == {"role": "system", "content": "<env>linux</env>"}
    assert body["messages"][2]["content"][0] == {"type": "thinking", "thinking": "", "signature": "sig=="}
    assert body["system"] == CLAUDE_CODE["system"]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "model"),
        ({"model": "m", "messages": {}}, "messages"),
        ({"model": "m", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "hologram"}]}]}, "messages[0].content[0].type"),
        ({"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]},
         "messages[0].content[0].text"),
        ({"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": "hot"}, "temperature"),
        ({"model": "m", "messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
        ({"model": "m", "messages": ["hello"]}, "messages[0]"),
    ],
)
def test_conversion_invalid_openai_input_names_the_field(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as info:
        translate_request(body, source=OA, target=AN)
    assert info.value.param == param
    assert info.value.status == 400


def test_conversion_invalid_anthropic_input_names_the_field() -> None:
    body = {"model": "m", "max_tokens": 1, "messages": [
        {"role": "user", "content": [{"type": "image", "source": {"type": "hologram"}}]}]}
    with pytest.raises(InvalidRequest) as info:
        translate_request(body, source=AN, target=OA)
    assert info.value.param == "messages[0].content[0].source.type"


@pytest.mark.parametrize("junk", [None, 3, "x", [], {"a": {"b": [1, {}]}}, [[[]]]])
@pytest.mark.parametrize(("source", "target"), [(OA, AN), (AN, OA), (OA, OA), (AN, AN)])
def test_conversion_junk_anywhere_is_a_gateway_error_not_a_crash(junk: Any, source: Format, target: Format) -> None:
    base: dict[str, Any] = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    statuses = []
    for key in ("messages", "tools", "tool_choice", "system", "stop", "thinking", "response_format", "metadata"):
        try:
            translate_request({**base, key: junk}, source=source, target=target)
        except GatewayError as exc:  # anything else escaping fails the test
            statuses.append(exc.status)
    assert set(statuses) <= {400}


def test_conversion_response_usage_counts_cache_tokens_both_ways() -> None:
    anthropic = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": [
        {"type": "text", "text": "hi"}], "stop_reason": "max_tokens", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5, "cache_read_input_tokens": 100,
                  "cache_creation_input_tokens": 20}}
    body = translate_response(anthropic, source=AN, target=OA, model="alias").body
    assert body["model"] == "alias"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"] == {"prompt_tokens": 130, "completion_tokens": 5, "total_tokens": 135,
                             "prompt_tokens_details": {"cached_tokens": 100, "audio_tokens": 0},
                             "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                           "accepted_prediction_tokens": 0,
                                                           "rejected_prediction_tokens": 0}}
    back = translate_response(anthropic, source=AN, target=AN).body
    # Anthropic always sends the cache split, server_tool_use and service_tier (envelope.py).
    assert back["usage"] == {**anthropic["usage"], "server_tool_use": None, "service_tier": "standard",
                             "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 0}}


def test_conversion_openai_tool_call_response_becomes_tool_use() -> None:
    openai = {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": '{"x": [1]}'}}]}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}
    body = translate_response(openai, source=OA, target=AN).body
    # The id in the client's style, wrapping the upstream's (convert/ids.py).
    assert body["content"] == [{"type": "tool_use", "id": "toolu_ilg_call_1", "name": "f", "input": {"x": [1]}}]
    assert body["stop_reason"] == "tool_use"
    assert body["usage"] == {"input_tokens": 3, "output_tokens": 4, "cache_creation_input_tokens": 0,
                             "cache_read_input_tokens": 0, "server_tool_use": None, "service_tier": "standard",
                             "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}


def test_conversion_bad_upstream_response_is_a_502() -> None:
    with pytest.raises(GatewayError) as info:
        translate_response({"content": "nope"}, source=AN, target=OA)
    assert info.value.status == 502


def test_conversion_errors_parse_and_render_in_each_envelope() -> None:
    err = parse_error(429, b'{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
                      source=AN, retry_after="3")
    assert (err.status, err.kind, err.message, err.retry_after, err.retryable) == (429, "rate_limit", "slow down", "3", True)
    assert render_error(err, OA) == {"error": {"message": "slow down", "type": "rate_limit_error", "param": None,
                                               "code": None}}
    assert render_error(err, AN) == {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"},
                                     "request_id": None}


def test_conversion_non_json_upstream_error_keeps_status_and_text() -> None:
    err = parse_error(503, b"<html>bad gateway</html>", source=OA)
    assert (err.status, err.kind) == (503, "overloaded")
    assert "bad gateway" in err.message


def test_conversion_gateway_errors_render_with_kind_types() -> None:
    body = render_error(RateLimited("too many", param="x"), AN)
    assert body == {"type": "error", "error": {"type": "rate_limit_error", "message": "too many"}, "request_id": None}
    assert render_error(InvalidRequest("bad", param="messages[0]"), OA) == {
        "error": {"message": "bad", "type": "invalid_request_error", "param": "messages[0]", "code": None}}
