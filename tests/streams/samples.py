"""Hand-written sample streams covering the cases the stream runtime must handle."""

from __future__ import annotations

from .judges import (
    an_block,
    an_delta,
    an_message_delta,
    an_start,
    an_stop,
    an_text_block,
    an_tool_block,
    anthropic_sse,
    oa_chunk,
    oa_tool,
    oa_usage,
    openai_sse,
)

_ROLE = oa_chunk({"role": "assistant", "content": ""})

OPENAI_SAMPLES: dict[str, bytes] = {
    "text_unicode": openai_sse([_ROLE, *(oa_chunk({"content": p}) for p in ["Grüß ", "dich 👋🏽", " — 日本語"]),
                                oa_chunk(finish="stop"), oa_usage(9, 4, cached=2)]),
    "reasoning_then_tools": openai_sse([
        _ROLE, oa_chunk({"reasoning_content": "Need é weather."}), oa_chunk({"content": "Checking…"}),
        oa_chunk(oa_tool(0, id="call_0", name="weather")), oa_chunk(oa_tool(0, args='{"city": "Zürich"}')),
        oa_chunk(oa_tool(1, id="call_1", name="weather")), oa_chunk(oa_tool(1, args='{"city"')),
        oa_chunk(oa_tool(1, args=': "Oslo"}')), oa_chunk(finish="tool_calls"), oa_usage(50, 20)]),
    "late_arguments": openai_sse([_ROLE, oa_chunk(oa_tool(0, id="c0", name="f")),
                                  oa_chunk(oa_tool(0, args='{"x": 1}'), finish="tool_calls")]),
    "truncated": openai_sse([_ROLE, oa_chunk({"content": "cut"})], done=False),
}

ANTHROPIC_SAMPLES: dict[str, bytes] = {
    "thinking_text_tool": anthropic_sse([
        an_start(input_tokens=3, cache_read_input_tokens=7), {"type": "ping"},
        an_block(0, {"type": "thinking", "thinking": "", "signature": ""}),
        an_delta(0, {"type": "thinking_delta", "thinking": "Hmm, ünïcode 🤔"}),
        an_delta(0, {"type": "signature_delta", "signature": "c2lnbmF0dXJl"}), an_stop(0),
        *an_text_block(1, "Voilà ", "👍"),
        *an_tool_block(2, "toolu_9", "search", '{"q": ', '"naïve"}'),
        an_message_delta("tool_use", 33, input_tokens=3, cache_read_input_tokens=7)]),
    "redacted": anthropic_sse([an_start(), an_block(0, {"type": "redacted_thinking", "data": "b64=="}), an_stop(0),
                               *an_text_block(1, "ok"), an_message_delta("end_turn", 2)]),
    "error": anthropic_sse([an_start(), *an_text_block(0, "a")[:2],
                            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}],
                           stop=False),
}

SAMPLES: dict[str, tuple[str, bytes]] = {
    **{f"openai_chat/{k}": ("openai_chat", v) for k, v in OPENAI_SAMPLES.items()},
    **{f"anthropic_messages/{k}": ("anthropic_messages", v) for k, v in ANTHROPIC_SAMPLES.items()},
}
