"""The hand-written helpers the rules name (interlingua.convert.*)."""

from __future__ import annotations

import pytest

from interlingua.convert.base import leftover, merge_extras, render_path
from interlingua.convert.content import collapse_text, data_url_to_source, json_to_object, source_to_data_url
from interlingua.convert.messages import anthropic_finish_messages, openai_split_messages
from interlingua.convert.policy import DEFAULT_POLICY, Policy, budget_to_effort
from interlingua.errors import ConversionError, InvalidRequest

P = DEFAULT_POLICY


def test_helpers_render_path_spells_nested_tuples() -> None:
    assert render_path(((("", "messages"), 2), "content")) == "messages[2].content"
    assert render_path("") == ""


def test_helpers_data_url_round_trips_through_a_base64_source() -> None:
    url = "data:image/png;base64,iVBORw0KGgo="
    source = data_url_to_source(url, "", P, [])
    assert source == {"kind": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
    assert source_to_data_url(source, "", P, []) == url


def test_helpers_plain_url_stays_a_url_source() -> None:
    assert data_url_to_source("https://x/y.png", "", P, []) == {"kind": "url", "url": "https://x/y.png"}


def test_helpers_data_url_without_base64_is_invalid_naming_the_field() -> None:
    with pytest.raises(InvalidRequest) as info:
        data_url_to_source("data:text/plain,hello", ("", "image_url"), P, [])
    assert info.value.param == "image_url"


def test_helpers_images_rejected_when_policy_forbids_them() -> None:
    with pytest.raises(ConversionError):
        source_to_data_url({"kind": "url", "url": "u"}, "", Policy(allow_images=False), [])


def test_helpers_json_arguments_parse_and_reject_garbage() -> None:
    assert json_to_object('{"a": 1}', "", P, []) == {"a": 1}
    assert json_to_object("", "", P, []) == {}
    with pytest.raises(ConversionError, match="not valid JSON"):
        json_to_object("{nope", ("", "arguments"), P, [])
    with pytest.raises(ConversionError, match="JSON object"):
        json_to_object("[1]", "", P, [])


def test_helpers_collapse_text_only_for_one_plain_text_part() -> None:
    assert collapse_text([{"type": "text", "text": "hi"}], "", P, []) == "hi"
    cached = [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}}]
    assert collapse_text(cached, "", P, []) == cached


def test_helpers_budget_to_effort_uses_the_policy_table() -> None:
    assert [budget_to_effort(P, b) for b in (1024, 4000, 4001, 8000, 31999)] == ["low", "low", "medium", "medium", "high"]


def test_helpers_leftover_keeps_only_unconsumed_keys() -> None:
    known = {"usage": None, "details": {"cached": None}, "choices": {"0": {"message": None}}}
    src = {"usage": 1, "details": {"cached": 2, "audio": 3}, "choices": [{"message": {}, "logprobs": {"x": 1}}], "new": 4}
    assert leftover(src, known) == {"details": {"audio": 3}, "choices": [{"logprobs": {"x": 1}}], "new": 4}


def test_helpers_merge_extras_is_deep_and_warns_only_for_other_formats() -> None:
    out = {"choices": [{"message": {"role": "assistant"}}], "max_tokens": 5}
    warnings: list[str] = []
    extras = {"openai_chat": {"choices": [{"message": {"annotations": []}}]},
              "anthropic_messages": {"context_management": {}, "max_tokens": 5}}
    merge_extras(extras, out, "openai_chat", "", warnings)
    assert out["choices"][0]["message"] == {"role": "assistant", "annotations": []}
    assert warnings == ["context_management dropped: anthropic_messages field with no openai_chat counterpart"]


def test_helpers_anthropic_finish_hoists_leading_system_and_merges_roles() -> None:
    out = {"messages": [
        {"role": "system", "content": "rules"},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "a", "content": "1"}]},
        {"role": "user", "content": "next"},
        {"role": "assistant", "content": "ok"},
        {"role": "system", "content": "later, stays"},
    ]}
    anthropic_finish_messages({}, out, "", P, [])
    assert out["system"] == "rules"
    assert [m["role"] for m in out["messages"]] == ["user", "assistant", "system"]
    assert out["messages"][0]["content"] == [
        {"type": "tool_result", "tool_use_id": "a", "content": "1"}, {"type": "text", "text": "next"}]


def test_helpers_openai_split_makes_tool_messages_and_moves_images() -> None:
    image = {"type": "image_url", "image_url": {"url": "u"}}
    messages = [{"role": "user", "content": [
        {"type": "tool_result", "tool_call_id": "c1", "content": [{"type": "text", "text": "r"}, image]},
        {"type": "text", "text": "and?"},
    ]}]
    warnings: list[str] = []
    out = openai_split_messages(messages, "", P, warnings)
    assert out == [
        {"role": "tool", "tool_call_id": "c1", "content": "r"},
        {"role": "user", "content": [image]},
        {"role": "user", "content": "and?"},
    ]
    assert warnings == ["tool result images moved to a user message: openai_chat tool messages hold text only"]


def test_helpers_warnings_are_header_safe() -> None:
    from interlingua.convert.base import warn

    warnings: list[str] = []
    warn(warnings, "x\r\nSet-Cookie: a=b dropped: é")
    assert warnings == ["x??Set-Cookie: a=b dropped: ?"]
