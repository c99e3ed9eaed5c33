"""IR stream events (specs/ir/stream.json) as a call interface.

Decoders drive an :class:`IRSink` method per IR event instead of allocating an
event dict per delta (the hot path); :class:`EventCollector` turns the calls
into the spec's event dicts (tests, the CLI) and :func:`replay` turns event
dicts back into calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

__all__ = ["Block", "EventCollector", "Extras", "IRError", "IREvent", "IRSink", "StartInfo", "Usage", "replay"]

Usage = dict[str, int]
# {"type": "text" | "thinking" | "redacted_thinking" | "tool_call" | "refusal" | "opaque", ...}
Block = dict[str, Any]
# {"id": ..., "model": ..., "created"?: int, "usage"?: Usage, "extras"?: {...}}
StartInfo = dict[str, Any]
# {"kind": ErrorKind, "message": str, "status"?: int, "code"?: str}
IRError = dict[str, Any]
IREvent = dict[str, Any]
# {"<format>": {...}}: what only the named format can express.
Extras = dict[str, Any]


class IRSink(Protocol):
    """Receives one stream's IR events, in order. Delta kinds: text, thinking,
    signature, arguments, refusal (str values) and raw (a provider delta dict
    for an opaque block)."""

    def start(self, info: StartInfo) -> None: ...

    def block_start(self, index: int, block: Block) -> None: ...

    def delta(self, index: int, kind: str, value: Any) -> None: ...

    def block_stop(self, index: int) -> None: ...

    def usage(self, usage: Usage) -> None: ...

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None: ...

    def end(self) -> None: ...

    def error(self, error: IRError) -> None: ...


class EventCollector:
    """An :class:`IRSink` that records the IR events as spec dicts."""

    def __init__(self) -> None:
        self.events: list[IREvent] = []

    def start(self, info: StartInfo) -> None:
        self.events.append({"type": "start", **info})

    def block_start(self, index: int, block: Block) -> None:
        self.events.append({"type": "block_start", "index": index, "block": block})

    def delta(self, index: int, kind: str, value: Any) -> None:
        self.events.append({"type": "delta", "index": index, "kind": kind, "value": value})

    def block_stop(self, index: int) -> None:
        self.events.append({"type": "block_stop", "index": index})

    def usage(self, usage: Usage) -> None:
        self.events.append({"type": "usage", "usage": usage})

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        event: IREvent = {"type": "stop", "stop_reason": stop_reason}
        if stop_sequence is not None:
            event["stop_sequence"] = stop_sequence
        if extras:
            event["extras"] = extras
        self.events.append(event)

    def end(self) -> None:
        self.events.append({"type": "end"})

    def error(self, error: IRError) -> None:
        self.events.append({"type": "error", "error": error})


def replay(events: Iterable[IREvent], sink: IRSink) -> None:
    """Drive ``sink`` with IR event dicts (the inverse of :class:`EventCollector`)."""
    for event in events:
        kind = event["type"]
        if kind == "start":
            sink.start({k: v for k, v in event.items() if k != "type"})
        elif kind == "block_start":
            sink.block_start(event["index"], event["block"])
        elif kind == "delta":
            sink.delta(event["index"], event["kind"], event["value"])
        elif kind == "block_stop":
            sink.block_stop(event["index"])
        elif kind == "usage":
            sink.usage(event["usage"])
        elif kind == "stop":
            sink.stop(event["stop_reason"], event.get("stop_sequence"), event.get("extras"))
        elif kind == "end":
            sink.end()
        elif kind == "error":
            sink.error(event["error"])
        else:
            raise ValueError(f"unknown IR stream event type {kind!r}")
