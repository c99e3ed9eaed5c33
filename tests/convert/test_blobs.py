"""Blobs back to their issuer (convert/blobs.py, streams/blobs.py): sealed for a client of
another format, opened when it comes back, sent only to an upstream of the issuer's format."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from interlingua.convert.blobs import carries_envelope, open_part, seal, seal_part, unseal
from interlingua.streams import StreamTranslator
from interlingua.translate import Format, translate_request, translate_response

FIXTURES = Path(__file__).parent.parent.parent / "fixtures"
AN, RE, GE, BE, OA = (Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.GEMINI,
                      Format.BEDROCK_CONVERSE, Format.OPENAI_CHAT)
SIG = "EugCCkAICxgCKkBuc3JH30R6+/g6SuCxP9Mv4kr5H4ebWtZReEDBgnBJf/Feb=="


def test_seal_is_stable_base64_and_reversible() -> None:
    sealed = seal("anthropic_messages", SIG)
    assert sealed == seal("anthropic_messages", SIG)
    assert base64.b64encode(base64.b64decode(sealed)).decode() == sealed  # canonical: bytes clients keep it
    assert unseal(sealed) == ("anthropic_messages", SIG, None)
    assert unseal(seal("openai_responses", "gAAA", {"id": "rs_1"})) == ("openai_responses", "gAAA", {"id": "rs_1"})


def test_unseal_accepts_the_url_safe_alphabet_and_missing_padding() -> None:
    sealed = seal("gemini", SIG + "???>>>")
    urlsafe = sealed.replace("+", "-").replace("/", "_").rstrip("=")
    assert unseal(urlsafe) == ("gemini", SIG + "???>>>", None)


@pytest.mark.parametrize("value", [SIG, "", None, 3, "aWxnc2lnbm90IGpzb24=", "aWxnc2ln!!!"])
def test_anything_else_is_not_an_envelope(value: Any) -> None:
    assert unseal(value) is None
    assert open_part({"type": "thinking", "text": "t", "signature": value}) == {
        "type": "thinking", "text": "t", "signature": value}


def test_only_another_formats_blob_is_sealed() -> None:
    own = {"type": "thinking", "text": "t", "signature": SIG, "signature_format": "anthropic_messages"}
    assert seal_part("anthropic_messages", own) is own
    unsigned = {"type": "thinking", "text": "t"}
    assert seal_part("gemini", unsigned) is unsigned
    sealed = seal_part("gemini", own)
    assert sealed["signature_format"] == "gemini"
    assert open_part(sealed) == own


def _anthropic_response(content: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude", "content": content,
            "stop_reason": "tool_use", "usage": {"input_tokens": 1, "output_tokens": 1}}


_TURN = [
    {"type": "thinking", "thinking": "Paris, then.", "signature": SIG},
    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
]


def _responses_client_next_turn(model_output: list[dict[str, Any]]) -> dict[str, Any]:
    call = next(i for i in model_output if i["type"] == "function_call")
    return {"model": "m", "include": ["reasoning.encrypted_content"], "reasoning": {"effort": "low"},
            "input": [{"role": "user", "content": "weather?"}, *model_output,
                      {"type": "function_call_output", "call_id": call["call_id"], "output": "21C"}]}


def test_a_responses_client_carries_anthropics_signature_back_to_anthropic_only() -> None:
    output = translate_response(_anthropic_response(_TURN), source=AN, target=RE).body["output"]
    reasoning = output[0]
    assert reasoning["type"] == "reasoning"
    assert unseal(reasoning["encrypted_content"]) == ("anthropic_messages", SIG, None)
    body = _responses_client_next_turn(output)
    to_anthropic = translate_request(body, source=RE, target=AN)
    assistant = to_anthropic.body["messages"][1]["content"]
    assert assistant[0] == {"type": "thinking", "thinking": "Paris, then.", "signature": SIG}
    assert "thinking" in to_anthropic.body  # the tool loop keeps thinking on: its turn starts signed
    to_gemini = translate_request(body, source=RE, target=GE)
    assert SIG not in orjson.dumps(to_gemini.body).decode()
    assert "thinking dropped: Gemini takes back only its own thought parts" in to_gemini.warnings


def test_an_anthropic_client_carries_encrypted_reasoning_and_its_item_id_back_to_responses() -> None:
    body = {"id": "resp_1", "object": "response", "created_at": 1, "model": "o4-mini", "status": "completed",
            "output": [{"type": "reasoning", "id": "rs_7", "summary": [], "encrypted_content": "gAAAAenc"},
                       {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "f", "arguments": "{}"}]}
    content = translate_response(body, source=RE, target=AN).body["content"]
    request = {"model": "m", "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024},
               "messages": [{"role": "user", "content": "go"}, {"role": "assistant", "content": content},
                            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": content[1]["id"],
                                                          "content": "ok"}]}]}
    items = translate_request(request, source=AN, target=RE).body["input"]
    assert {"type": "reasoning", "id": "rs_7", "summary": [], "encrypted_content": "gAAAAenc"} in items


def test_a_body_holding_an_envelope_is_not_passed_through() -> None:
    assert carries_envelope(orjson.dumps({"signature": seal("gemini", SIG)}))
    assert not carries_envelope(orjson.dumps({"signature": SIG}))


def _stream(raw: bytes, source: Format, target: Format) -> bytes:
    translator = StreamTranslator(source=source, target=target)
    out = [translator.feed(raw[i : i + 17]) for i in range(0, len(raw), 17)]
    return b"".join([*out, translator.finish()])


@pytest.mark.parametrize("target", [RE, GE, BE])
def test_a_streamed_signature_reaches_the_client_sealed_whole(target: Format) -> None:
    raw = (FIXTURES / "anthropic_messages/thinking/stream.sse").read_bytes()
    original = re.search(rb'"signature":"([^"]+)"', raw)
    assert original is not None
    out = _stream(raw, AN, target)
    if target is BE:  # event-stream frames: look for the envelope's base64 in the payloads
        sealed = re.findall(rb'"signature":"(aWxnc2ln[^"]+)"', out)
    else:
        sealed = re.findall(rb'"(?:encrypted_content|thoughtSignature)":"(aWxnc2ln[^"]+)"', out)
    assert sealed
    assert {unseal(s.decode()) for s in sealed} == {("anthropic_messages", original[1].decode(), None)}


def test_a_chat_client_gets_no_envelope() -> None:
    raw = (FIXTURES / "anthropic_messages/thinking/stream.sse").read_bytes()
    assert b"aWxnc2ln" not in _stream(raw, AN, OA)
