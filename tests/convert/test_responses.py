"""OpenAI Responses <-> IR: what Codex sends, namespace tools, stateless rules, opaque reasoning."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import Response

from interlingua.convert.blobs import unseal
from interlingua.errors import ConversionError
from interlingua.translate import Format, translate_request, translate_response

R, CHAT, ANTHROPIC = Format.OPENAI_RESPONSES, Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES
ENC = "gAAAAABpPDIUenc"

CODEX: dict[str, Any] = {
    "model": "gpt-5.1-codex",
    "input": [
        {"type": "message", "id": "msg_1", "role": "developer", "content": [{"type": "input_text", "text": "You are Codex."}]},
        {"type": "message", "id": "msg_2", "role": "user", "content": [{"type": "input_text", "text": "list files"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Run ls."}], "encrypted_content": ENC},
        {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "wait_agent", "namespace": "multi_agent_v1",
         "arguments": '{"agent_id":"a1"}'},
        {"type": "function_call_output", "id": "fco_1", "call_id": "call_1", "output": "done"},
    ],
    "tools": [
        {"type": "function", "name": "exec_command", "parameters": {"type": "object"}, "strict": False},
        {"type": "namespace", "name": "multi_agent_v1", "description": "agents",
         "tools": [{"type": "function", "name": "wait_agent", "parameters": {"type": "object"}, "strict": False}]},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": True,
    "reasoning": {"summary": "auto"},
    "store": False,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "session-1",
    "client_metadata": {"k": "v"},
}


def test_responses_codex_request_to_chat_flattens_namespace_and_groups_items() -> None:
    out = translate_request(CODEX, source=R, target=CHAT)
    body = out.body
    assert [t["function"]["name"] for t in body["tools"]] == ["exec_command", "multi_agent_v1__wait_agent"]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["developer", "user", "assistant", "tool"]
    assistant = body["messages"][2]
    assert assistant["tool_calls"][0]["function"]["name"] == "multi_agent_v1__wait_agent"
    assert assistant["reasoning_content"] == "Run ls."
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "call_1", "content": "done"}
    assert "store dropped: openai_responses field with no openai_chat counterpart" in out.warnings


def test_responses_codex_request_to_anthropic_drops_foreign_reasoning() -> None:
    body = translate_request(CODEX, source=R, target=ANTHROPIC).body
    assert body["system"] == "You are Codex."
    assert all(b.get("type") != "thinking" for m in body["messages"] for b in m["content"] if isinstance(b, dict))


def test_responses_encrypted_reasoning_goes_back_only_to_responses() -> None:
    same = translate_request(CODEX, source=R, target=R).body
    reasoning = [i for i in same["input"] if i.get("type") == "reasoning"]
    assert reasoning == [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Run ls."}],
                          "encrypted_content": ENC}]
    assert same["store"] is False
    assert same["include"] == ["reasoning.encrypted_content"]
    assert same["prompt_cache_key"] == "session-1"


def test_responses_thinking_from_another_format_is_not_sent_as_reasoning() -> None:
    anthropic = {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "sig"},
                                          {"type": "text", "text": "hello"}]},
        {"role": "user", "content": "again"}]}
    out = translate_request(anthropic, source=ANTHROPIC, target=R)
    assert all(i.get("type") != "reasoning" for i in out.body["input"])
    assert "thinking dropped: it was not issued by an OpenAI Responses upstream" in out.warnings


def test_responses_previous_response_id_is_rejected_toward_stateless_formats() -> None:
    body = {"model": "m", "input": "hi", "previous_response_id": "resp_1"}
    for target in (CHAT, ANTHROPIC):
        with pytest.raises(ConversionError) as exc:
            translate_request(body, source=R, target=target)
        assert exc.value.param == "previous_response_id"
        assert exc.value.status == 400
    assert translate_request(body, source=R, target=R).body["previous_response_id"] == "resp_1"


@pytest.mark.parametrize("tool", [{"type": "web_search"}, {"type": "file_search", "vector_store_ids": ["vs_1"]},
                                  {"type": "code_interpreter", "container": {"type": "auto"}}])
def test_responses_builtin_tools_are_rejected_where_they_cannot_run(tool: dict[str, Any]) -> None:
    body = {"model": "m", "input": "hi", "tools": [tool]}
    with pytest.raises(ConversionError, match=f"{tool['type']} tool is run by openai_responses upstreams only"):
        translate_request(body, source=R, target=ANTHROPIC)
    assert translate_request(body, source=R, target=R).body["tools"] == [tool]


def test_responses_request_fields_map_to_chat() -> None:
    body = {"model": "m", "input": "hi", "instructions": "Be brief.", "max_output_tokens": 50, "temperature": 0.2,
            "top_p": 0.9, "metadata": {"a": "b"}, "user": "u1", "reasoning": {"effort": "high"},
            "text": {"format": {"type": "json_schema", "name": "x", "schema": {"type": "object"}, "strict": True}},
            "tool_choice": {"type": "function", "name": "f"},
            "tools": [{"type": "function", "name": "f", "parameters": {"type": "object"}}]}
    chat = translate_request(body, source=R, target=CHAT).body
    assert chat["messages"][0] == {"role": "system", "content": "Be brief."}
    assert chat["max_completion_tokens"] == 50
    assert chat["reasoning_effort"] == "high"
    assert chat["response_format"]["json_schema"]["name"] == "x"
    assert chat["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    back = translate_request(chat, source=CHAT, target=R).body
    assert back["input"][0] == {"type": "message", "role": "system", "content": [{"type": "input_text", "text": "Be brief."}]}
    assert back["text"] == body["text"]
    assert back["tool_choice"] == {"type": "function", "name": "f"}


def test_responses_input_parts_images_and_files() -> None:
    body = {"model": "m", "input": [{"role": "user", "content": [
        {"type": "input_image", "image_url": "data:image/png;base64,iVBO", "detail": "low"},
        {"type": "input_file", "filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBE"}]}]}
    anthropic = translate_request(body, source=R, target=ANTHROPIC).body
    kinds = [b["type"] for b in anthropic["messages"][0]["content"]]
    assert kinds == ["image", "document"]
    assert translate_request(body, source=R, target=R).body["input"][0]["content"] == body["input"][0]["content"]


def _chat_response(**message: Any) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "gpt-4.1",
            "choices": [{"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "tool_calls"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15,
                      "prompt_tokens_details": {"cached_tokens": 4}}}


def test_responses_response_from_chat_restores_namespaces_and_validates() -> None:
    chat = _chat_response(content=None, tool_calls=[
        {"id": "call_9", "type": "function", "function": {"name": "multi_agent_v1__wait_agent", "arguments": "{}"}}])
    body = translate_response(chat, source=CHAT, target=R).body
    response = Response.model_validate(body)
    call = response.output[0]
    assert call.type == "function_call"
    assert (call.namespace, call.name, call.call_id) == ("multi_agent_v1", "wait_agent", "call_9")
    assert response.usage is not None
    assert response.usage.input_tokens_details.cached_tokens == 4
    assert body["status"] == "completed"


@pytest.mark.parametrize(("finish", "status", "reason"), [("length", "incomplete", "max_output_tokens"),
                                                          ("content_filter", "incomplete", "content_filter"),
                                                          ("stop", "completed", None)])
def test_responses_stop_reasons_map_to_status(finish: str, status: str, reason: str | None) -> None:
    chat = _chat_response(content="hi")
    chat["choices"][0]["finish_reason"] = finish
    body = translate_response(chat, source=CHAT, target=R).body
    assert body["status"] == status
    assert (body["incomplete_details"] or {}).get("reason") == reason
    back = translate_response(body, source=R, target=CHAT).body
    assert back["choices"][0]["finish_reason"] == finish


def test_responses_reasoning_output_to_anthropic_seals_the_blob_with_its_issuer() -> None:
    body = {"id": "resp_1", "object": "response", "created_at": 1, "model": "o4-mini", "status": "completed",
            "output": [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "a"},
                                                                   {"type": "summary_text", "text": "b"}],
                        "encrypted_content": ENC},
                       {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": "hi", "annotations": []}]}],
            "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5,
                      "output_tokens_details": {"reasoning_tokens": 1}}}
    anthropic = translate_response(body, source=R, target=ANTHROPIC).body
    thinking = anthropic["content"][0]
    assert thinking["thinking"] == "a\n\nb"
    # The encrypted content and the item id the Responses upstream checks, with their issuer.
    assert unseal(thinking["signature"]) == ("openai_responses", ENC, {"id": "rs_1", "summary": body["output"][0]["summary"]})
    same = translate_response(body, source=R, target=R).body
    assert same["output"][0]["summary"] == body["output"][0]["summary"]
    assert same["output"][0]["encrypted_content"] == ENC
