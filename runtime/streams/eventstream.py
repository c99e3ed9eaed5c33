"""AWS event streams (``application/vnd.amazon.eventstream``) into the typed-blocks decoder.

Bedrock's ConverseStream answers with binary frames, not SSE. Two pieces:

- :class:`EventStreamParser` decodes frames incrementally with botocore's own
  ``EventStreamBuffer`` (prelude and message CRCs checked), and yields
  ``(name, payload)`` like the SSE parser: the name is the ``:event-type`` header,
  or ``exception:<type>`` for ``:message-type exception`` / ``error`` frames.
- :class:`ConverseEvents` turns Converse's events into the typed-block events the
  shared :class:`~.decode_blocks.BlocksDecoder` reads (tables from
  ``codegen/rules/bedrock_converse.stream.yaml``). Converse differs in three ways:
  a text or reasoning block has no start event (its first delta opens it), deltas
  are keyed by member (``{"text": ...}``, ``{"toolUse": {"input": ...}}``), and
  usage (``metadata``) follows ``messageStop``, so the stop is held until it arrives.

The encoder (:func:`encode_frame`, :func:`encode_event`, :func:`encode_exception`,
:func:`converse_exception_frame`) is what the Bedrock client's stream encoder
(:mod:`.encode_eventstream`), stream errors, the fake upstream's Bedrock and the stream tests
write frames with: one copy, beside the decoder that checks it. Frame layout: total length (u32 BE), headers length (u32 BE), CRC32 of those
8 bytes, headers (name length u8, name, type 7 = string, value length u16, value), payload,
CRC32 of everything before it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping
from typing import Any

import orjson
from botocore.eventstream import EventStreamBuffer, ParserError

from interlingua.streams.decode_blocks import BlocksDecoder
from interlingua.streams.sse import EventTooLarge

__all__ = [
    "ConverseEvents",
    "EventStreamParser",
    "MalformedFrame",
    "converse_exception_frame",
    "encode_event",
    "encode_exception",
    "encode_frame",
]


class MalformedFrame(EventTooLarge):
    """An event-stream frame failed its CRC or length checks (the stream is unusable)."""


class EventStreamParser:
    """One stream's frame decoder; ``feed`` returns the events completed so far."""

    __slots__ = ("_buffer", "_pending")

    def __init__(self) -> None:
        self._buffer = EventStreamBuffer()
        self._pending = 0

    def feed(self, data: bytes) -> list[tuple[str | None, bytes]]:
        self._buffer.add_data(data)
        self._pending += len(data)
        events: list[tuple[str | None, bytes]] = []
        try:
            for message in self._buffer:
                self._pending -= message.prelude.total_length
                events.append(_named(message.headers, message.payload))
        except ParserError as exc:
            raise MalformedFrame(f"malformed event-stream frame from the upstream: {type(exc).__name__}") from exc
        return events

    def finish(self) -> list[tuple[str | None, bytes]]:
        """Bytes of an unfinished frame are dropped; the decoder reports the truncation."""
        return []

    @property
    def pending(self) -> int:
        """Bytes fed that are not part of a whole, valid frame (an unfinished frame, or after a
        :class:`MalformedFrame`, the bad frame and what followed it)."""
        return self._pending


def _named(headers: dict[str, Any], payload: bytes) -> tuple[str | None, bytes]:
    kind = headers.get(":message-type")
    if kind == "exception":
        return f"exception:{headers.get(':exception-type') or 'unknown'}", payload
    if kind == "error":
        body = orjson.dumps({"message": headers.get(":error-message") or "upstream stream error"})
        return f"exception:{headers.get(':error-code') or 'unknown'}", body
    name = headers.get(":event-type")
    return (name if isinstance(name, str) else None), payload


# Converse delta member -> the typed-blocks (block type, delta type, value field) it is.
_REASONING = {"text": "reasoningText", "signature": "signature"}


class ConverseEvents:
    """Converse events -> typed-block events for ``inner`` (a decoder of the Converse tables)."""

    __slots__ = ("_inner", "_open", "_stop")

    def __init__(self, inner: BlocksDecoder) -> None:
        self._inner = inner
        self._open: set[int] = set()
        self._stop: dict[str, Any] | None = None

    @property
    def done(self) -> bool:
        return self._inner.done

    @done.setter
    def done(self, value: bool) -> None:
        self._inner.done = value

    def event(self, name: str | None, data: bytes) -> None:
        if self._inner.done or not name:
            return
        try:
            payload = orjson.loads(data) if data else {}
        except orjson.JSONDecodeError:
            payload = None
        if not isinstance(payload, dict):
            # The shared decoder fails it as malformed (not as the upstream's own error, which
            # a passthrough relay would pass on): the payload is not a JSON object either way.
            self._inner.event(name, data)
            return
        if name.startswith("exception:"):
            wire_type = name.partition(":")[2]
            error = {"type": wire_type[:1].upper() + wire_type[1:], "message": payload.get("message") or payload.get("Message")}
            self._pass("error", {"error": error})
            return
        handler = _HANDLERS.get(name)
        if handler is not None:
            handler(self, payload)

    def finish(self) -> None:
        if not self._inner.done and self._stop is not None:
            self._metadata({})
        self._inner.finish()

    def _pass(self, kind: str, payload: dict[str, Any]) -> None:
        payload["type"] = kind
        self._inner.event(kind, orjson.dumps(payload))

    def _message_start(self, payload: dict[str, Any]) -> None:
        self._pass("messageStart", {"message": {}})

    def _block_start(self, payload: dict[str, Any]) -> None:
        index = payload.get("contentBlockIndex")
        start = payload.get("start")
        tool = start.get("toolUse") if isinstance(start, dict) else None
        if type(index) is int and isinstance(tool, dict):
            self._open.add(index)
            self._pass("contentBlockStart", {"index": index, "content_block": {**tool, "type": "toolUse"}})

    def _block_delta(self, payload: dict[str, Any]) -> None:
        index, delta = payload.get("contentBlockIndex"), payload.get("delta")
        if type(index) is not int or not isinstance(delta, dict):
            return
        if "text" in delta:
            self._delta(index, "text", {"type": "text", "text": delta["text"]})
        elif isinstance(tool := delta.get("toolUse"), dict):
            self._delta(index, "toolUse", {"type": "toolUse", "input": tool.get("input")})
        elif isinstance(reasoning := delta.get("reasoningContent"), dict):
            if "redactedContent" in reasoning:  # arrives whole: the block's data, like Anthropic's
                self._open_block(index, {"type": "redactedContent", "data": reasoning["redactedContent"]})
                return
            for member, wire in _REASONING.items():
                if member in reasoning:
                    self._delta(index, "reasoningContent", {"type": wire, wire_field(wire): reasoning[member]})

    def _delta(self, index: int, block_type: str, delta: dict[str, Any]) -> None:
        if index not in self._open:
            self._open_block(index, {"type": block_type})
        self._pass("contentBlockDelta", {"index": index, "delta": delta})

    def _open_block(self, index: int, block: dict[str, Any]) -> None:
        if index not in self._open:
            self._open.add(index)
            self._pass("contentBlockStart", {"index": index, "content_block": block})

    def _block_stop(self, payload: dict[str, Any]) -> None:
        index = payload.get("contentBlockIndex")
        if type(index) is int:
            self._pass("contentBlockStop", {"index": index})

    def _message_stop(self, payload: dict[str, Any]) -> None:
        self._stop = payload  # usage comes in the metadata event that follows

    def _metadata(self, payload: dict[str, Any]) -> None:
        event: dict[str, Any] = {"delta": {}}
        if self._stop is not None:
            event["delta"]["stop_reason"] = self._stop.get("stopReason") or "end_turn"
        if isinstance(payload.get("usage"), dict):
            event["usage"] = payload["usage"]
        self._pass("messageDelta", event)
        if self._stop is not None:
            self._pass("messageStop", {})


def wire_field(delta_type: str) -> str:
    """The value field of a synthetic reasoning delta (``reasoningText`` -> ``text``)."""
    return "text" if delta_type == "reasoningText" else delta_type


_HANDLERS = {
    "messageStart": ConverseEvents._message_start,
    "contentBlockStart": ConverseEvents._block_start,
    "contentBlockDelta": ConverseEvents._block_delta,
    "contentBlockStop": ConverseEvents._block_stop,
    "messageStop": ConverseEvents._message_stop,
    "metadata": ConverseEvents._metadata,
}


def _encode_header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("!B", len(raw_name)) + raw_name + struct.pack("!BH", 7, len(raw_value)) + raw_value


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream frame (string headers only, which is all Converse uses)."""
    encoded = b"".join(_encode_header(k, v) for k, v in headers.items())
    prelude = struct.pack("!II", 12 + len(encoded) + len(payload) + 4, len(encoded))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + encoded + payload
    return body + struct.pack("!I", zlib.crc32(body))


def encode_event(event_type: str, payload: Any) -> bytes:
    """An ``event`` frame with a JSON payload, as ConverseStream sends each event."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_frame(headers, orjson.dumps(payload))


def encode_exception(exception_type: str, message: str) -> bytes:
    """An ``exception`` frame (``{"message": ...}``), as a stream failing midway sends."""
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return encode_frame(headers, orjson.dumps({"message": message}))


# The exceptions ConverseStream's event union declares (botocore's service model).
_STREAM_EXCEPTIONS = frozenset(
    {"InternalServerException", "ModelStreamErrorException", "ValidationException", "ThrottlingException", "ServiceUnavailableException"}
)


def converse_exception_frame(body: Mapping[str, Any]) -> bytes:
    """A Bedrock error body (``{"__type", "message"}``) as ConverseStream's exception frame; a
    type the stream cannot carry (AccessDenied, ModelTimeout, ...) is a model stream error."""
    wire_type = str(body.get("__type") or "InternalServerException")
    if wire_type not in _STREAM_EXCEPTIONS:
        wire_type = "ModelStreamErrorException"
    message = body.get("message")
    return encode_exception(wire_type[0].lower() + wire_type[1:], str(message or "upstream stream error"))
