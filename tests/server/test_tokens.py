"""Unit tests of the local input-token estimate (server/tokens.py).

The expected counts are cl100k_base counts measured once with tiktoken and a
local copy of its BPE table (it cannot be downloaded here); the estimate must
stay within [0.8, 1.4] of them. (Kept under tests/e2e/ because this workstream
owns that folder; it belongs in tests/server/ once that exists.)
"""

from __future__ import annotations

import pytest

from interlingua.server.tokens import (
    DOCUMENT_TOKENS,
    IMAGE_TOKENS,
    estimate_input_tokens,
    estimate_text_tokens,
)

CALIBRATION = [  # (text, cl100k_base tokens)
    (
        "The quick brown fox jumps over the lazy dog. Interlingua translates between wire formats, "
        "streaming included, and never buffers a whole stream. " * 10,
        281,
    ),
    (
        "def estimate(body: dict[str, Any]) -> int:\n    return sum(len(v) for v in body.values()) // 4  # rough\n"
        * 10,
        310,
    ),
    (
        "日本語のテキストはトークンが多くなります。中文文本也是如此。한국어 텍스트도 마찬가지입니다。" * 10,
        440,
    ),
    ("Привет, как дела? Это тестовый текст на русском языке для оценки количества токенов. " * 10, 381),
    ("🎉🚀 launch! ✅ done 👍" * 10, 130),
]
TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"location": {"type": "string"}},
        "required": ["location"],
    },
}


@pytest.mark.parametrize(("text", "expected"), CALIBRATION)
def test_tokens_text_estimate_near_cl100k(text: str, expected: int) -> None:
    assert 0.8 <= estimate_text_tokens(text) / expected <= 1.4


def test_tokens_empty_text_is_zero_but_request_is_not() -> None:
    assert estimate_text_tokens("") == 0
    assert estimate_input_tokens({"messages": [{"role": "user", "content": ""}]}, "anthropic_messages") > 0


def test_tokens_count_system_messages_and_tools() -> None:
    base = {"messages": [{"role": "user", "content": "What is the weather in Paris?"}]}
    plain = estimate_input_tokens(base, "anthropic_messages")
    with_system = estimate_input_tokens({**base, "system": "You are terse. " * 20}, "anthropic_messages")
    with_tool = estimate_input_tokens({**base, "tools": [TOOL]}, "anthropic_messages")
    assert with_system >= plain + 60
    assert with_tool >= plain + 20


def test_tokens_same_request_similar_in_both_formats() -> None:
    anthropic = {
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello there, how are you?"}]}],
        "tools": [TOOL],
    }
    openai = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hello there, how are you?"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": TOOL["name"],
                    "description": TOOL["description"],
                    "parameters": TOOL["input_schema"],
                },
            }
        ],
    }
    a, o = (
        estimate_input_tokens(anthropic, "anthropic_messages"),
        estimate_input_tokens(openai, "openai_chat"),
    )
    assert abs(a - o) <= 4


def test_tokens_images_have_fixed_cost_not_their_base64_size() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 100_000}}
    body = {"messages": [{"role": "user", "content": [image, {"type": "text", "text": "what is this?"}]}]}
    n = estimate_input_tokens(body, "anthropic_messages")
    assert IMAGE_TOKENS < n < IMAGE_TOKENS + 30
    oai = {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 9999}}],
    }
    assert IMAGE_TOKENS <= estimate_input_tokens({"messages": [oai]}, "openai_chat") < IMAGE_TOKENS + 20


def test_tokens_tool_history_counts_arguments_and_results() -> None:
    body = {
        "messages": [
            {"role": "user", "content": "weather?"},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": "t1",
                        "name": "get_weather",
                        "input": {"location": "Paris " * 30},
                    }
                ],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "sunny " * 40}],
            },
        ]
    }
    assert estimate_input_tokens(body, "anthropic_messages") > 60


def test_tokens_rejects_unknown_format() -> None:
    with pytest.raises(ValueError, match="no token estimate"):
        estimate_input_tokens({}, "cohere_chat")


def test_tokens_gemini_and_responses_count_like_anthropic() -> None:
    """The same conversation in three formats gets estimates within a few tokens."""
    prose = "The quick brown fox jumps over the lazy dog. " * 20
    schema = {"type": "object", "properties": {"city": {"type": "string"}}}
    anthropic = {
        "system": "be brief",
        "messages": [{"role": "user", "content": prose}],
        "tools": [{"name": "weather", "description": "get weather", "input_schema": schema}],
    }
    gemini = {
        "systemInstruction": {"parts": [{"text": "be brief"}]},
        "contents": [{"role": "user", "parts": [{"text": prose}]}],
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "weather", "description": "get weather", "parametersJsonSchema": schema}
                ]
            }
        ],
    }
    responses = {
        "instructions": "be brief",
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": prose}]}],
        "tools": [
            {"type": "function", "name": "weather", "description": "get weather", "parameters": schema}
        ],
    }
    base = estimate_input_tokens(anthropic, "anthropic_messages")
    for body, fmt in ((gemini, "gemini"), (responses, "openai_responses")):
        assert abs(estimate_input_tokens(body, fmt) - base) <= 6, fmt
    plain = estimate_input_tokens({"messages": [{"role": "user", "content": prose}]}, "anthropic_messages")
    assert abs(estimate_input_tokens({"input": prose}, "openai_responses") - plain) <= 2


def test_tokens_gemini_media_parts() -> None:
    image = {"inlineData": {"mimeType": "image/png", "data": "iVBOR" * 1000}}
    pdf = {"fileData": {"mimeType": "application/pdf", "fileUri": "gs://x/y.pdf"}}
    body = {"contents": [{"role": "user", "parts": [image, pdf, {"text": "what is this"}]}]}
    count = estimate_input_tokens(body, "gemini")
    assert IMAGE_TOKENS + DOCUMENT_TOKENS < count < IMAGE_TOKENS + DOCUMENT_TOKENS + 30
