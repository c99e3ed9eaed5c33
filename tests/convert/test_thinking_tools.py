"""Thinking with tools across formats: requests the upstream would refuse are not sent.

- Anthropic, thinking on, continuing a tool loop whose assistant turn came from another
  format (no Anthropic-signed thinking block): the request goes without thinking, the one
  Anthropic accepts then.
- Gemini, function calls it never signed (history from another upstream): the first call of
  each step of the current turn carries Google's documented dummy signature.
"""

from __future__ import annotations

from typing import Any

from interlingua.convert.gemini import DUMMY_SIGNATURE
from interlingua.translate import Format, translate_request

JSON = dict[str, Any]
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]


def _chat(*tail: JSON) -> JSON:
    return {"model": "m", "reasoning_effort": "high", "max_completion_tokens": 20000, "tools": TOOLS, "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
        *tail,
    ]}


def test_anthropic_tool_loop_from_another_format_goes_without_thinking() -> None:
    out = translate_request(_chat(), source=Format.OPENAI_CHAT, target=Format.ANTHROPIC_MESSAGES)
    assert "thinking" not in out.body
    assert any("thinking turned off for this request" in w for w in out.warnings)


def test_anthropic_new_user_turn_keeps_thinking() -> None:
    """Once the loop ended (the assistant answered in text), thinking may be on again."""
    tail = ({"role": "assistant", "content": "It is sunny."}, {"role": "user", "content": "and tomorrow?"})
    out = translate_request(_chat(*tail), source=Format.OPENAI_CHAT, target=Format.ANTHROPIC_MESSAGES)
    assert out.body["thinking"]["type"] == "enabled"


def test_anthropic_signed_thinking_keeps_thinking_in_the_loop() -> None:
    body = {"model": "m", "max_tokens": 20000, "thinking": {"type": "enabled", "budget_tokens": 2048},
            "messages": [
                {"role": "user", "content": "weather?"},
                {"role": "assistant", "content": [
                    {"type": "thinking", "thinking": "call the tool", "signature": "sig"},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"}]},
            ]}
    out = translate_request(body, source=Format.ANTHROPIC_MESSAGES, target=Format.ANTHROPIC_MESSAGES)
    assert out.body["thinking"] == body["thinking"]
    assert out.body["messages"][1]["content"][0]["signature"] == "sig"


def _model_parts(body: JSON) -> list[list[JSON]]:
    return [c["parts"] for c in body["contents"] if c["role"] == "model"]


def test_gemini_unsigned_calls_of_the_current_turn_get_the_dummy_signature() -> None:
    earlier = [{"role": "user", "content": "hi"},
               {"role": "assistant", "content": None, "tool_calls": [{**CALL, "id": "call_0"}]},
               {"role": "tool", "tool_call_id": "call_0", "content": "rainy"}]
    body = _chat()
    body["messages"] = [*earlier, *body["messages"]]
    parallel = {**CALL, "id": "call_2"}
    body["messages"][4]["tool_calls"] = [CALL, parallel]
    body["messages"].append({"role": "tool", "tool_call_id": "call_2", "content": "cloudy"})
    out = translate_request(body, source=Format.OPENAI_CHAT, target=Format.GEMINI, model="gemini-3-pro")
    first, current = _model_parts(out.body)
    assert "thoughtSignature" not in first[0]  # an earlier turn: Gemini does not validate it
    assert current[0]["thoughtSignature"] == DUMMY_SIGNATURE  # the first call of the step
    assert "thoughtSignature" not in current[1]


def test_gemini_own_signature_goes_back_instead_of_the_dummy() -> None:
    body = {"contents": [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": "real"}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "get_weather", "response": {"output": "sunny"}}}]},
    ]}
    out = translate_request(body, source=Format.GEMINI, target=Format.GEMINI, model="gemini-3-pro")
    assert _model_parts(out.body)[0][0]["thoughtSignature"] == "real"
