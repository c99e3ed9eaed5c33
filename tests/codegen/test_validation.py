"""interlingua.validation: real bodies pass; bad ones raise InvalidRequest naming the first offending field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from interlingua.errors import InvalidRequest
from interlingua.validation import validate

ANTHROPIC_REQUEST: dict[str, Any] = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 1024,
    "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "messages": [
        {"role": "user", "content": "What is in this PDF?"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "Look it up.", "signature": "EqQBCkYIARgCIkDx"},
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix"},
                {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "pdf"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "is_error": False,
                    "content": [
                        {"type": "text", "text": "found"},
                        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                    ],
                },
                {
                    "type": "document",
                    "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0x"},
                    "title": "Report",
                    "context": "Q3",
                    "citations": {"enabled": True},
                },
                {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "plain"}},
                {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}},
            ],
        },
    ],
    "tools": [
        {"name": "lookup", "description": "Find", "input_schema": {"type": "object"}, "defer_loading": True},
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 3},
    ],
    "tool_choice": {"type": "auto", "disable_parallel_tool_use": True},
    "thinking": {"type": "adaptive", "display": "summarized"},
    "output_config": {"effort": "high", "format": {"type": "json_schema", "schema": {"type": "object"}}},
    "metadata": {"user_id": "u-1"},
    "stop_sequences": ["END"],
    "temperature": 1,
    "top_p": 0.9,
    "top_k": 40,
    "stream": True,
    "service_tier": "auto",
    "context_management": {"edits": [{"type": "clear_tool_uses_20250919"}]},
}

OPENAI_REQUEST: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBO", "detail": "low"}},
                {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}},
                {
                    "type": "file",
                    "file": {"file_data": "data:application/pdf;base64,JVBE", "filename": "a.pdf"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "reasoning_content": "thinking...",
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "ok"},
    ],
    "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": True}}
    ],
    "tool_choice": {"type": "function", "function": {"name": "f"}},
    "parallel_tool_calls": False,
    "reasoning_effort": "low",
    "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}, "strict": True}},
    "stop": ["a", "b"],
    "temperature": 0.2,
    "max_completion_tokens": 100,
    "metadata": {"k": "v"},
    "user": "u",
    "stream": True,
    "stream_options": {"include_usage": True},
    "n": 1,
    "seed": 7,
    "logprobs": True,
    "top_logprobs": 2,
    "prediction": {"type": "content", "content": "draft"},
    "service_tier": "flex",
    "store": False,
}


@pytest.mark.parametrize(
    ("fmt", "kind", "body"),
    [
        ("anthropic_messages", "request", ANTHROPIC_REQUEST),
        ("openai_chat", "request", OPENAI_REQUEST),
        ("openai_chat", "request", {"model": "m", "messages": [], "tool_choice": "required", "stop": "x"}),
        ("anthropic_messages", "count_tokens_request", {"model": "m", "messages": [], "system": "s"}),
        ("anthropic_messages", "count_tokens_response", {"input_tokens": 12}),
        ("anthropic_messages", "stream_event", {"type": "ping"}),
        (
            "anthropic_messages",
            "stream_event",
            {"type": "error", "error": {"type": "overloaded_error", "message": "o"}},
        ),
        (
            "openai_chat",
            "error",
            {"error": {"message": "m", "type": "invalid_request_error", "param": None, "code": None}},
        ),
        ("openai_chat", "stream_event", {"error": {"message": "m", "type": "server_error"}}),
    ],
)
def test_validation_accepts_complete_bodies(fmt: str, kind: str, body: dict[str, Any]) -> None:
    validate(fmt, kind, body)


@pytest.mark.parametrize(
    "error_type",
    [
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "rate_limit_error",
        "api_error",
        "timeout_error",
        "overloaded_error",
    ],
)
def test_validation_accepts_every_anthropic_error_type(error_type: str) -> None:
    validate(
        "anthropic_messages",
        "error",
        {"type": "error", "error": {"type": error_type, "message": "m"}, "request_id": "r"},
    )


def _anthropic(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(ANTHROPIC_REQUEST)
    *parents, last = path.split(".")
    node: Any = body
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return body


@pytest.mark.parametrize(
    ("body", "param", "fragments"),
    [
        (
            _anthropic("messages.2.content.0", {"type": "imagee"}),
            "messages[2].content[0]",
            ["unknown type 'imagee'", "expected one of text, image, document"],
        ),
        (_anthropic("messages.2.content.1.type", "tool_result"), "messages[2].content[1].tool_use_id", None),
        (
            _anthropic("messages.0.role", "bot"),
            "messages[0].role",
            ["'user', 'assistant' or 'system'", "got 'bot'"],
        ),
        (
            _anthropic("messages.0.content", 5),
            "messages[0].content",
            ["expected a string or a list", "got 5"],
        ),
        (_anthropic("max_tokens", "5"), "max_tokens", ["got '5'"]),
        (_anthropic("messages.1.content.0.signature", 5), "messages[1].content[0].signature", ["a string"]),
        (
            _anthropic("messages.2.content.1.source.media_type", "application/msword"),
            "messages[2].content[1].source.media_type",
            ["application/pdf"],
        ),
        (_anthropic("thinking", {"type": "enabled"}), "thinking.budget_tokens", ["required field missing"]),
        (_anthropic("tool_choice", {"type": "sometimes"}), "tool_choice", ["unknown type 'sometimes'"]),
        (_anthropic("tools.0", {"name": "x"}), "tools[0].input_schema", ["required field missing"]),
        (_anthropic("system", 3), "system", ["expected a string or a list"]),
    ],
)
def test_validation_names_the_offending_anthropic_field(
    body: dict[str, Any], param: str, fragments: list[str] | None
) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate("anthropic_messages", "request", body)
    assert caught.value.param == param
    assert caught.value.status == 400
    assert caught.value.message.startswith(f"{param}: ")
    for fragment in fragments or []:
        assert fragment in caught.value.message


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"model": "m"}, "messages", "required field missing"),
        ({"model": "m", "messages": [{"role": "usr", "content": "x"}]}, "messages[0]", "unknown role 'usr'"),
        (
            {
                "model": "m",
                "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            },
            "messages[0].content[0].image_url.url",
            "required field missing",
        ),
        (
            {"model": "m", "messages": [{"role": "tool", "content": "x"}]},
            "messages[0].tool_call_id",
            "missing",
        ),
        (
            {"model": "m", "messages": [], "tool_choice": "maybe"},
            "tool_choice",
            "'none', 'auto' or 'required'",
        ),
        ({"model": "m", "messages": [], "metadata": {"a b": 1}}, "metadata['a b']", "a string"),
        (
            {"model": "m", "messages": [], "response_format": {"type": "yaml"}},
            "response_format",
            "unknown type 'yaml'",
        ),
        ([1], None, "body: expected an object"),
    ],
)
def test_validation_names_the_offending_openai_field(body: Any, param: str | None, fragment: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate("openai_chat", "request", body)
    assert caught.value.param == param
    assert fragment in caught.value.message


def test_validation_tells_a_tag_from_a_key_of_the_same_name() -> None:
    # {"type": "error", "error": {...}}: "error" is both the union tag of the event and a field
    with pytest.raises(InvalidRequest) as caught:
        validate("anthropic_messages", "stream_event", {"type": "error", "error": {"type": "api_error"}})
    assert caught.value.param == "error.message"
    with pytest.raises(InvalidRequest) as caught:
        validate("anthropic_messages", "error", {"type": "error", "error": {"type": "api_error"}})
    assert caught.value.param == "error.message"
    with pytest.raises(InvalidRequest) as caught:
        validate(
            "anthropic_messages",
            "stream_event",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta"}},
        )
    assert caught.value.param == "delta.text"
