"""format -> IR -> same format loses nothing the SDKs accumulate; IR events follow specs/ir/stream.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from interlingua.generated.models.ir import IRStreamEvent
from interlingua.streams import EventCollector, make_decoder
from interlingua.streams.sse import SSEParser

from .judges import ANTHROPIC, OPENAI, StreamErrorEvent, anthropic_final, openai_final, translate
from .samples import SAMPLES

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def ir_events(raw: bytes, source: str) -> list[dict[str, Any]]:
    collector = EventCollector()
    decoder = make_decoder(source, collector)
    parser = SSEParser()
    for name, data in [*parser.feed(raw), *parser.finish()]:
        decoder.event(name, data)
    decoder.finish()
    return collector.events


def _fixture_streams() -> list[Any]:
    return [pytest.param(fmt, path, id=f"{fmt}/{path.parent.name}")
            for fmt in (OPENAI, ANTHROPIC) for path in sorted((FIXTURES / fmt).glob("*/stream.sse"))]


# Usage fields the IR carries; the rest (Anthropic's cache_creation split, service_tier,
# OpenAI's audio/prediction token details) is documented as not carried through the IR.
_USAGE = {
    OPENAI: ("prompt_tokens", "completion_tokens", "total_tokens"),
    ANTHROPIC: ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"),
}
_DETAILS = (("prompt_tokens_details", "cached_tokens"), ("completion_tokens_details", "reasoning_tokens"))


def _usage(fmt: str, usage: dict[str, Any] | None) -> dict[str, Any] | None:
    if not usage:
        return None
    # Anthropic always sends its cache counters (0 when nothing was cached): absent == 0.
    kept = {k: usage.get(k) or (0 if k.startswith("cache_") else None) for k in _USAGE[fmt]}
    for group, name in _DETAILS if fmt == OPENAI else ():
        kept[name] = (usage.get(group) or {}).get(name) or 0
    return kept


def _final(fmt: str, raw: bytes, *, source_usage: bool = True) -> Any:
    try:
        if fmt == OPENAI:
            final = openai_final(raw, expect_usage=b'"choices":[]' in raw).model_dump(exclude={"created"})
        else:
            final = anthropic_final(raw).message.model_dump()
    except StreamErrorEvent as exc:
        return {"error": exc.body}
    # A client that asked for usage gets a usage chunk even when the upstream sent none.
    final["usage"] = _usage(fmt, final["usage"]) if source_usage else None
    for choice in final.get("choices", []):  # an empty content string is not carried through the IR
        choice["message"]["content"] = choice["message"]["content"] or None
    return final


def _has_usage(raw: bytes) -> bool:
    return b'"usage":{' in raw


@pytest.mark.parametrize(("fmt", "path"), _fixture_streams())
def test_stream_roundtrip_fixture_accumulates_identically(fmt: str, path: Path) -> None:
    raw = path.read_bytes()
    assert _final(fmt, translate(raw, fmt, fmt), source_usage=_has_usage(raw)) == _final(fmt, raw)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_stream_roundtrip_sample_accumulates_identically(name: str) -> None:
    fmt, raw = SAMPLES[name]
    if name.endswith("truncated"):
        pytest.skip("the source itself has no terminal event")
    assert _final(fmt, translate(raw, fmt, fmt), source_usage=_has_usage(raw)) == _final(fmt, raw)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_stream_ir_events_validate_and_keep_block_lifecycle(name: str) -> None:
    fmt, raw = SAMPLES[name]
    events = ir_events(raw, fmt)
    for event in events:
        IRStreamEvent.model_validate(event)
    assert events[0]["type"] == "start"
    assert events[-1]["type"] in ("end", "error")
    started: list[int] = []
    open_now: set[int] = set()
    for event in events:
        if event["type"] == "block_start":
            assert event["index"] == len(started)
            started.append(event["index"])
            open_now.add(event["index"])
        elif event["type"] == "delta":
            assert event["index"] in open_now
        elif event["type"] == "block_stop":
            open_now.remove(event["index"])
    assert not open_now
