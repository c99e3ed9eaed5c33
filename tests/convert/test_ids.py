"""Native ids: a client sees the upstream's ids in its own style, and sending them back
gives the upstream its own original ids (runtime/convert/ids.py; no gateway state)."""

from __future__ import annotations

from itertools import permutations
from typing import Any

import pytest
from conformance.corpus import FIXTURES
from conformance.sse import parse_sse

from interlingua.convert.ids import NATIVE_IDS, unwrap
from interlingua.convert.policy import DEFAULT_POLICY
from interlingua.translate import Format, StreamTranslator, converter, translate_request, translate_response

JSON = dict[str, Any]
_TOOL_PREFIX = {fmt: style.tool for fmt, style in NATIVE_IDS.items()}
_MESSAGE_PREFIX = {Format.ANTHROPIC_MESSAGES: "msg_", Format.OPENAI_CHAT: "chatcmpl-",
                   Format.OPENAI_RESPONSES: "resp_"}


def _fixture(fmt: Format, name: str) -> JSON:
    import orjson

    value: JSON = orjson.loads((FIXTURES / fmt.value / name / "response.json").read_bytes())
    return value


def _tool_calls(fmt: Format, body: JSON) -> list[JSON]:
    """The tool calls of a response body, read by the generated converter alone (no unwrapping)."""
    ir = converter(fmt).response_to_ir(body, DEFAULT_POLICY, [])
    return [p for p in ir.get("content") or () if p.get("type") == "tool_call"]


def _follow_up(client: Format, calls: list[JSON]) -> JSON:
    """What a client of ``client`` sends next: its history with the calls and their results."""
    ir = {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "weather?"}]},
        {"role": "assistant", "content": calls},
        {"role": "tool", "content": [{"type": "tool_result", "tool_call_id": c["id"], "name": c["name"],
                                      "content": [{"type": "text", "text": "sunny"}]} for c in calls]},
    ]}
    body: JSON = converter(client).request_from_ir(ir, DEFAULT_POLICY, [])
    return body


def _upstream_ids(upstream: Format, body: JSON) -> tuple[list[Any], list[Any]]:
    """(tool call ids, tool result ids) the upstream receives, read without unwrapping."""
    if upstream is Format.GEMINI:  # the wire's own (optional) ids: reading would invent gcall-<n>
        parts = [p for c in body["contents"] for p in c["parts"]]
        return ([p["functionCall"].get("id") for p in parts if "functionCall" in p],
                [p["functionResponse"].get("id") for p in parts if "functionResponse" in p])
    ir = converter(upstream).request_to_ir(body, DEFAULT_POLICY, [])
    parts = [p for m in ir["messages"] for p in m.get("content") or ()]
    return ([p["id"] for p in parts if p["type"] == "tool_call"],
            [p["tool_call_id"] for p in parts if p["type"] == "tool_result"])


PAIRS = [pytest.param(up, client, id=f"{up.value}-to-{client.value}") for up, client in permutations(Format, 2)]


@pytest.mark.parametrize(("upstream", "client"), PAIRS)
def test_ids_tool_call_ids_go_back_to_their_upstream_unchanged(upstream: Format, client: Format) -> None:
    answer = _fixture(upstream, "tools_parallel")
    original = [c["id"] for c in _tool_calls(upstream, answer)]
    if upstream is Format.GEMINI:  # ids as Gemini issued them (none: the IR's gcall-<n> go back as none)
        original = [p["functionCall"].get("id") for p in answer["candidates"][0]["content"]["parts"]
                    if "functionCall" in p]
    seen = _tool_calls(client, translate_response(answer, source=upstream, target=client).body)
    assert len(seen) == len(original) == 2
    prefix = _TOOL_PREFIX[client.value]
    for call in seen:
        assert prefix is None or call["id"].startswith(prefix), call["id"]
    sent = translate_request(_follow_up(client, seen), source=client, target=upstream, model="m").body
    calls, results = _upstream_ids(upstream, sent)
    assert calls == original
    assert results == original


@pytest.mark.parametrize(("upstream", "client"), [p for p in PAIRS if p.values[1] in _MESSAGE_PREFIX])
def test_ids_response_id_in_the_clients_style(upstream: Format, client: Format) -> None:
    body = translate_response(_fixture(upstream, "text_basic"), source=upstream, target=client).body
    assert str(body["id"]).startswith(_MESSAGE_PREFIX[client])


def test_ids_gemini_response_id_is_base64url_of_the_original() -> None:
    body = translate_response(_fixture(Format.ANTHROPIC_MESSAGES, "text_basic"), source=Format.ANTHROPIC_MESSAGES,
                              target=Format.GEMINI).body
    import base64

    original = _fixture(Format.ANTHROPIC_MESSAGES, "text_basic")["id"]
    assert base64.urlsafe_b64decode(body["responseId"] + "==").decode() == original


def test_ids_streamed_tool_calls_are_restyled_the_same_way() -> None:
    raw = (FIXTURES / "anthropic_messages" / "tools_single" / "stream.sse").read_bytes()
    translator = StreamTranslator(source=Format.ANTHROPIC_MESSAGES, target=Format.OPENAI_CHAT)
    out = translator.feed(raw) + translator.finish()
    chunks = [e.json() for e in parse_sse(out) if e.data != "[DONE]"]
    ids = [c["id"] for chunk in chunks for choice in chunk["choices"]
           for c in choice["delta"].get("tool_calls") or () if "id" in c]
    assert ids
    assert all(i.startswith("call_ilg_toolu_") for i in ids)
    assert {chunk["id"] for chunk in chunks} == {"chatcmpl-ilg_" + chunks[0]["id"].removeprefix("chatcmpl-ilg_")}


@pytest.mark.parametrize(
    ("given", "expected"),
    [("call_ilg_toolu_01A", "toolu_01A"), ("toolu_ilg_call_x-y", "call_x-y"), ("toolu_01A", "toolu_01A"),
     ("call_abc", "call_abc"), ("my-own-id", "my-own-id"), ("toolu_ilb_!!!", "toolu_ilb_!!!"), (None, None)],
)
def test_ids_unwrap(given: Any, expected: Any) -> None:
    assert unwrap(given) == expected


def test_ids_unsafe_characters_are_wrapped_in_base64url() -> None:
    style = NATIVE_IDS["anthropic_messages"]
    wrapped = style.tool_id("fn/1 é")
    assert wrapped.startswith("toolu_ilb_")
    assert wrapped.isascii()
    assert unwrap(wrapped) == "fn/1 é"
    assert style.tool_id("toolu_bdrk_01A") == "toolu_bdrk_01A"  # already in the client's style
