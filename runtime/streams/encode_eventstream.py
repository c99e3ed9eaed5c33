"""Encoder of Bedrock ConverseStream for Bedrock clients: IR events -> AWS event-stream frames.

https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html

Each IR event becomes its binary frame as it arrives (:func:`.eventstream.encode_event`):

- ``start`` -> ``messageStart {"role": "assistant"}``;
- a text or reasoning block has no start event (its first delta opens it); a tool call
  starts with ``contentBlockStart {"start": {"toolUse": {toolUseId, name}}}``;
- deltas are keyed by member: ``{"text"}``, ``{"reasoningContent": {"text"|"signature"}}``,
  ``{"toolUse": {"input": <JSON text piece>}}``; redacted thinking arrives whole as
  ``{"reasoningContent": {"redactedContent"}}``. Signatures and redacted blobs go only
  to a Bedrock client of a Bedrock-issued block (an opaque blob goes back to its issuer);
- client block indices count from 0 in the order blocks first show (a text block with no
  delta never shows, so it takes no index and gets no stop); every shown block is stopped once;
- a refusal is plain text (Bedrock has no refusal block, as in the response converter);
- the IR ``stop`` is held until ``end`` because usage may follow it (OpenAI sends usage in
  a chunk after its finish chunk): then ``messageStop {stopReason}`` and
  ``metadata {usage, metrics}``, as Bedrock orders them;
- an error (:meth:`fail`, an upstream's error event) closes open blocks, then is an
  ``exception`` frame of one of ConverseStream's exception members (``throttlingException``,
  ``validationException``, ...; anything else is ``modelStreamErrorException``), which
  boto3 raises as ``EventStreamError`` (:func:`.eventstream.converse_exception_frame`).
"""

from __future__ import annotations

import time
from typing import Any

from interlingua.streams.events import Block, Extras, StartInfo
from interlingua.streams.eventstream import encode_event
from interlingua.streams.spec import TypedBlocksSpec
from interlingua.streams.state import EncoderBase
from interlingua.streams.usage import usage_from_ir

__all__ = ["ConverseEncoder"]

# IR delta kind -> how a Converse delta spells it (member path; the value goes last).
_DELTAS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "thinking": ("reasoningContent", "text"),
    "signature": ("reasoningContent", "signature"),
    "arguments": ("toolUse", "input"),
    "refusal": ("text",),  # Bedrock has no refusal block: plain text, as the response converter does
}
_CARRIED = frozenset({"text", "refusal", "thinking", "redacted_thinking", "tool_call"})
class ConverseEncoder(EncoderBase):
    def __init__(self, spec: TypedBlocksSpec) -> None:
        super().__init__()
        self.format = spec.format
        self._spec = spec
        self._began = time.monotonic()
        self._next_index = 0
        # Open IR block index -> [client index once shown (else -1), whether its blobs may reach this client].
        self._open: dict[int, list[Any]] = {}
        self._started = False
        self._stop: str | None = None
        self._saw_tool_call = False
        self._stop_fields: dict[str, Any] = {}

    def start(self, info: StartInfo) -> None:
        if self._started or self.done:
            return
        self._started = True
        self.merge_usage(info.get("usage") or {})
        self._event("messageStart", {"role": self._spec.role})

    def block_start(self, index: int, block: Block) -> None:
        if self.done or index in self._open:
            return
        self.start({})
        kind = block.get("type")
        own = block.get("signature_format") in (None, self.format)
        if kind not in _CARRIED or (kind == "redacted_thinking" and not own):
            return  # other formats' opaque blocks and blobs: nothing a Converse stream may carry
        entry = self._open[index] = [-1, own]
        if kind == "tool_call":
            self._saw_tool_call = True
            client = self._show(entry)
            use = {"toolUseId": block.get("id") or f"tooluse_{client}", "name": block.get("name") or ""}
            self._event("contentBlockStart", {"start": {"toolUse": use}, "contentBlockIndex": client})
        elif kind == "redacted_thinking":
            self._delta(entry, {"reasoningContent": {"redactedContent": block.get("data", "")}})

    def _show(self, entry: list[Any]) -> int:
        """The block's client index, allocated when it first shows."""
        if entry[0] < 0:
            entry[0] = self._next_index
            self._next_index += 1
        return int(entry[0])

    def delta(self, index: int, kind: str, value: Any) -> None:
        entry = self._open.get(index)
        path = _DELTAS.get(kind)
        if entry is None or path is None or not value or (kind == "signature" and not entry[1]):
            return
        delta: Any = value
        for member in reversed(path):
            delta = {member: delta}
        self._delta(entry, delta)

    def _delta(self, entry: list[Any], delta: dict[str, Any]) -> None:
        self._event("contentBlockDelta", {"delta": delta, "contentBlockIndex": self._show(entry)})

    def block_stop(self, index: int) -> None:
        entry = self._open.pop(index, None)
        if entry is not None and entry[0] >= 0:
            self._event("contentBlockStop", {"contentBlockIndex": entry[0]})

    def close_blocks(self) -> None:
        for index in list(self._open):
            self.block_stop(index)

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.note_stop(stop_reason)
        if self.done or self._stop is not None:
            return
        self.close_blocks()
        self._stop = self._spec.wire_stop(stop_reason, self._saw_tool_call)
        self._stop_fields = (extras or {}).get(self.format, {})

    def end(self) -> None:
        if self.done:
            return
        self.start({})
        self.close_blocks()
        stop: dict[str, Any] = {"stopReason": self._stop or self._spec.default_stop_from_ir}
        for key, value in self._stop_fields.items():
            stop.setdefault(key, value)
        self._event("messageStop", stop)
        usage = usage_from_ir(self._spec.usage, self.usage_seen, ("input_tokens", "output_tokens"))
        latency = int((time.monotonic() - self._began) * 1000)  # as seen by the gateway
        self._event("metadata", {"usage": usage, "metrics": {"latencyMs": latency}})
        self.done = True

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        self.out.append(encode_event(name, payload))
