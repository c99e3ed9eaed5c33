"""Decoder of the "typed block events" style (Anthropic Messages): events -> IR events.

Wire block indices are remapped to IR indices allocated from 0 in start order,
so an upstream's gaps or reuse never reach a client. Block types the rules do
not know (server tool use, web search results, ...) become ``opaque`` IR blocks
carrying the raw block; delta types they do not know become ``raw`` deltas.
Only an encoder of the same format writes those back.

Usage arrives on ``message_start`` (input and cache tokens) and on
``message_delta`` (cumulative output, sometimes input too): the wire values are
merged, later wins per field, and the IR usage is recomputed from the merge.

``ping`` is dropped, ``error`` becomes an IR error, and a body that ends
without ``message_stop`` is an IR error unless its stop reason already arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from interlingua.streams.errors import error_to_ir
from interlingua.streams.events import Block, Extras, IRError, IRSink
from interlingua.streams.spec import TypedBlocksSpec, WireBlock
from interlingua.streams.state import malformed_event, truncated_stream
from interlingua.streams.usage import usage_to_ir

__all__ = ["BlocksDecoder"]

# message fields that are the stream's structure, not extras.
_MESSAGE_FIELDS = frozenset({"id", "type", "role", "model", "content", "stop_reason", "stop_sequence", "usage"})
_DELTA_EVENT_FIELDS = frozenset({"type", "delta", "usage"})
_DELTA_FIELDS = frozenset({"stop_reason", "stop_sequence"})


class BlocksDecoder:
    def __init__(self, spec: TypedBlocksSpec, sink: IRSink) -> None:
        self._spec = spec
        self._sink = sink
        self._format = spec.format
        self.done = False
        self._started = False
        self._stopped = False
        self._indices: dict[Any, int] = {}  # wire index -> IR index
        self._open: dict[int, bool] = {}  # open IR index -> is opaque
        self._wire_usage: dict[str, Any] = {}
        events = spec.events
        self._handlers: dict[str, Callable[[dict[str, Any]], None]] = {
            events.block_delta: self._block_delta,
            events.message_start: self._message_start,
            events.block_start: self._block_start,
            events.block_stop: self._block_stop,
            events.message_delta: self._message_delta,
            events.message_stop: self._message_stop,
            events.error: self._error,
        }

    def event(self, name: str | None, data: bytes) -> None:
        if self.done or not data:
            return
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            self._fail(malformed_event())
            return
        if not isinstance(payload, dict):
            self._fail(malformed_event())
            return
        kind = payload.get("type")
        handler = self._handlers.get(kind if type(kind) is str else name or "")
        if handler is not None:
            handler(payload)

    def finish(self) -> None:
        if self.done:
            return
        if self._stopped:
            self._close_all()
            self.done = True
            self._sink.end()
        else:
            self._fail(truncated_stream())

    def _ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._sink.start({"id": "", "model": ""})

    def _message_start(self, payload: dict[str, Any]) -> None:
        if self._started:
            return
        self._started = True
        message = payload.get("message")
        if type(message) is not dict:
            message = {}
        info: dict[str, Any] = {"id": str(message.get("id") or ""), "model": str(message.get("model") or "")}
        usage = message.get("usage")
        if isinstance(usage, dict):
            self._merge_usage(usage)
            info["usage"] = usage_to_ir(self._spec.usage, self._wire_usage)
        # Nulls too: a same-format client sees the fields the upstream sent.
        extras = {k: v for k, v in message.items() if k not in _MESSAGE_FIELDS}
        if extras:
            info["extras"] = {self._format: extras}
        self._sink.start(info)

    def _block_start(self, payload: dict[str, Any]) -> None:
        self._ensure_started()
        wire_index = payload.get("index")
        block = payload.get("content_block")
        if type(wire_index) is not int or wire_index in self._indices or type(block) is not dict:
            return
        index = self._indices[wire_index] = len(self._indices)
        block_type = block.get("type")
        rule = self._spec.blocks_in.get(block_type) if type(block_type) is str else None
        if rule is None:
            self._open[index] = True
            self._sink.block_start(index, {"type": "opaque", "format": self._format, "raw": block})
            return
        self._open[index] = False
        self._sink.block_start(index, self._ir_block(rule, block))
        for field, kind in rule.content.items():
            value = block.get(field)
            if value and type(value) is not str and kind == "arguments":
                value = orjson.dumps(value).decode()
            if value and type(value) is str:
                self._sink.delta(index, kind, value)

    def _ir_block(self, rule: WireBlock, block: dict[str, Any]) -> Block:
        ir_block: Block = {"type": rule.ir_type}
        for field, ir_field in rule.fields.items():
            value = block.get(field)
            if value is not None:
                ir_block[ir_field] = value
        if rule.signed:
            ir_block["signature_format"] = self._format
        extras = {k: v for k, v in block.items() if k != "type" and k not in rule.fields and k not in rule.start}
        if extras:
            ir_block["extras"] = {self._format: extras}
        return ir_block

    def _block_delta(self, payload: dict[str, Any]) -> None:
        wire_index = payload.get("index")
        index = self._indices.get(wire_index) if type(wire_index) is int else None
        if index is None or index not in self._open:
            return
        delta = payload.get("delta")
        if type(delta) is not dict:
            return
        delta_type = delta.get("type")
        rule = None if self._open[index] or type(delta_type) is not str else self._spec.deltas_in.get(delta_type)
        if rule is None:
            self._sink.delta(index, "raw", {"format": self._format, "delta": delta})
            return
        value = delta.get(rule[1])
        if type(value) is str:
            self._sink.delta(index, rule[0], value)

    def _block_stop(self, payload: dict[str, Any]) -> None:
        wire_index = payload.get("index")
        index = self._indices.get(wire_index) if type(wire_index) is int else None
        if index is not None and self._open.pop(index, None) is not None:
            self._sink.block_stop(index)

    def _message_delta(self, payload: dict[str, Any]) -> None:
        self._ensure_started()
        usage = payload.get("usage")
        if isinstance(usage, dict):
            self._merge_usage(usage)
            self._sink.usage(usage_to_ir(self._spec.usage, self._wire_usage))
        delta = payload.get("delta")
        if type(delta) is not dict:
            delta = {}
        reason = delta.get("stop_reason")
        if reason and not self._stopped:
            self._close_all()
            self._stopped = True
            spec = self._spec
            sequence = delta.get("stop_sequence")
            self._sink.stop(
                spec.stop_to_ir.get(str(reason), spec.default_stop_to_ir),
                sequence if isinstance(sequence, str) else None,
                self._stop_extras(payload, delta),
            )

    def _stop_extras(self, payload: dict[str, Any], delta: dict[str, Any]) -> Extras | None:
        """Stop details only this format expresses (``stop_details``, ``context_management``)."""
        extras = {
            where: kept
            for where, source, known in (("event", payload, _DELTA_EVENT_FIELDS), ("delta", delta, _DELTA_FIELDS))
            if (kept := {k: v for k, v in source.items() if k not in known})
        }
        return {self._format: extras} if extras else None

    def _message_stop(self, payload: dict[str, Any]) -> None:
        self._ensure_started()
        self._close_all()
        if not self._stopped:
            self._stopped = True
            self._sink.stop(self._spec.default_stop_to_ir, None)
        self.done = True
        self._sink.end()

    def _error(self, payload: dict[str, Any]) -> None:
        self._fail(error_to_ir(payload, self._spec))

    def _merge_usage(self, usage: dict[str, Any]) -> None:
        self._wire_usage.update((k, v) for k, v in usage.items() if v is not None)

    def _close_all(self) -> None:
        for index in list(self._open):
            del self._open[index]
            self._sink.block_stop(index)

    def _fail(self, error: IRError) -> None:
        self._close_all()
        self.done = True
        self._sink.error(error)
