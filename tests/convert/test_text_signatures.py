"""A Gemini text part's own signature, carried by a client of another format (convert/blobs.py,
streams/blobs.py): an empty thinking part beside the text (before it in a response, after it
in a stream), put back on that very text part on the next turn; Chat clients have no carrier."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from interlingua.convert.blobs import carries_text_signatures, take_call_signatures, unseal
from interlingua.server.fake_upstream.gemini_signatures import TEXT_SIGNATURE, check_text_signatures
from interlingua.server.fake_upstream.plan import BadRequest
from interlingua.streams import StreamTranslator
from interlingua.translate import Format, translate_request, translate_response

AN, RE, GE, BE, OA = (Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES, Format.GEMINI,
                      Format.BEDROCK_CONVERSE, Format.OPENAI_CHAT)
SIG = "VGV4dFNpZw=="
JSON = dict[str, Any]


def _answer(*parts: JSON) -> JSON:
    return {"responseId": "r1", "modelVersion": "gemini-3-pro", "candidates": [
        {"index": 0, "finishReason": "STOP", "content": {"role": "model", "parts": list(parts)}}]}


ANSWER = _answer({"text": "Paris is", "thoughtSignature": SIG})


def _sse(*chunks: JSON) -> list[bytes]:
    """Stream events: the finish reason on the last one only, as Gemini sends it."""
    bare = [{**c, "candidates": [{k: v for k, v in c["candidates"][0].items() if k != "finishReason"}]}
            for c in chunks[:-1]]
    return [b"data: " + orjson.dumps(c) + b"\n\n" for c in [*bare, *chunks[-1:]]]


def _streamed(target: Format, chunks: list[bytes]) -> bytes:
    translator = StreamTranslator(source=GE, target=target)
    return b"".join(translator.feed(c) for c in chunks) + translator.finish()


def test_who_carries_text_signatures() -> None:
    assert carries_text_signatures("anthropic_messages")
    assert carries_text_signatures("bedrock_converse")
    assert carries_text_signatures("openai_responses")
    assert not carries_text_signatures("openai_chat")  # no field: dropped by policy
    assert not carries_text_signatures("gemini")  # its own: on the text part


def test_each_client_gets_the_carrier_right_before_the_text() -> None:
    [carrier, text] = translate_response(ANSWER, source=GE, target=AN).body["content"]
    assert (carrier["type"], carrier["thinking"], text) == ("thinking", "", {"type": "text", "text": "Paris is"})
    assert unseal(carrier["signature"]) == ("gemini", SIG, {"text": "next"})
    [reasoning, message] = translate_response(ANSWER, source=GE, target=RE, request={}).body["output"]
    assert (reasoning["type"], reasoning["summary"], message["type"]) == ("reasoning", [], "message")
    assert unseal(reasoning["encrypted_content"]) == ("gemini", SIG, {"text": "next"})
    [carried, said] = translate_response(ANSWER, source=GE, target=BE).body["output"]["message"]["content"]
    assert carried["reasoningContent"]["reasoningText"]["text"] == ""
    assert said == {"text": "Paris is"}
    chat = translate_response(ANSWER, source=GE, target=OA).body
    assert b"VGV4dFNpZw" not in orjson.dumps(chat)
    [part] = translate_response(ANSWER, source=GE, target=GE).body["candidates"][0]["content"]["parts"]
    assert part == {"text": "Paris is", "thoughtSignature": SIG}


@pytest.mark.parametrize("first_piece", [False, True], ids=["last-empty-piece", "first-piece"])
def test_a_stream_carries_it_after_the_text_without_holding_the_text(first_piece: bool) -> None:
    """Gemini 3 sends the signature in a last empty text piece, Gemini 2.5 with the first piece."""
    one: JSON = {"text": "Paris "}
    last: JSON = {"text": "is"}
    if first_piece:
        one["thoughtSignature"] = SIG
    chunks = [_answer(one), _answer(last)]
    if not first_piece:
        chunks.append(_answer({"text": "", "thoughtSignature": SIG}))
    events_in = _sse(*chunks)
    translator = StreamTranslator(source=GE, target=AN)
    first = translator.feed(events_in[0])
    assert b"Paris " in first  # the text goes out at once
    out = first + b"".join(translator.feed(c) for c in events_in[1:]) + translator.finish()
    events = [orjson.loads(line[6:]) for line in out.split(b"\n") if line.startswith(b"data: ")]
    starts = [e["content_block"]["type"] for e in events if e["type"] == "content_block_start"]
    assert starts == ["text", "thinking"]
    [signature] = [e["delta"]["signature"] for e in events if e.get("delta", {}).get("type") == "signature_delta"]
    assert unseal(signature) == ("gemini", SIG, {"text": "prev"})
    assert b"VGV4dFNpZw" not in _streamed(OA, _sse(*chunks))


def _anthropic_next(blocks: list[JSON]) -> JSON:
    return {"model": "m", "max_tokens": 100, "messages": [
        {"role": "user", "content": "Tell me"}, {"role": "assistant", "content": blocks},
        {"role": "user", "content": "More"}]}


def _model_parts(body: JSON) -> list[JSON]:
    return [p for c in body["contents"] if c["role"] == "model" for p in c["parts"]]


def test_it_goes_back_onto_its_text_from_a_response_or_a_stream() -> None:
    blocks = translate_response(ANSWER, source=GE, target=AN).body["content"]
    sent = translate_request(_anthropic_next(blocks), source=AN, target=GE).body
    assert _model_parts(sent) == [{"text": "Paris is", "thoughtSignature": SIG}]
    streamed = [blocks[1], {**blocks[0], "signature": _streamed_signature()}]  # a stream's: text, carrier
    sent = translate_request(_anthropic_next(streamed), source=AN, target=GE).body
    assert _model_parts(sent) == [{"text": "Paris is", "thoughtSignature": SIG}]


def _streamed_signature() -> str:
    out = _streamed(AN, _sse(_answer({"text": "Paris is"}), _answer({"text": "", "thoughtSignature": SIG})))
    events = [orjson.loads(line[6:]) for line in out.split(b"\n") if line.startswith(b"data: ")]
    return str(next(e["delta"]["signature"] for e in events if e.get("delta", {}).get("type") == "signature_delta"))


def test_a_responses_client_carries_it_back_across_its_items() -> None:
    output = translate_response(ANSWER, source=GE, target=RE, request={}).body["output"]
    body = {"model": "m", "input": [{"role": "user", "content": "Tell me"}, *output, {"role": "user", "content": "More"}]}
    assert _model_parts(translate_request(body, source=RE, target=GE).body) == [
        {"text": "Paris is", "thoughtSignature": SIG}]


def test_a_carrier_with_no_text_beside_it_is_dropped() -> None:
    blocks = translate_response(ANSWER, source=GE, target=AN).body["content"]
    sent = translate_request(_anthropic_next([blocks[0], {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]),
                             source=AN, target=GE).body
    assert b"VGV4dFNpZw" not in orjson.dumps(sent)


@pytest.mark.parametrize("target", [AN, OA, RE, BE])
def test_it_never_reaches_another_upstream(target: Format) -> None:
    blocks = translate_response(ANSWER, source=GE, target=AN).body["content"]
    sent = orjson.dumps(translate_request(_anthropic_next(blocks), source=AN, target=target).body)
    assert b"VGV4dFNpZw" not in sent
    assert b"aWxnc2ln" not in sent


def test_take_leaves_a_request_without_carriers_alone() -> None:
    ir: JSON = {"messages": [{"role": "assistant", "content": [{"type": "text", "text": "x"}]}]}
    assert take_call_signatures(ir, "gemini") is ir


def test_the_fake_insists_the_text_signature_comes_back_on_the_text() -> None:
    user = {"role": "user", "parts": [{"text": "hi"}]}
    good = {"role": "model", "parts": [{"text": "Paris", "thoughtSignature": TEXT_SIGNATURE}]}
    check_text_signatures([user, good, user], "gemini-3-pro-signed-text")
    check_text_signatures([user, {"role": "model", "parts": [{"text": "Paris"}]}, user], "gemini-3-pro-preview")
    for model in ({"role": "model", "parts": [{"text": "Paris"}]},
                  {"role": "model", "parts": [{"text": "a", "thought": True, "thoughtSignature": TEXT_SIGNATURE},
                                              {"text": "Paris"}]}):
        with pytest.raises(BadRequest):
            check_text_signatures([user, model, user], "gemini-3-pro-signed-text")
