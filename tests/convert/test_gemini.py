"""Gemini <-> IR: the documented policies and the quirks real Gemini clients send."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from interlingua.errors import ConversionError, InvalidRequest
from interlingua.translate import Format, parse_error, render_error, translate_request, translate_response

GE, OA, AN = Format.GEMINI, Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES


def _ge(contents: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"contents": contents or [{"role": "user", "parts": [{"text": "hi"}]}], **extra}


def _oa(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "hi"}], **extra}


def _tool(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "f", "parameters": schema}}


def test_gemini_model_comes_from_the_url_or_the_body() -> None:
    assert translate_request(_ge(), source=GE, target=OA, model="gemini-2.5-pro").body["model"] == "gemini-2.5-pro"
    assert translate_request(_ge(model="models/gemini-2.5-flash"), source=GE, target=OA).body["model"] == "gemini-2.5-flash"
    assert translate_request(_oa(), source=OA, target=GE).model == "m"


def test_gemini_snake_case_keys_are_read_like_camel_case() -> None:
    body = {
        "contents": [{"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": "iVBOR"}}]}],
        "system_instruction": {"parts": [{"text": "be brief"}]},
        "generation_config": {"max_output_tokens": 10, "stop_sequences": ["x"]},
        "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object", "properties": {"a_b": {"type": "string"}}}}]}],
    }
    out = translate_request(body, source=GE, target=AN, model="m").body
    assert out["system"] == "be brief"
    assert out["max_tokens"] == 10
    assert out["stop_sequences"] == ["x"]
    assert out["messages"][0]["content"][0]["source"] == {"type": "base64", "media_type": "image/png", "data": "iVBOR"}
    assert out["tools"][0]["input_schema"]["properties"] == {"a_b": {"type": "string"}}  # user data keeps its keys


def test_gemini_calls_without_ids_get_stable_ids_and_results_follow_by_name() -> None:
    contents = [
        {"role": "user", "parts": [{"text": "weather?"}]},
        {"role": "model", "parts": [{"functionCall": {"name": "w", "args": {"c": "P"}}}, {"functionCall": {"name": "w", "args": {"c": "T"}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "w", "response": {"output": "sun"}}},
                                   {"functionResponse": {"name": "w", "response": {"error": "timeout"}}}]},
    ]
    out = translate_request(_ge(contents), source=GE, target=AN, model="m").body
    calls = [b["id"] for b in out["messages"][1]["content"]]
    results = [(b["tool_use_id"], b["content"], b.get("is_error")) for b in out["messages"][2]["content"]]
    assert calls == ["gcall-0", "gcall-1"]
    assert results == [("gcall-0", "sun", None), ("gcall-1", "timeout", True)]
    back = translate_request(out, source=AN, target=GE).body  # made-up ids never reach Gemini
    assert "id" not in back["contents"][1]["parts"][0]["functionCall"]
    assert back["contents"][2]["parts"][1]["functionResponse"] == {"name": "w", "response": {"error": "timeout"}}


def test_gemini_function_response_needs_the_call_name() -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_x", "content": "orphan"}]}]}
    with pytest.raises(ConversionError):
        translate_request(body, source=AN, target=GE)


def test_gemini_tool_results_that_are_json_objects_go_back_as_objects() -> None:
    contents = [
        {"role": "model", "parts": [{"functionCall": {"name": "w", "args": {}}}]},
        {"role": "user", "parts": [{"functionResponse": {"name": "w", "response": {"temp": 18}}}]},
    ]
    out = translate_request(_ge(contents), source=GE, target=GE, model="m").body
    assert out["contents"][1]["parts"][0]["functionResponse"]["response"] == {"temp": 18}
    oa = translate_request(_ge(contents), source=GE, target=OA, model="m").body
    assert oa["messages"][1]["content"] == '{"temp":18}'


def test_gemini_cli_skip_signature_goes_back_to_gemini_only() -> None:
    contents = [
        {"role": "user", "parts": [{"text": "run it"}]},
        {"role": "model", "parts": [{"functionCall": {"id": "c1", "name": "sh", "args": {}},
                                     "thoughtSignature": "skip_thought_signature_validator"}]},
        {"role": "user", "parts": [{"functionResponse": {"id": "c1", "name": "sh", "response": {"output": "ok"}}}]},
    ]
    same = translate_request(_ge(contents), source=GE, target=GE, model="m").body
    assert same["contents"][1]["parts"][0]["thoughtSignature"] == "skip_thought_signature_validator"
    for target in (OA, AN, Format.OPENAI_RESPONSES, Format.BEDROCK_CONVERSE):
        body = translate_request(_ge(contents), source=GE, target=target, model="m").body
        assert b"skip_thought_signature_validator" not in orjson.dumps(body), target


def test_gemini_foreign_thinking_is_dropped_from_requests_with_a_warning() -> None:
    body = {"model": "m", "max_tokens": 50, "messages": [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hmm", "signature": "QUJD"}, {"type": "text", "text": "a"}]},
        {"role": "user", "content": "more"}]}
    out = translate_request(body, source=AN, target=GE)
    assert out.body["contents"][1]["parts"] == [{"text": "a"}]
    assert "thinking dropped: Gemini takes back only its own thought parts" in out.warnings


def test_gemini_tool_schema_is_cleaned_to_what_gemini_accepts() -> None:
    schema = {
        "type": "object",
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$defs": {"Unit": {"type": "string", "enum": ["c", "f"], "$comment": "units"}},
        "properties": {"unit": {"$ref": "#/$defs/Unit"}, "n": {"oneOf": [{"type": "integer"}, {"const": "many"}]},
                       "tags": {"type": "object", "propertyNames": {"pattern": "^x"}, "additionalProperties": {"type": "string"}}},
        "additionalProperties": False,
    }
    out = translate_request(_oa(tools=[_tool(schema)]), source=OA, target=GE)
    params = out.body["tools"][0]["functionDeclarations"][0]["parametersJsonSchema"]
    assert params == {
        "type": "object",
        "properties": {"unit": {"type": "string", "enum": ["c", "f"]}, "n": {"anyOf": [{"type": "integer"}, {"enum": ["many"]}]},
                       "tags": {"type": "object", "additionalProperties": {"type": "string"}}},
        "additionalProperties": False,
    }
    assert out.warnings == ["tool schema keywords dropped: Gemini does not accept $comment, $schema, propertyNames"]


def test_gemini_recursive_ref_is_refused() -> None:
    schema = {"type": "object", "$defs": {"N": {"type": "object", "properties": {"next": {"$ref": "#/$defs/N"}}}},
              "properties": {"root": {"$ref": "#/$defs/N"}}}
    with pytest.raises(ConversionError) as info:
        translate_request(_oa(tools=[_tool(schema)]), source=OA, target=GE)
    assert info.value.status == 400


def test_gemini_openapi_parameters_are_read_as_json_schema_and_kept_for_gemini() -> None:
    decl = {"name": "f", "parameters": {"type": "OBJECT", "properties": {"a": {"type": "STRING"}}}}
    body = _ge(tools=[{"functionDeclarations": [decl]}])
    assert translate_request(body, source=GE, target=OA, model="m").body["tools"][0]["function"]["parameters"] == {
        "type": "object", "properties": {"a": {"type": "string"}}}
    assert translate_request(body, source=GE, target=GE, model="m").body["tools"] == [{"functionDeclarations": [decl]}]


@pytest.mark.parametrize(
    ("config", "choice"),
    [
        ({"mode": "AUTO"}, "auto"),
        ({"mode": "NONE"}, "none"),
        ({"mode": "ANY"}, "required"),
        ({"mode": "ANY", "allowedFunctionNames": ["f"]}, {"type": "function", "function": {"name": "f"}}),
    ],
)
def test_gemini_function_calling_modes(config: dict[str, Any], choice: Any) -> None:
    body = _ge(toolConfig={"functionCallingConfig": config})
    assert translate_request(body, source=GE, target=OA, model="m").body["tool_choice"] == choice
    back = translate_request(translate_request(body, source=GE, target=OA, model="m").body, source=OA, target=GE)
    assert back.body["toolConfig"]["functionCallingConfig"] == config


def test_gemini_bad_function_calling_mode_is_a_400() -> None:
    with pytest.raises(InvalidRequest):
        translate_request(_ge(toolConfig={"functionCallingConfig": {"mode": "SOMETIMES"}}), source=GE, target=OA, model="m")


@pytest.mark.parametrize(
    ("thinking", "anthropic"),
    [
        ({"thinkingBudget": 0}, {"type": "disabled"}),
        ({"thinkingBudget": 2048, "includeThoughts": True}, {"type": "enabled", "budget_tokens": 2048}),
        ({"includeThoughts": True}, {"type": "adaptive"}),
    ],
)
def test_gemini_thinking_config_maps_to_anthropic_thinking(thinking: dict[str, Any], anthropic: dict[str, Any]) -> None:
    body = _ge(generationConfig={"maxOutputTokens": 4096, "thinkingConfig": thinking})
    assert translate_request(body, source=GE, target=AN, model="m").body["thinking"] == anthropic


def test_gemini_reasoning_effort_becomes_a_thinking_budget() -> None:
    out = translate_request(_oa(reasoning_effort="high"), source=OA, target=GE).body
    assert out["generationConfig"]["thinkingConfig"] == {"thinkingBudget": 16000, "includeThoughts": True}
    assert translate_request(_oa(reasoning_effort="none"), source=OA, target=GE).body["generationConfig"] == {
        "thinkingConfig": {"thinkingBudget": 0}}


def test_gemini_structured_output_both_ways() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    body = _ge(generationConfig={"responseMimeType": "application/json", "responseJsonSchema": schema})
    oa = translate_request(body, source=GE, target=OA, model="m").body
    assert oa["response_format"] == {"type": "json_schema", "json_schema": {"name": "response", "schema": schema}}
    assert translate_request(oa, source=OA, target=GE).body["generationConfig"] == body["generationConfig"]


def test_gemini_system_messages_anywhere_go_to_system_instruction() -> None:
    body = _oa(messages=[{"role": "system", "content": "a"}, {"role": "user", "content": "hi"},
                         {"role": "system", "content": "b"}, {"role": "user", "content": "again"}])
    out = translate_request(body, source=OA, target=GE)
    assert out.body["systemInstruction"] == {"parts": [{"text": "a"}, {"text": "b"}]}
    assert out.body["contents"] == [{"role": "user", "parts": [{"text": "hi"}, {"text": "again"}]}]
    assert "system message moved to systemInstruction: Gemini has no system turns" in out.warnings


def test_gemini_safety_settings_pass_through_to_gemini_only() -> None:
    safety = [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}]
    body = _ge(safetySettings=safety)
    assert translate_request(body, source=GE, target=GE, model="m").body["safetySettings"] == safety
    out = translate_request(body, source=GE, target=OA, model="m")
    assert "safetySettings" not in out.body
    assert out.warnings == ["safetySettings dropped: gemini field with no openai_chat counterpart"]


def _response(parts: list[Any], finish: str = "STOP", **usage: int) -> dict[str, Any]:
    return {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
            "usageMetadata": usage, "modelVersion": "gemini-2.5-flash", "responseId": "r1"}


@pytest.mark.parametrize(
    ("finish", "stop"),
    [("STOP", "end_turn"), ("MAX_TOKENS", "max_tokens"), ("SAFETY", "refusal"), ("RECITATION", "refusal"),
     ("BLOCKLIST", "refusal"), ("PROHIBITED_CONTENT", "refusal"), ("SPII", "refusal"), ("LANGUAGE", "end_turn"),
     ("OTHER", "end_turn"), ("MALFORMED_FUNCTION_CALL", "end_turn"), ("SOMETHING_NEW", "end_turn")],
)
def test_gemini_every_finish_reason_maps(finish: str, stop: str) -> None:
    out = translate_response(_response([{"text": "x"}], finish), source=GE, target=AN).body
    assert out["stop_reason"] == stop


def test_gemini_function_calls_end_with_tool_use_and_usage_counts_thoughts() -> None:
    body = _response([{"text": "plan", "thought": True}, {"functionCall": {"name": "f", "args": {"a": 1}}}],
                     promptTokenCount=10, candidatesTokenCount=5, thoughtsTokenCount=7, cachedContentTokenCount=4)
    out = translate_response(body, source=GE, target=OA).body
    assert out["choices"][0]["finish_reason"] == "tool_calls"
    assert out["choices"][0]["message"]["reasoning_content"] == "plan"
    assert out["usage"] == {"prompt_tokens": 10, "completion_tokens": 12, "total_tokens": 22,
                            "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
                            "completion_tokens_details": {"reasoning_tokens": 7, "audio_tokens": 0,
                                                          "accepted_prediction_tokens": 0,
                                                          "rejected_prediction_tokens": 0}}
    back = translate_response(out, source=OA, target=GE).body
    assert back["usageMetadata"] == {"promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 7,
                                     "cachedContentTokenCount": 4, "totalTokenCount": 22}


def test_gemini_thought_signatures_never_reach_other_formats() -> None:
    body = _response([{"text": "a", "thoughtSignature": "U0lH"}, {"functionCall": {"name": "f", "args": {}}, "thoughtSignature": "U0lH"}])
    for target in (OA, AN, Format.OPENAI_RESPONSES, Format.BEDROCK_CONVERSE):
        assert b"U0lH" not in orjson.dumps(translate_response(body, source=GE, target=target).body), target
    same = translate_response(body, source=GE, target=GE).body
    assert same["candidates"][0]["content"]["parts"][1]["thoughtSignature"] == "U0lH"


def test_gemini_error_shape_and_retry_info() -> None:
    raw = {"error": {"code": 429, "message": "quota", "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "34.4s"}]}}
    err = parse_error(429, orjson.dumps(raw), source=GE)
    assert (err.kind, err.retry_after) == ("rate_limit", "34")
    anthropic = render_error(err, AN)
    assert anthropic["error"]["type"] == "rate_limit_error"
    gemini = render_error(parse_error(529, b'{"type":"error","error":{"type":"overloaded_error","message":"busy"}}', source=AN), GE)
    assert gemini == {"error": {"code": 529, "message": "busy", "status": "UNAVAILABLE"}}


@pytest.mark.parametrize(
    ("status", "name"),
    [(400, "INVALID_ARGUMENT"), (401, "UNAUTHENTICATED"), (403, "PERMISSION_DENIED"), (404, "NOT_FOUND"),
     (429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL"), (503, "UNAVAILABLE"), (504, "DEADLINE_EXCEEDED")],
)
def test_gemini_error_status_names(status: int, name: str) -> None:
    err = parse_error(status, b'{"error": {"message": "m"}}', source=OA)
    assert render_error(err, GE)["error"] == {"code": status, "message": "m", "status": name}


def test_gemini_request_conversion_never_edits_the_client_body() -> None:
    body = _ge([{"role": "model", "parts": [{"functionCall": {"name": "w", "args": {}}}]},
                {"role": "user", "parts": [{"functionResponse": {"name": "w", "response": {"output": "x"}}}]}],
               systemInstruction={"role": "user", "parts": [{"text": "s"}]}, generation_config={"top_k": 3})
    before = orjson.dumps(body)
    translate_request(body, source=GE, target=AN, model="m")
    assert orjson.dumps(body) == before
