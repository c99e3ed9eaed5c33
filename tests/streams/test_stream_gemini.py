"""Gemini streams ("whole parts" style): decoded into IR events, encoded from them, read by google-genai."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from google import genai
from google.genai import types as gt

from interlingua.convert.blobs import unseal
from interlingua.streams import StreamTranslator
from interlingua.streams.events import EventCollector
from interlingua.streams.sse import SSEParser
from interlingua.streams.translator import make_decoder
from interlingua.translate import Format

GE, OA, AN = Format.GEMINI, Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _translate(raw: bytes, source: Format, target: Format, piece: int = 23) -> list[bytes]:
    translator = StreamTranslator(source=source, target=target)
    out = [translator.feed(raw[i : i + piece]) for i in range(0, len(raw), piece)]
    return [*out, translator.finish()]


def _sse(*chunks: dict[str, Any]) -> bytes:
    return b"".join(b"data: " + orjson.dumps(c) + b"\n\n" for c in chunks)


def _ir(raw: bytes) -> list[dict[str, Any]]:
    collector = EventCollector()
    decoder = make_decoder("gemini", collector)
    for name, data in SSEParser().feed(raw):
        decoder.event(name, data)
    decoder.finish()
    return collector.events


def _chunks(raw: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(data) for _, data in SSEParser().feed(raw)]


def _genai(raw: bytes) -> list[gt.GenerateContentResponse]:
    """What ``client.models.generate_content_stream`` yields for this body."""
    transport = httpx.MockTransport(
        lambda _: httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"})
    )
    options = gt.HttpOptions(base_url="http://127.0.0.1:9", httpx_client=httpx.Client(transport=transport))
    client = genai.Client(api_key="test", http_options=options)
    return list(client.models.generate_content_stream(model="gemini-2.5-flash", contents="hi"))


def test_stream_gemini_tool_call_arguments_are_held_until_the_call_ends() -> None:
    raw = (FIXTURES / "anthropic_messages/tools_single/stream.sse").read_bytes()
    out = _translate(raw, AN, GE)
    calls = [p for piece in out for c in _chunks(piece) for p in (c.get("candidates") or [{}])[0].get("content", {}).get("parts", []) if "functionCall" in p]
    assert len(calls) == 1
    assert calls[0]["functionCall"]["args"] == {"city": "Paris", "unit": "celsius"}
    assert calls[0]["functionCall"]["id"].startswith("toolu_01")
    text_pieces = [i for i, piece in enumerate(out) if b'"text":"' in piece and b'"text":""' not in piece]
    call_piece = next(i for i, piece in enumerate(out) if b"functionCall" in piece)
    assert text_pieces
    assert text_pieces[0] < call_piece  # text is not held back behind the call


def test_stream_gemini_output_read_by_google_genai() -> None:
    raw = (FIXTURES / "anthropic_messages/thinking/stream.sse").read_bytes()
    responses = _genai(b"".join(_translate(raw, AN, GE)))
    text = "".join(p.text or "" for r in responses if r.candidates for p in r.candidates[0].content.parts if not p.thought)
    thoughts = "".join(p.text or "" for r in responses if r.candidates for p in r.candidates[0].content.parts if p.thought)
    assert text.startswith("The ball costs")
    assert thoughts.startswith("Let the ball cost x")
    assert responses[-1].candidates[0].finish_reason == gt.FinishReason.STOP
    usage = responses[-1].usage_metadata
    assert usage.prompt_token_count
    assert usage.total_token_count
    assert b"signature" not in b"".join(_translate(raw, AN, GE)).lower().replace(b"thoughtsignature", b"")
    # Anthropic's blob reaches the Gemini client sealed with its issuer (as the SDK's bytes).
    signed = [p.thought_signature for r in responses if r.candidates for p in r.candidates[0].content.parts if p.thought_signature]
    assert len(signed) == 1
    opened = unseal(base64.b64encode(signed[0]).decode())
    assert opened is not None
    assert opened[0] == "anthropic_messages"


def test_stream_gemini_function_call_read_by_google_genai() -> None:
    raw = (FIXTURES / "openai_chat/tools_parallel/stream.sse").read_bytes()
    responses = _genai(b"".join(_translate(raw, OA, GE)))
    calls = [fc for r in responses for fc in (r.function_calls or [])]
    assert [(c.name, c.args) for c in calls] == [("get_weather", {"city": "Paris", "unit": "celsius"}),
                                                 ("get_weather", {"city": "Tokyo", "unit": "celsius"})]
    assert responses[-1].candidates[0].finish_reason == gt.FinishReason.STOP


def test_stream_gemini_decodes_thoughts_calls_and_signatures() -> None:
    raw = (FIXTURES / "gemini/thinking/stream.sse").read_bytes()
    events = _ir(raw)
    assert [e["type"] for e in events][:2] == ["start", "block_start"]
    assert events[1]["block"] == {"type": "thinking", "signature_format": "gemini"}
    raws = [e for e in events if e["type"] == "delta" and e["kind"] == "raw"]
    assert raws
    assert raws[0]["value"]["format"] == "gemini"
    stop = next(e for e in events if e["type"] == "stop")
    assert stop["stop_reason"] == "end_turn"
    usage = [e for e in events if e["type"] == "usage"][-1]["usage"]
    assert usage["output_tokens"] == usage["reasoning_tokens"] + 25  # thoughts count as output in the IR


def test_stream_gemini_same_format_keeps_thought_signatures() -> None:
    raw = (FIXTURES / "gemini/tools_single/stream.sse").read_bytes()
    raw = raw.replace(b'{"functionCall"', b'{"thoughtSignature":"U0lHTkFUVVJF","functionCall"', 1)
    out = b"".join(_translate(raw, GE, GE))
    assert b'"thoughtSignature":"U0lHTkFUVVJF"' in out
    for target in (OA, AN, Format.OPENAI_RESPONSES):
        assert b"U0lHTkFUVVJF" not in b"".join(_translate(raw, GE, target)), target


def test_stream_gemini_calls_without_ids_end_with_tool_use() -> None:
    raw = (FIXTURES / "gemini/tools_parallel/stream.sse").read_bytes()
    events = _ir(raw)
    blocks = [e["block"] for e in events if e["type"] == "block_start" and e["block"]["type"] == "tool_call"]
    assert [b["id"] for b in blocks] == ["gcall-EvBjHvNQuG8ObDWh9O5f05i-0", "gcall-EvBjHvNQuG8ObDWh9O5f05i-1"]
    assert next(e for e in events if e["type"] == "stop")["stop_reason"] == "tool_use"


def test_stream_gemini_vertex_partial_arguments_are_assembled() -> None:
    raw = _sse(
        {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"name": "w", "willContinue": True}}]}}], "responseId": "r"},
        {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"partialArgs": [
            {"jsonPath": "$.city", "stringValue": "San ", "willContinue": True}], "willContinue": True}}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {"partialArgs": [
            {"jsonPath": "$.city", "stringValue": "Francisco"}, {"jsonPath": "$.days", "numberValue": 3}], "willContinue": True}}]}}]},
        {"candidates": [{"content": {"role": "model", "parts": [{"functionCall": {}}]}, "finishReason": "STOP"}]},
    )
    events = _ir(raw)
    args = [e["value"] for e in events if e["type"] == "delta" and e["kind"] == "arguments"]
    assert [orjson.loads(a) for a in args] == [{"city": "San Francisco", "days": 3}]
    assert next(e for e in events if e["type"] == "stop")["stop_reason"] == "tool_use"


def test_stream_gemini_blocked_prompt_is_a_refusal() -> None:
    raw = _sse({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 5}, "responseId": "r"})
    events = _ir(raw)
    assert [e["type"] for e in events] == ["start", "usage", "stop", "end"]
    assert events[2]["stop_reason"] == "refusal"


def test_stream_gemini_error_chunk_and_truncation() -> None:
    raw = _sse({"candidates": [{"content": {"role": "model", "parts": [{"text": "Once"}]}}], "responseId": "r"},
               {"error": {"code": 503, "message": "overloaded", "status": "UNAVAILABLE"}})
    error = _ir(raw)[-1]
    assert error["type"] == "error"
    assert (error["error"]["kind"], error["error"]["status"]) == ("overloaded", 503)
    same = b"".join(_translate(raw, GE, GE))
    assert same.endswith(b'data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\n\n')
    anthropic = b"".join(_translate(raw, GE, AN))
    assert b"event: error" in anthropic
    assert b"overloaded_error" in anthropic
    cut = _ir(raw.split(b"data: {\"error\"")[0])
    assert cut[-1]["type"] == "error"  # no finishReason before the body ended


@pytest.mark.parametrize("case", ["text_basic", "tools_parallel", "thinking", "refusal", "max_tokens"])
def test_stream_gemini_round_trip_through_gemini_is_the_same_answer(case: str) -> None:
    from conformance.judges_gemini import judge_stream

    raw = (FIXTURES / "gemini" / case / "stream.sse").read_bytes()
    original = judge_stream(raw, strict=True).message
    again = judge_stream(b"".join(_translate(raw, GE, GE)), strict=True).message
    assert original is not None
    assert again is not None
    for message in (original, again):
        for part in message["candidates"][0].get("content", {}).get("parts", []):
            part.get("functionCall", {}).pop("id", None)
    assert again["candidates"] == original["candidates"]
    assert {k: v for k, v in again["usageMetadata"].items() if "Details" not in k} == {
        k: v for k, v in original["usageMetadata"].items() if "Details" not in k}
