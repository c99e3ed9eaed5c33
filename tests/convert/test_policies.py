"""Documented policies: what happens where the formats differ, and the warnings they leave."""

from __future__ import annotations

from typing import Any

import pytest

from interlingua.errors import ConversionError
from interlingua.translate import Format, Policy, translate_request, translate_response

OA, AN = Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES


def _oa(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "hi"}], **extra}


def _an(content: Any, **extra: Any) -> dict[str, Any]:
    return {"model": "m", "max_tokens": 100, "messages": [{"role": "user", "content": content}], **extra}


def test_policy_default_max_tokens_fills_anthropic_requirement() -> None:
    assert translate_request(_oa(), source=OA, target=AN, policy=Policy(default_max_tokens=777)).body["max_tokens"] == 777


def test_policy_temperature_clamped_toward_anthropic_with_warning() -> None:
    out = translate_request(_oa(temperature=1.7), source=OA, target=AN)
    assert out.body["temperature"] == 1
    assert out.warnings == ["temperature 1.7 clamped to 1: Anthropic accepts 0..1"]


def test_policy_n_above_one_is_rejected_toward_anthropic() -> None:
    with pytest.raises(ConversionError) as info:
        translate_request(_oa(n=2), source=OA, target=AN)
    assert info.value.status == 400
    assert info.value.param == "n"


@pytest.mark.parametrize(("effort", "budget"), [("low", 4000), ("medium", 8000), ("high", 16000)])
def test_policy_reasoning_effort_becomes_a_thinking_budget(effort: str, budget: int) -> None:
    body = translate_request(_oa(reasoning_effort=effort, max_completion_tokens=64000), source=OA, target=AN).body
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert "output_config" not in body


def test_policy_thinking_budget_becomes_reasoning_effort() -> None:
    body = translate_request(_an("hi", thinking={"type": "enabled", "budget_tokens": 6000}), source=AN, target=OA).body
    assert body["reasoning_effort"] == "medium"


def test_policy_adaptive_thinking_with_effort_becomes_reasoning_effort() -> None:
    request = _an("hi", thinking={"type": "adaptive", "display": "omitted"}, output_config={"effort": "max"})
    out = translate_request(request, source=AN, target=OA)
    assert out.body["reasoning_effort"] == "max"  # OpenAI documents max too
    assert "thinking.display dropped: the target format has no counterpart" in out.warnings


def test_policy_budget_exceeding_default_max_tokens_gets_room() -> None:
    body = translate_request(_oa(reasoning_effort="high"), source=OA, target=AN, policy=Policy(default_max_tokens=4096)).body
    assert body["thinking"]["budget_tokens"] < body["max_tokens"]


def test_policy_reasoning_content_round_trips_through_a_dialect_field() -> None:
    policy = Policy(reasoning_field="reasoning")
    response = {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "42", "reasoning": "think"}, "finish_reason": "stop"}]}
    body = translate_response(response, source=OA, target=AN, policy=policy).body
    assert body["content"][0] == {"type": "thinking", "thinking": "think", "signature": ""}
    back = translate_response(body, source=AN, target=OA, policy=policy).body
    assert back["choices"][0]["message"]["reasoning"] == "think"


def test_policy_unsigned_thinking_never_reaches_an_anthropic_upstream() -> None:
    request = _oa(messages=[{"role": "user", "content": "q"},
                            {"role": "assistant", "content": "a", "reasoning_content": "mine"},
                            {"role": "user", "content": "q2"}])
    out = translate_request(request, source=OA, target=AN)
    assert out.body["messages"][1]["content"] == "a"
    assert out.warnings == ["thinking dropped: it has no Anthropic signature, so Anthropic would reject it"]


def test_policy_signed_thinking_reaches_openai_as_reasoning_content() -> None:
    request = _an([{"type": "text", "text": "q"}])
    request["messages"] += [
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "sig"},
                                          {"type": "redacted_thinking", "data": "xx"}, {"type": "text", "text": "a"}]},
        {"role": "user", "content": "q2"}]
    out = translate_request(request, source=AN, target=OA)
    assert out.body["messages"][1] == {"role": "assistant", "reasoning_content": "t", "content": "a"}
    assert out.warnings == ["redacted_thinking content dropped: no openai_chat counterpart"]


DOC = {"type": "document", "title": "T", "source": {"type": "text", "media_type": "text/plain", "data": "body"}}


def test_policy_documents_reject_names_the_field() -> None:
    with pytest.raises(ConversionError) as info:
        translate_request(_an([DOC]), source=AN, target=OA, policy=Policy(documents="reject"))
    assert info.value.param == "messages[0].content[0]"


def test_policy_documents_drop_warns() -> None:
    out = translate_request(_an([DOC, {"type": "text", "text": "x"}]), source=AN, target=OA, policy=Policy(documents="drop"))
    assert out.body["messages"][0]["content"] == "x"
    assert out.warnings == ["document dropped: text documents have no openai_chat counterpart"]


def test_policy_documents_text_becomes_a_text_part() -> None:
    out = translate_request(_an([DOC]), source=AN, target=OA, policy=Policy(documents="text"))
    assert out.body["messages"][0]["content"] == "T\n\nbody"


def test_policy_pdf_documents_are_openai_file_parts() -> None:
    pdf = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBE"}}
    out = translate_request(_an([pdf]), source=AN, target=OA)
    assert out.body["messages"][0]["content"] == [
        {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBE"}}]


def test_policy_openai_max_tokens_spelling_is_configurable() -> None:
    request = _an("hi")
    assert translate_request(request, source=AN, target=OA).body["max_completion_tokens"] == 100
    legacy = Policy(openai_max_tokens_field="max_tokens")
    assert translate_request(request, source=AN, target=OA, policy=legacy).body["max_tokens"] == 100


@pytest.mark.parametrize("target", [Format.GEMINI, Format.OPENAI_RESPONSES, Format.BEDROCK_CONVERSE])
def test_policy_legacy_max_tokens_is_mapped_not_dropped(target: Format) -> None:
    # max_tokens stays in the Chat extras only to restore the spelling for a Chat upstream;
    # its value reaches every other format, so no "dropped" warning may say otherwise.
    out = translate_request(_oa(max_tokens=321), source=OA, target=target)
    assert "321" in str(out.body)
    assert not [w for w in out.warnings if w.startswith("max_tokens")]
