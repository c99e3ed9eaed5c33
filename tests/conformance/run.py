"""Running conversions the way the tests snapshot them.

Outcomes are plain JSON: ``{"body": ..., "warnings": [...]}`` for a conversion,
``{"raises": "ConversionError", "status": 400, ...}`` for a documented refusal
(any :class:`GatewayError`). Anything else (``KeyError``, ``NotImplementedError``)
propagates and fails the test: a converter must never crash.

Values a converter has to invent because the source lacks them (OpenAI's
``created`` timestamp when the source is Anthropic) are scrubbed to
``"<created>"`` after checking their type, so snapshots are stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from conformance.sse import sse_json
from interlingua.errors import GatewayError
from interlingua.translate import Format, StreamTranslator, Translated, translate_request, translate_response

__all__ = ["announced", "body_or_skip", "error_outcome", "may_hold", "outcome", "request", "response", "scrub", "stream"]

JSON = dict[str, Any]


def error_outcome(err: GatewayError) -> JSON:
    out: JSON = {"raises": type(err).__name__, "status": err.status, "kind": err.kind, "message": err.message}
    for key in ("param", "code", "retry_after"):
        if getattr(err, key) is not None:
            out[key] = getattr(err, key)
    return out


def outcome(convert: Callable[[], Translated]) -> JSON:
    try:
        result = convert()
    except GatewayError as err:
        return error_outcome(err)
    return {"body": result.body, "warnings": list(result.warnings)}


def body_or_skip(result: JSON) -> JSON:
    """The converted body; ``pytest.skip`` when a documented policy refused it (snapshots record refusals)."""
    if "raises" in result:
        assert result["raises"] == "ConversionError", result
        assert result["status"] == 400, result
        pytest.skip(f"refused by documented policy: {result['message']}")
    body: JSON = result["body"]
    return body


def announced(result: JSON, word: str) -> bool:
    """Did the conversion warn that something about ``word`` was dropped (a documented policy)?"""
    return any(word in warning and "dropped" in warning for warning in result.get("warnings", []))


def request(body: JSON, source: Format, target: Format) -> JSON:
    return outcome(lambda: translate_request(body, source=source, target=target))


def response(body: JSON, source: Format, target: Format) -> JSON:
    return outcome(lambda: translate_response(body, source=source, target=target))


def stream(pieces: Iterable[bytes], source: Format, target: Format, **kwargs: Any) -> bytes:
    """Feed ``pieces`` one by one, then ``finish()``; the client's bytes, concatenated."""
    translator = StreamTranslator(source=source, target=target, **kwargs)
    out = [translator.feed(piece) for piece in pieces]
    out.append(translator.finish())
    for chunk in out:
        assert isinstance(chunk, bytes), f"feed/finish must return bytes, got {type(chunk).__name__}"
    return b"".join(out)


def scrub(value: Any, source: Format, target: Format) -> Any:
    """Replace invented timestamps (see module doc); ``value`` is a body, an outcome or an event list."""
    invented = {Format.OPENAI_CHAT: "created", Format.OPENAI_RESPONSES: "created_at"}.get(target)
    if source in (Format.OPENAI_CHAT, Format.OPENAI_RESPONSES):  # they carry a timestamp
        invented = None
    if target is not Format.OPENAI_RESPONSES and invented is None:
        return value
    return _scrub(value, invented)


def _scrub(value: Any, invented: str | None) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == invented:
                assert isinstance(item, int), f"created must be a unix time, got {item!r}"
                assert item > 1_600_000_000, f"created must be a unix time, got {item!r}"
                item = "<created>"
            elif key == "completed_at" and isinstance(item, int):  # when the gateway finished it
                assert item > 1_600_000_000, f"completed_at must be a unix time, got {item!r}"
                item = "<completed>"
            out[key] = _scrub(item, invented)
        return out
    if isinstance(value, list):
        return [_scrub(item, invented) for item in value]
    return value


def may_hold(raw: bytes, source: Format, target: Format) -> bool:
    """May a client stream still be empty after the upstream bytes ``raw``? Only a Gemini
    client's: its encoder holds the last part for the final chunk (finishReason rides on it,
    as on Gemini's own) and a tool call until it is whole. So: when the same bytes give an
    OpenAI Chat client fewer than two pieces of text."""
    if target is not Format.GEMINI:
        return False
    translator = StreamTranslator(source=source, target=Format.OPENAI_CHAT)
    chunks = [e for e in sse_json(translator.feed(raw)) if isinstance(e["data"], dict)]
    deltas = [c.get("delta") or {} for e in chunks for c in e["data"].get("choices") or ()]
    return sum(1 for d in deltas if any(d.get(k) for k in ("content", "reasoning_content", "refusal"))) < 2


def stream_snapshot(raw: bytes, source: Format, target: Format) -> list[JSON]:
    events = list(scrub(sse_json(raw), source, target))
    if target is Format.BEDROCK_CONVERSE:  # metadata.metrics.latencyMs: the time the gateway saw
        for event in events:
            metrics = event["data"].get("metrics") if event.get("event") == "metadata" else None
            if isinstance(metrics, dict) and isinstance(metrics.get("latencyMs"), int):
                metrics["latencyMs"] = "<latencyMs>"
    return events
