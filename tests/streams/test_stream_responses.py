"""OpenAI Responses streams: decoded into IR events, encoded from them, read by the real SDK."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest

from interlingua.errors import UpstreamUnavailable
from interlingua.streams import StreamTranslator
from interlingua.streams.events import EventCollector
from interlingua.streams.sse import SSEParser
from interlingua.streams.translator import make_decoder
from interlingua.translate import Format

R, CHAT, ANTHROPIC = Format.OPENAI_RESPONSES, Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _translate(raw: bytes, source: Format, target: Format, piece: int = 17) -> bytes:
    translator = StreamTranslator(source=source, target=target)
    out = [translator.feed(raw[i : i + piece]) for i in range(0, len(raw), piece)]
    return b"".join([*out, translator.finish()])


def _events(raw: bytes) -> list[tuple[str | None, dict[str, Any]]]:
    return [(name, orjson.loads(data)) for name, data in SSEParser().feed(raw) if data != b"[DONE]"]


def _ir(raw: bytes) -> list[dict[str, Any]]:
    collector = EventCollector()
    decoder = make_decoder("openai_responses", collector)
    for name, data in SSEParser().feed(raw):
        decoder.event(name, data)
    decoder.finish()
    return collector.events


def _sdk_final(raw: bytes) -> Any:
    """What ``client.responses.stream(...).get_final_response()`` returns for this body."""
    transport = httpx.MockTransport(lambda _: httpx.Response(200, content=raw, headers={"content-type": "text/event-stream"}))
    client = openai.OpenAI(api_key="test", base_url="http://127.0.0.1:9/v1", http_client=httpx.Client(transport=transport))
    with client.responses.stream(model="m", input="hi") as stream:
        events = list(stream)
        deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
        # get_final_response() wants response.completed; an incomplete answer ends with response.incomplete
        final = stream.get_final_response() if events[-1].type == "response.completed" else events[-1].response
    return final, "".join(deltas)


def test_stream_responses_codex_decodes_to_ir_with_namespace_and_signature() -> None:
    events = _ir((FIXTURES / "openai_responses/codex/stream.sse").read_bytes())
    kinds = [e["type"] for e in events]
    assert kinds[0] == "start"
    assert kinds[-2:] == ["stop", "end"]
    blocks = [e["block"] for e in events if e["type"] == "block_start"]
    assert blocks[0] == {"type": "thinking", "signature_format": "openai_responses",
                         "extras": {"openai_responses": {"id": "rs_0c0d3x1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6"}}}
    assert blocks[1]["name"] == "multi_agent_v1__wait_agent"
    signature = "".join(e["value"] for e in events if e["type"] == "delta" and e["kind"] == "signature")
    assert signature.startswith("gAAAAA")
    assert next(e for e in events if e["type"] == "stop")["stop_reason"] == "tool_use"
    usage = next(e for e in events if e["type"] == "usage")["usage"]
    assert usage == {"input_tokens": 4215, "output_tokens": 87, "cache_read_tokens": 3968,
                     "cache_creation_tokens": 0, "reasoning_tokens": 64}


def test_stream_responses_same_format_keeps_encrypted_reasoning_and_namespace() -> None:
    raw = (FIXTURES / "openai_responses/codex/stream.sse").read_bytes()
    final, _ = _sdk_final(_translate(raw, R, R))
    reasoning, call = final.output
    assert reasoning.type == "reasoning"
    assert reasoning.encrypted_content.startswith("gAAAAA")
    assert (call.namespace, call.name) == ("multi_agent_v1", "wait_agent")


def test_stream_responses_to_anthropic_drops_the_blob_keeps_the_summary() -> None:
    raw = (FIXTURES / "openai_responses/codex/stream.sse").read_bytes()
    out = _translate(raw, R, ANTHROPIC)
    assert b"gAAAAA" not in out
    assert b"Checking helper" in out
    assert b'"stop_reason":"tool_use"' in out


@pytest.mark.parametrize("case", ["text_basic", "tools_parallel", "thinking", "refusal", "max_tokens"])
@pytest.mark.parametrize("source", [CHAT, ANTHROPIC])
def test_stream_responses_sdk_stream_accumulates_translated_streams(source: Format, case: str) -> None:
    raw = (FIXTURES / source.value / case / "stream.sse").read_bytes()
    final, deltas = _sdk_final(_translate(raw, source, R))
    texts = "".join(p.text for item in final.output if item.type == "message" for p in item.content if p.type == "output_text")
    assert texts == deltas
    assert final.status in ("completed", "incomplete")
    if case == "max_tokens":
        assert final.status == "incomplete"
        assert final.incomplete_details.reason == "max_output_tokens"
    if case == "tools_parallel":
        assert len([i for i in final.output if i.type == "function_call"]) == 2


def test_stream_responses_item_ids_are_unique_per_response_and_kept_from_a_responses_upstream() -> None:
    chat = _events(_translate((FIXTURES / "openai_chat/tools_parallel/stream.sse").read_bytes(), CHAT, R))
    ids = [d["item"]["id"] for _, d in chat if d["type"] == "response.output_item.added"]
    assert len(set(ids)) == len(ids) == 2
    assert all(i.startswith("fc_") and len(i) > 10 for i in ids)  # derived from the response id
    raw = (FIXTURES / "openai_responses/codex/stream.sse").read_bytes()
    same = _events(_translate(raw, R, R))
    upstream = _events(raw)
    assert [d["item"]["id"] for _, d in same if d["type"] == "response.output_item.done"] == [
        d["item"]["id"] for _, d in upstream if d["type"] == "response.output_item.done"]


def test_stream_responses_sequence_numbers_and_item_lifecycle() -> None:
    raw = (FIXTURES / "openai_chat/tools_parallel/stream.sse").read_bytes()
    events = _events(_translate(raw, CHAT, R))
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert all(name == d["type"] for name, d in events)
    added = [d["output_index"] for _, d in events if d["type"] == "response.output_item.added"]
    done = [d["output_index"] for _, d in events if d["type"] == "response.output_item.done"]
    assert added == done == list(range(len(added)))


def test_stream_responses_upstream_error_mid_stream_ends_with_error_and_failed() -> None:
    raw = (FIXTURES / "openai_chat/error_rate_limit/stream.sse").read_bytes()
    events = _events(_translate(raw, CHAT, R))
    names = [d["type"] for _, d in events]
    assert names[-2:] == ["error", "response.failed"]
    assert events[-2][1]["message"]
    assert events[-1][1]["response"]["status"] == "failed"
    assert names.count("response.output_item.added") == names.count("response.output_item.done")


def test_stream_responses_truncated_upstream_is_an_error_for_every_client() -> None:
    raw = (FIXTURES / "openai_responses/text_basic/stream.sse").read_bytes()
    cut = raw[: raw.index(b"event: response.completed")]
    for target in (CHAT, ANTHROPIC, R):
        out = _translate(cut, R, target)
        assert b"error" in out.rsplit(b"\n\n", 2)[-2]


def test_stream_responses_fail_closes_open_items() -> None:
    raw = (FIXTURES / "openai_chat/text_basic/stream.sse").read_bytes()
    translator = StreamTranslator(source=CHAT, target=R)
    out = translator.feed(raw[: len(raw) // 2])
    out += translator.fail(UpstreamUnavailable("upstream went away"))
    names = [d["type"] for _, d in _events(out)]
    assert names[-2:] == ["error", "response.failed"]
    assert names.count("response.output_item.added") == names.count("response.output_item.done")
    assert translator.finish() == b""


def test_stream_responses_upstream_error_event_reaches_every_client() -> None:
    raw = (FIXTURES / "openai_responses/error_rate_limit/stream.sse").read_bytes()
    for target in (CHAT, ANTHROPIC):
        out = _translate(raw, R, target)
        assert b"The server had an error" in out
    same = _events(_translate(raw, R, R))
    assert [d["type"] for _, d in same][-2:] == ["error", "response.failed"]
