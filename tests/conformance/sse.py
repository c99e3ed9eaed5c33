"""A small, independent SSE codec for the tests (the WHATWG event-stream rules).

Independent of the runtime's own SSE code on purpose: the tests judge the
translator's output with a second implementation, not with itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer

__all__ = ["SSEEvent", "chunks_to_sse", "feed_in_pieces", "frames_json", "parse_sse", "sse_json"]

_LINE = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class SSEEvent:
    event: str | None
    data: str

    def json(self) -> Any:
        return orjson.loads(self.data)


def parse_sse(raw: bytes | str) -> list[SSEEvent]:
    """Every dispatched event, in order. A trailing event without its blank line is dropped (as browsers do)."""
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    events: list[SSEEvent] = []
    name: str | None = None
    data: list[str] = []
    for line in _LINE.split(text):
        if not line:
            if data:
                events.append(SSEEvent(name, "\n".join(data)))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return events


def sse_json(raw: bytes | str) -> list[dict[str, Any]]:
    """The events as ``{"event": name?, "data": parsed JSON or the literal string}`` (snapshot form).
    A Bedrock client's stream (binary event-stream frames) is read with botocore's decoder."""
    if isinstance(raw, bytes) and raw[:1] == b"\x00":  # a frame's length prefix; SSE is text
        return frames_json(raw)
    out: list[dict[str, Any]] = []
    for ev in parse_sse(raw):
        try:
            data: Any = ev.json()
        except orjson.JSONDecodeError:
            data = ev.data
        out.append({"data": data} if ev.event is None else {"event": ev.event, "data": data})
    return out


def frames_json(raw: bytes) -> list[dict[str, Any]]:
    """AWS event-stream frames as ``{"event": ":event-type" or "exception:<type>", "data": JSON}``."""
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    out: list[dict[str, Any]] = []
    for message in buffer:
        headers = message.headers
        name = headers.get(":event-type") or f"exception:{headers.get(':exception-type')}"
        out.append({"event": name, "data": orjson.loads(message.payload)})
    return out


def chunks_to_sse(lines: Iterable[str], *, named: bool, done: bool) -> bytes:
    """Rebuild a wire stream from one-JSON-per-line chunk files (vercel-ai fixtures).

    ``named``: Anthropic streams carry ``event: <type>`` lines; ``done``: OpenAI
    Chat streams end with ``data: [DONE]``.
    """
    out = bytearray()
    for line in lines:
        if not line.strip():
            continue
        if named:
            out += b"event: " + str(orjson.loads(line)["type"]).encode() + b"\n"
        out += b"data: " + line.strip().encode() + b"\n\n"
    if done:
        out += b"data: [DONE]\n\n"
    return bytes(out)


def feed_in_pieces(raw: bytes, size: int) -> Iterator[bytes]:
    """``raw`` cut every ``size`` bytes (cuts land inside lines, JSON and UTF-8 sequences)."""
    for start in range(0, len(raw), size):
        yield raw[start : start + size]
