"""A Gemini function call's own signature, carried by a client of another format
(convert/blobs.py, streams/blobs.py): an empty thinking part before the call, sealed with
the call's id, put back on that very functionCall part on the next turn."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from interlingua.convert.blobs import carries_call_signatures, seal, take_call_signatures, unseal
from interlingua.streams import StreamTranslator
from interlingua.streams.blobs import SealedBlobs
from interlingua.streams.events import EventCollector
from interlingua.translate import Format, translate_request, translate_response

AN, RE, GE, BE, OA = (Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.GEMINI,
                      Format.BEDROCK_CONVERSE, Format.OPENAI_CHAT)
CALL_SIG, THOUGHT_SIG = "Q2FsbFNpZw==", "VGhvdWdodA=="
INCLUDE = {"include": ["reasoning.encrypted_content"]}
JSON = dict[str, Any]


def _call(i: int, signature: str | None = None) -> JSON:
    part: JSON = {"functionCall": {"id": f"fc_{i}", "name": "get_weather", "args": {"city": "Paris"}}}
    if signature:
        part["thoughtSignature"] = signature
    return part


def _gemini_answer(*parts: JSON) -> JSON:
    return {"responseId": "r1", "modelVersion": "gemini-3-pro", "candidates": [
        {"index": 0, "finishReason": "STOP", "content": {"role": "model", "parts": list(parts)}}]}


ANSWER = _gemini_answer({"text": "hmm", "thought": True, "thoughtSignature": THOUGHT_SIG},
                        _call(0, CALL_SIG), _call(1))


def test_who_carries_call_signatures() -> None:
    assert carries_call_signatures("anthropic_messages")
    assert carries_call_signatures("bedrock_converse")
    assert carries_call_signatures("openai_responses")  # include or not: encrypted_content by default
    assert carries_call_signatures("openai_chat")  # in the call's id
    assert not carries_call_signatures("gemini")  # its own: on the functionCall part


def _anthropic_turn() -> list[JSON]:
    return list(translate_response(ANSWER, source=GE, target=AN).body["content"])


def test_an_anthropic_client_gets_an_empty_thinking_block_before_the_signed_call_only() -> None:
    blocks = _anthropic_turn()
    assert [b["type"] for b in blocks] == ["thinking", "thinking", "tool_use", "tool_use"]
    carrier = blocks[1]
    assert carrier["thinking"] == ""
    # The issuer's call id (not the restyled toolu_ one the client sees) names the call.
    assert unseal(carrier["signature"]) == ("gemini", CALL_SIG, {"call": "fc_0"})
    assert blocks[2]["id"] != "fc_0"


def _anthropic_next_turn(blocks: list[JSON]) -> JSON:
    uses = [b for b in blocks if b["type"] == "tool_use"]
    return {"model": "m", "max_tokens": 100, "thinking": {"type": "enabled", "budget_tokens": 50}, "messages": [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": u["id"], "content": "sunny"}
                                     for u in uses]}]}


def test_the_signature_goes_back_onto_its_call_and_the_carrier_is_gone() -> None:
    out = translate_request(_anthropic_next_turn(_anthropic_turn()), source=AN, target=GE)
    model = out.body["contents"][1]["parts"]
    assert model == [{"text": "hmm", "thought": True, "thoughtSignature": THOUGHT_SIG},
                     {**_call(0, CALL_SIG)}, _call(1)]
    assert not out.warnings


def test_the_signature_follows_the_call_id_not_its_position() -> None:
    blocks = _anthropic_turn()
    blocks[2], blocks[3] = blocks[3], blocks[2]  # a client that reorders its calls
    model = translate_request(_anthropic_next_turn(blocks), source=AN, target=GE).body["contents"][1]["parts"]
    signed = {p["functionCall"]["id"]: p.get("thoughtSignature") for p in model if "functionCall" in p}
    assert signed == {"fc_0": CALL_SIG, "fc_1": None}  # a step with a real signature gets no dummy


@pytest.mark.parametrize("target", [AN, OA, RE, BE])
def test_the_carried_signature_never_reaches_another_upstream(target: Format) -> None:
    out = translate_request(_anthropic_next_turn(_anthropic_turn()), source=AN, target=target, model="m")
    raw = orjson.dumps(out.body)
    assert CALL_SIG.encode() not in raw
    assert b"aWxnc2ln" not in raw


def test_a_bedrock_client_gets_an_empty_reasoning_text_with_the_signature() -> None:
    content = translate_response(ANSWER, source=GE, target=BE).body["output"]["message"]["content"]
    carrier = content[1]["reasoningContent"]["reasoningText"]
    assert carrier["text"] == ""
    assert unseal(carrier["signature"]) == ("gemini", CALL_SIG, {"call": "fc_0"})
    assert "toolUse" in content[2]


@pytest.mark.parametrize("request_body", [INCLUDE, {}, None], ids=["include", "no-include", "no-request"])
def test_a_responses_client_gets_a_reasoning_item_whether_or_not_it_asked_for_encrypted_content(
    request_body: JSON | None,
) -> None:
    """As OpenAI populates encrypted_content by default (its published ReasoningItem schema)."""
    output = translate_response(ANSWER, source=GE, target=RE, request=request_body).body["output"]
    assert [i["type"] for i in output] == ["reasoning", "reasoning", "function_call", "function_call"]
    assert output[1]["summary"] == []
    assert unseal(output[1]["encrypted_content"]) == ("gemini", CALL_SIG, {"call": "fc_0"})
    assert unseal(output[0]["encrypted_content"]) == ("gemini", THOUGHT_SIG, None)  # the thought's, alike


def test_a_responses_client_carries_it_back() -> None:
    output = translate_response(ANSWER, source=GE, target=RE, request=INCLUDE).body["output"]
    outputs = [{"type": "function_call_output", "call_id": i["call_id"], "output": "sunny"}
               for i in output if i["type"] == "function_call"]
    body = {"model": "m", "input": [{"role": "user", "content": "weather?"}, *output, *outputs], **INCLUDE}
    model = translate_request(body, source=RE, target=GE).body["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in model] == [THOUGHT_SIG, CALL_SIG, None]


def _chat_turn() -> JSON:
    return dict(translate_response(ANSWER, source=GE, target=OA).body["choices"][0]["message"])


def test_a_chat_client_gets_the_signature_sealed_in_its_call_id() -> None:
    signed, unsigned = _chat_turn()["tool_calls"]
    assert signed["id"].startswith("call_aWxnc2ln")
    assert "=" not in signed["id"]  # the URL-safe alphabet, no padding: an id's characters
    assert unseal(signed["id"].removeprefix("call_")) == ("gemini", CALL_SIG, {"call": "fc_0"})
    assert unsigned["id"] == "call_ilg_fc_1"  # an unsigned call: restyled as any id


def _chat_next_turn(message: JSON) -> JSON:
    results = [{"role": "tool", "tool_call_id": c["id"], "content": "sunny"} for c in message["tool_calls"]]
    return {"model": "m", "messages": [{"role": "user", "content": "weather?"}, message, *results]}


def test_a_chat_client_carries_it_back_in_the_id_and_its_tool_result_names_the_original() -> None:
    out = translate_request(_chat_next_turn(_chat_turn()), source=OA, target=GE)
    contents = out.body["contents"]
    calls = [p for p in contents[1]["parts"] if "functionCall" in p]
    assert [(p["functionCall"]["id"], p.get("thoughtSignature")) for p in calls] == [("fc_0", CALL_SIG), ("fc_1", None)]
    answers = [p["functionResponse"]["id"] for p in contents[2]["parts"]]
    assert answers == ["fc_0", "fc_1"]


def test_a_chat_call_id_never_reaches_another_upstream_sealed() -> None:
    body = _chat_next_turn(_chat_turn())
    for target in (OA, AN, RE, BE):
        raw = orjson.dumps(translate_request(body, source=OA, target=target, model="m").body)
        assert b"aWxnc2ln" not in raw
        assert CALL_SIG.encode() not in raw
    chat = translate_request(body, source=OA, target=OA, model="m").body
    assert [c["id"] for c in chat["messages"][1]["tool_calls"]] == ["fc_0", "fc_1"]  # OpenAI: ids <= 40


def test_a_call_signature_the_call_already_holds_is_kept() -> None:
    carrier = {"type": "thinking", "text": "", "signature": "other", "signature_format": "gemini",
               "extras": {"gemini": {"call": "fc_0"}}}
    call = {"type": "tool_call", "id": "fc_0", "name": "f", "arguments": "{}",
            "extras": {"gemini": {"thoughtSignature": "own"}}}
    ir = {"messages": [{"role": "assistant", "content": [carrier, call]}]}
    assert take_call_signatures(ir, "gemini")["messages"][0]["content"] == [call]
    untouched = {"messages": [{"role": "assistant", "content": [call]}]}
    assert take_call_signatures(untouched, "gemini") is untouched


def _sse(*chunks: JSON) -> list[bytes]:
    return [b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in chunks]


def test_a_streamed_call_signature_comes_in_a_block_before_the_call_within_the_same_chunk() -> None:
    """Never held across chunks: the call's part yields the carrier and the call together."""
    thought = _gemini_answer({"text": "hmm", "thought": True})
    del thought["candidates"][0]["finishReason"]
    chunks = _sse(thought,
                  {**_gemini_answer(_call(0, CALL_SIG)), "usageMetadata": {"promptTokenCount": 1}})
    translator = StreamTranslator(source=GE, target=AN)
    first = translator.feed(chunks[0])
    assert b"thinking_delta" in first
    assert b'"type":"tool_use"' not in first
    second = translator.feed(chunks[1])
    events = [orjson.loads(line[6:]) for line in second.split(b"\n") if line.startswith(b"data: ")]
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["thinking", "tool_use"]
    signature = next(e["delta"]["signature"] for e in events if e.get("delta", {}).get("type") == "signature_delta")
    assert unseal(signature) == ("gemini", CALL_SIG, {"call": "fc_0"})


def test_sealed_blobs_write_the_carrier_before_the_call_without_holding_it() -> None:
    collector = EventCollector()
    sink = SealedBlobs(collector, "anthropic_messages", "thoughtSignature", None, calls=True)  # type: ignore[arg-type]
    sink.block_start(0, {"type": "tool_call", "id": "fc_0", "name": "f",
                         "extras": {"gemini": {"thoughtSignature": CALL_SIG}}})
    sink.block_start(1, {"type": "tool_call", "id": "fc_1", "name": "f"})  # an unsigned call: no carrier
    assert collector.events == [
        {"type": "block_start", "index": -1, "block": {"type": "thinking", "text": "", "signature_format": "anthropic_messages"}},
        {"type": "delta", "index": -1, "kind": "signature", "value": seal("gemini", CALL_SIG, {"call": "fc_0"})},
        {"type": "block_stop", "index": -1},
        {"type": "block_start", "index": 0, "block": {"type": "tool_call", "id": "fc_0", "name": "f", "extras": {}}},
        {"type": "block_start", "index": 1, "block": {"type": "tool_call", "id": "fc_1", "name": "f"}},
    ]


def test_a_gemini_client_gets_the_streamed_call_signature_on_its_call() -> None:
    chunks = _sse({**_gemini_answer(_call(0, CALL_SIG)), "usageMetadata": {"promptTokenCount": 1}})
    translator = StreamTranslator(source=GE, target=GE)
    out = b"".join(translator.feed(c) for c in chunks) + translator.finish()
    part = orjson.loads(out.split(b"data: ")[1])["candidates"][0]["content"]["parts"][0]
    assert part["thoughtSignature"] == CALL_SIG
    assert part["functionCall"]["id"] == "fc_0"


@pytest.mark.parametrize(("target", "request_body"), [(BE, None), (RE, INCLUDE), (OA, None), (RE, {})])
def test_streamed_call_signature_per_client(target: Format, request_body: JSON | None) -> None:
    chunks = _sse({**_gemini_answer(_call(0, CALL_SIG)), "usageMetadata": {"promptTokenCount": 1}})
    translator = StreamTranslator(source=GE, target=target, request=request_body)
    out = b"".join(translator.feed(c) for c in chunks) + translator.finish()
    carried = b"aWxnc2ln" in out
    assert carried == carries_call_signatures(str(target))


def test_a_client_that_sends_the_carrier_back_as_redacted_thinking_still_carries_it() -> None:
    blocks = _anthropic_turn()
    blocks[1] = {"type": "redacted_thinking", "data": blocks[1]["signature"]}
    model = translate_request(_anthropic_next_turn(blocks), source=AN, target=GE).body["contents"][1]["parts"]
    assert [p.get("thoughtSignature") for p in model] == [THOUGHT_SIG, CALL_SIG, None]


@pytest.mark.parametrize("extras", [None, {"call": 123}, {"call": ""}, {"other": "fc_0"}])
def test_a_made_up_envelope_in_a_call_id_without_the_call_s_id_is_left_as_sent(extras: JSON | None) -> None:
    forged = "call_" + seal("gemini", CALL_SIG, extras, urlsafe=True)
    message = {"role": "assistant", "tool_calls": [
        {"id": forged, "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]}
    body = _chat_next_turn(message)
    out = translate_request(body, source=OA, target=GE).body["contents"]
    [call] = [p for p in out[1]["parts"] if "functionCall" in p]
    assert call.get("thoughtSignature") != CALL_SIG  # no blob taken from an envelope that names no call
