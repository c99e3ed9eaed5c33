"""Real recorded streams (../shared/reference/recordings, README section 3) decoded without loss.

For every recorded OpenAI Chat or Anthropic Messages stream, what the raw
events contain (text, thinking, signatures, tool names and joined arguments,
stop reason, usage) is reassembled straight from the JSON payloads and compared
with what the decoder's IR events carry. Each recording is then translated to
both client formats and read by the SDK judges.
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from .judges import ANTHROPIC, OPENAI, StreamErrorEvent, anthropic_final, openai_final, translate
from .test_stream_roundtrip import ir_events

RECORDINGS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "recordings"
_ENDPOINTS = {"api.anthropic.com/v1/messages": ANTHROPIC, "api.openai.com/v1/chat/completions": OPENAI}


def _cassette_streams(path: Path) -> list[tuple[str, bytes]]:
    streams = []
    for interaction in yaml.safe_load(path.read_text(encoding="utf-8")).get("interactions", []):
        uri = interaction["request"]["uri"]
        path = uri.split("://", 1)[-1].split("?", 1)[0]
        fmt = _ENDPOINTS.get(path)
        body = (interaction["response"].get("body") or {}).get("string")
        if fmt is None or not body:
            continue
        raw = gzip.decompress(body) if isinstance(body, bytes) else body.encode()
        if raw.lstrip().startswith((b"event:", b"data:")):
            streams.append((fmt, raw))
    return streams


def _chunks_stream(path: Path) -> tuple[str, bytes]:
    """vercel-ai ``*.chunks.txt``: one data payload per line, event names dropped."""
    fmt = ANTHROPIC if "/anthropic/" in path.as_posix() else OPENAI
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    return fmt, b"".join(b"data: " + line + b"\n\n" for line in lines)


def _load() -> list[Any]:
    if not RECORDINGS.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"{RECORDINGS} is absent"), id="absent")]
    found: list[tuple[str, str, bytes]] = []
    for path in sorted(RECORDINGS.rglob("*")):
        rel = path.relative_to(RECORDINGS).as_posix()
        if path.suffix == ".yaml":
            found += [(f"{rel}#{i}", fmt, raw) for i, (fmt, raw) in enumerate(_cassette_streams(path))]
        elif path.name.endswith(".chunks.txt") and ("/anthropic/" in rel or "/openai/src/chat/" in rel):
            found.append((rel, *_chunks_stream(path)))
        elif rel.startswith("anthropic-sdk-python/") and path.suffix == ".txt":
            found.append((rel, ANTHROPIC, path.read_bytes()))
    return [pytest.param(fmt, raw, id=name) for name, fmt, raw in found]


def _payloads(raw: bytes) -> list[Any]:
    data = [line[5:].strip() for line in raw.replace(b"\r\n", b"\n").split(b"\n") if line.startswith(b"data:")]
    return [orjson.loads(d) for d in data if d and d != b"[DONE]"]


def _anthropic_truth(raw: bytes) -> dict[str, Any]:
    blocks: dict[int, dict[str, Any]] = {}
    truth: dict[str, Any] = {"blocks": blocks, "stop": None, "usage": {}}
    fields = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature",
              "input_json_delta": "arguments"}
    for event in _payloads(raw):
        kind = event.get("type")
        if kind == "content_block_start":
            block = event["content_block"]
            blocks[event["index"]] = {"type": block["type"], "id": block.get("id"), "name": block.get("name"),
                                      "data": block.get("data")}
        elif kind == "content_block_delta" and event["delta"]["type"] in fields:
            field = fields[event["delta"]["type"]]
            piece = event["delta"][{"arguments": "partial_json"}.get(field, field)]
            target = blocks[event["index"]]
            target[field] = target.get(field, "") + piece
        elif kind == "message_delta":
            truth["stop"] = event["delta"].get("stop_reason")
        if kind in ("message_start", "message_delta"):
            usage = (event.get("message") or event).get("usage") or {}
            truth["usage"].update({k: v for k, v in usage.items() if isinstance(v, int)})
    return truth


def _openai_truth(raw: bytes) -> dict[str, Any]:
    truth: dict[str, Any] = {"text": "", "thinking": "", "calls": {}, "stop": None, "usage": None}
    for chunk in _payloads(raw):
        truth["usage"] = chunk.get("usage") or truth["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            truth["text"] += delta.get("content") or ""
            truth["thinking"] += delta.get("reasoning_content") or ""
            for call in delta.get("tool_calls") or []:
                entry = truth["calls"].setdefault(call["index"], {"id": None, "name": None, "arguments": ""})
                function = call.get("function") or {}
                entry["id"] = entry["id"] or call.get("id")
                entry["name"] = entry["name"] or function.get("name")
                entry["arguments"] += function.get("arguments") or ""
            truth["stop"] = choice.get("finish_reason") or truth["stop"]
    return truth


def _ir_blocks(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks: dict[int, dict[str, Any]] = {}
    for event in events:
        if event["type"] == "block_start":
            blocks[event["index"]] = {"block": event["block"]}
        elif event["type"] == "delta" and event["kind"] != "raw":
            block = blocks[event["index"]]
            block[event["kind"]] = block.get(event["kind"], "") + event["value"]
    return [blocks[i] for i in sorted(blocks)]


_IR_TYPE = {"text": "text", "thinking": "thinking", "redacted_thinking": "redacted_thinking", "tool_use": "tool_call"}


def _check_anthropic(raw: bytes, events: list[dict[str, Any]]) -> None:
    truth = _anthropic_truth(raw)
    ir = _ir_blocks(events)
    assert len(ir) == len(truth["blocks"]), "a block was lost or invented"
    for got, (_, want) in zip(ir, sorted(truth["blocks"].items()), strict=True):
        block = got["block"]
        assert block["type"] == _IR_TYPE.get(want["type"], "opaque")
        if block["type"] == "opaque":
            assert block["raw"]["type"] == want["type"]
            continue
        for field in ("text", "thinking", "signature", "arguments"):
            assert got.get(field, "") == want.get(field, ""), field
        for field in ("id", "name", "data"):
            assert block.get(field) == want[field], field
    stops = [e for e in events if e["type"] == "stop"]
    if truth["stop"] is not None:
        assert stops, "the stop reason was lost"
    wire = truth["usage"]
    usage = [e["usage"] for e in events if e["type"] == "usage"] or [events[0].get("usage", {})]
    cached = wire.get("cache_read_input_tokens", 0) + wire.get("cache_creation_input_tokens", 0)
    assert usage[-1].get("input_tokens") == wire["input_tokens"] + cached
    assert usage[-1].get("output_tokens") == wire["output_tokens"]


def _check_openai(raw: bytes, events: list[dict[str, Any]]) -> None:
    truth = _openai_truth(raw)
    ir = _ir_blocks(events)
    assert "".join(b.get("text", "") for b in ir) == truth["text"]
    assert "".join(b.get("thinking", "") for b in ir) == truth["thinking"]
    calls = [(b["block"]["id"], b["block"]["name"], b.get("arguments", "")) for b in ir
             if b["block"]["type"] == "tool_call"]
    assert calls == [(c["id"], c["name"], c["arguments"]) for _, c in sorted(truth["calls"].items())]
    usage = [e["usage"] for e in events if e["type"] == "usage"]
    if truth["usage"]:
        assert usage[-1]["input_tokens"] == truth["usage"]["prompt_tokens"]
        assert usage[-1]["output_tokens"] == truth["usage"]["completion_tokens"]


@pytest.mark.parametrize(("fmt", "raw"), _load())
def test_stream_recording_decodes_without_loss(fmt: str, raw: bytes) -> None:
    events = ir_events(raw, fmt)
    assert events[-1]["type"] == "end", events[-1]
    (_check_anthropic if fmt == ANTHROPIC else _check_openai)(raw, events)


@pytest.mark.parametrize(("fmt", "raw"), _load())
@pytest.mark.parametrize("target", [OPENAI, ANTHROPIC])
def test_stream_recording_translates_for_both_sdks(fmt: str, raw: bytes, target: str) -> None:
    out = translate(raw, fmt, target)
    try:
        if target == OPENAI:
            openai_final(out, expect_usage=True)
        else:
            anthropic_final(out)
    except StreamErrorEvent as exc:  # pragma: no cover - the recordings hold no stream errors
        pytest.fail(f"translated recording ended in an error event: {exc.body}")
