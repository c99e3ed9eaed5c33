"""Encoder of the "typed block events" style (Anthropic Messages): IR events -> events.

Output rules (pitfalls.md; what the anthropic SDK and Claude Code rely on):

- ``message_start`` is written as soon as the IR ``start`` arrives, never held back;
- client block indices are allocated from 0 in start order, whatever the IR
  indices are; ``content_block_start`` precedes every delta of its block;
- every started block is stopped exactly once, on every path (stop, end,
  error, :meth:`fail`); a block never started is never stopped; deltas for an
  unknown or closed block are dropped;
- a ``tool_use`` block starts with ``input: {}`` and receives all of its
  arguments as ``input_json_delta`` pieces;
- only the final ``message_delta`` (stop reason + usage) is held, from the IR
  ``stop`` until ``end``, because an OpenAI upstream reports usage in a chunk
  after its finish chunk; nothing else is buffered.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.convert.envelope import BLOCKS_ENVELOPES
from interlingua.streams.events import Block, Extras, StartInfo
from interlingua.streams.spec import TypedBlocksSpec
from interlingua.streams.state import EncoderBase
from interlingua.streams.usage import usage_from_ir

__all__ = ["BlocksEncoder"]

_dumps = orjson.dumps


_HEADS: dict[str, dict[str, bytes]] = {}


def _delta_heads(spec: TypedBlocksSpec) -> dict[str, bytes]:
    """IR delta kind -> the bytes of the wire delta object up to its value (once per format)."""
    heads = _HEADS.get(spec.format)
    if heads is None:
        heads = _HEADS[spec.format] = {
            kind: b'{"type":' + _dumps(wire_type) + b"," + _dumps(field) + b":"
            for kind, (wire_type, field) in spec.deltas_out.items()
        }
    return heads


class BlocksEncoder(EncoderBase):
    def __init__(self, spec: TypedBlocksSpec, *, model: str | None) -> None:
        super().__init__()
        self.format = spec.format
        self._spec = spec
        self._model = model
        self._heads = _delta_heads(spec)
        self._envelope = BLOCKS_ENVELOPES.get(spec.format)
        events = spec.events
        self._delta_event = b"event: " + events.block_delta.encode() + b"\ndata: "
        self._delta_type = _dumps(events.block_delta)
        self._next_index = 0
        # Open IR block index -> (client index, the delta frame prefix for it).
        self._open: dict[int, tuple[int, bytes]] = {}
        self._started = False
        self._stop: tuple[str, str | None] | None = None
        self._saw_tool_call = False
        self._stop_extras: dict[str, Any] = {}
        # Blocks signed by another format: their signature deltas are dropped (an opaque blob
        # only goes back to the kind of upstream that issued it).
        self._foreign_signed: set[int] = set()

    def start(self, info: StartInfo) -> None:
        if self._started or self.done:
            return
        self._started = True
        spec = self._spec
        usage = info.get("usage") or {}
        self.merge_usage(usage)
        message: dict[str, Any] = {
            "id": info.get("id") or "msg_interlingua",
            "type": spec.message_type,
            "role": spec.role,
            "model": self._model or info.get("model") or "",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": usage_from_ir(spec.usage, usage),
        }
        for key, value in info.get("extras", {}).get(spec.format, {}).items():
            message.setdefault(key, value)
        if self._envelope is not None:
            self._envelope.start_usage(message["usage"])
        self._event(spec.events.message_start, {"type": spec.events.message_start, "message": message})

    def block_start(self, index: int, block: Block) -> None:
        if self.done or index in self._open:
            return
        self.start({})
        content = self._content_block(block)
        if content is None:
            return
        client = self._next_index
        self._next_index += 1
        self._saw_tool_call = self._saw_tool_call or block.get("type") == "tool_call"
        if block.get("signature_format") not in (None, self.format):
            self._foreign_signed.add(index)
        prefix = self._delta_event + b'{"type":' + self._delta_type + b',"index":' + str(client).encode()
        self._open[index] = (client, prefix + b',"delta":')
        block_start = self._spec.events.block_start
        self._event(block_start, {"type": block_start, "index": client, "content_block": content})

    def _content_block(self, block: Block) -> dict[str, Any] | None:
        kind = block.get("type")
        if kind == "opaque":
            raw = block.get("raw")
            return raw if block.get("format") == self.format and isinstance(raw, dict) else None
        rule = self._spec.blocks_out.get(str(kind))
        if rule is None:
            return None
        content: dict[str, Any] = {"type": rule.wire_type}
        for field, ir_field in rule.fields.items():
            content[field] = block.get(ir_field, "")
        content.update(rule.start)
        for key, value in block.get("extras", {}).get(self.format, {}).items():
            content.setdefault(key, value)
        return content if self._envelope is None else self._envelope.block(content)

    def delta(self, index: int, kind: str, value: Any) -> None:
        entry = self._open.get(index)
        if entry is None or not value:
            return
        if kind == "signature" and index in self._foreign_signed:
            return
        if kind == "raw":
            if value.get("format") == self.format:
                self.out.append(entry[1] + _dumps(value.get("delta")) + b"}\n\n")
            return
        head = self._heads.get(kind)
        if head is not None:
            self.out.append(entry[1] + head + _dumps(value) + b"}}\n\n")

    def block_stop(self, index: int) -> None:
        entry = self._open.pop(index, None)
        if entry is not None:
            block_stop = self._spec.events.block_stop
            self._event(block_stop, {"type": block_stop, "index": entry[0]})

    def close_blocks(self) -> None:
        for index in list(self._open):
            self.block_stop(index)

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.note_stop(stop_reason)
        if self.done or self._stop is not None:
            return
        self.close_blocks()
        self._stop = (self._spec.wire_stop(stop_reason, self._saw_tool_call), stop_sequence)
        self._stop_extras = (extras or {}).get(self._spec.format, {})

    def end(self) -> None:
        if self.done:
            return
        self.start({})
        self.close_blocks()
        spec = self._spec
        reason, sequence = self._stop or (spec.default_stop_from_ir, None)
        events = spec.events
        delta: dict[str, Any] = {"stop_reason": reason, "stop_sequence": sequence}
        payload: dict[str, Any] = {"type": events.message_delta, "delta": delta}
        for key, value in self._stop_extras.get("delta", {}).items():
            delta.setdefault(key, value)
        for key, value in self._stop_extras.get("event", {}).items():
            payload.setdefault(key, value)
        # output_tokens is always known (0 at worst); the envelope adds the other counters, null when unknown.
        payload["usage"] = usage = usage_from_ir(spec.usage, self.usage_seen, ("output_tokens",))
        if self._envelope is not None:
            self._envelope.delta_usage(usage, self.usage_seen)
        self._event(events.message_delta, payload)
        self._event(events.message_stop, {"type": events.message_stop})
        self.done = True

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        self.out.append(b"event: " + name.encode() + b"\ndata: " + _dumps(payload) + b"\n\n")
