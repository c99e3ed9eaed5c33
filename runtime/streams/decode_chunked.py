"""Decoder of the "chunked deltas" style (OpenAI Chat Completions): chunks -> IR events.

Each chunk's first choice carries a delta: reasoning text, content, refusal or
``tool_calls`` pieces. The IR wants blocks, so this decoder opens a block when
the kind of content changes (or a new tool call index appears) and closes the
previous one, allocating IR indices monotonically from 0.

Upstream quirks handled here:

- tool-call arguments split over many chunks (each piece is an ``arguments`` delta);
- parallel tool calls, each its own block;
- an upstream that sends a tool call with empty ``arguments`` and delivers them
  late (OpenRouter): such a call stays open until its arguments (or the stop)
  arrive, so nothing is lost;
- usage in its own chunk after the finish chunk (``choices: []``) or on any chunk;
- an ``{"error": {...}}`` object in a data line: an IR error;
- a body that ends without ``[DONE]``: after a finish_reason that is a normal
  end; before it, an IR error (the client sees its format's error event).

Only choice 0 is translated (``n > 1`` has no counterpart in block formats).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from interlingua.streams.errors import error_to_ir
from interlingua.streams.events import IRError, IRSink
from interlingua.streams.spec import ChunkedSpec
from interlingua.streams.state import malformed_event, truncated_stream
from interlingua.streams.usage import usage_to_ir

__all__ = ["ChunkedDecoder"]

# Top-level chunk fields that are per-chunk bookkeeping, not message extras.
_CHUNK_FIELDS = frozenset({"id", "object", "created", "model", "choices", "usage", "obfuscation"})


class _ToolCall:
    __slots__ = ("has_arguments", "index", "open")

    def __init__(self, index: int) -> None:
        self.index = index
        self.has_arguments = False
        self.open = True


@cache
def _field_kinds(reasoning: str, aliases: tuple[str, ...], text: str, refusal: str, tools: str) -> dict[str, str]:
    kinds = dict.fromkeys((reasoning, *aliases), "thinking")
    kinds.update({text: "text", refusal: "refusal", tools: "tool"})
    return kinds


class ChunkedDecoder:
    def __init__(self, spec: ChunkedSpec, sink: IRSink, reasoning_field: str, *, start_info: bool = True) -> None:
        """``start_info``: whether the sink's ``start`` is called (with the id, model and
        extras of the first chunk); a passthrough tap keeps none of them (a chunk carries no
        start usage), so it saves building them."""
        self._spec = spec
        self._sink = sink
        # delta field -> what it carries; one lookup per field present, not per field known.
        # Read only, so shared by every stream of the same spec and reasoning field.
        self._fields = _field_kinds(
            reasoning_field, spec.thinking_aliases, spec.text_field, spec.refusal_field, spec.tool_calls_field
        )
        self.done = False
        self._started = False
        self._start_info = start_info
        self._stopped = False
        self._next_index = 0
        self._open_kind: str | None = None
        self._open_index = -1
        self._tools: dict[Any, _ToolCall] = {}

    def event(self, name: str | None, data: bytes) -> None:
        if self.done or not data:
            return
        if data[0] != 123 and data.strip() == self._spec.done_sentinel:  # 123: "{"
            self._done()
            return
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            self._fail(malformed_event())
            return
        if not isinstance(chunk, dict):
            self._fail(malformed_event())
        elif chunk.get(self._spec.error_field) or name == "error":
            self._fail(error_to_ir(chunk, self._spec))
        else:
            self._chunk(chunk)

    def finish(self) -> None:
        if self.done:
            return
        if self._stopped:
            self.done = True
            self._sink.end()
        else:
            self._fail(truncated_stream())

    def _chunk(self, chunk: dict[str, Any]) -> None:
        spec = self._spec
        if not self._started:
            self._started = True
            if self._start_info:
                self._start(chunk)
        choices = chunk.get(spec.choices_field)
        if choices and type(choices) is list and not self._stopped:
            choice = choices[0]
            if type(choice) is dict and choice.get("index", 0) == 0:
                delta = choice.get(spec.delta_field)
                if delta and type(delta) is dict:
                    self._delta(delta)
                reason = choice.get(spec.finish_reason_field)
                if reason and type(reason) is str:
                    self._stop_ir(spec.stop_to_ir.get(reason, spec.default_stop_to_ir))
        usage = chunk.get(spec.usage_field)
        if usage and type(usage) is dict:
            self._sink.usage(usage_to_ir(spec.usage, usage))

    def _start(self, chunk: dict[str, Any]) -> None:
        info: dict[str, Any] = {"id": str(chunk.get("id") or ""), "model": str(chunk.get("model") or "")}
        created = chunk.get("created")
        if isinstance(created, int):
            info["created"] = created
        extras = {k: v for k, v in chunk.items() if k not in _CHUNK_FIELDS and v is not None}
        if extras:
            info["extras"] = {self._spec.format: extras}
        self._sink.start(info)

    def _delta(self, delta: dict[str, Any]) -> None:
        fields = self._fields
        thinking_seen = False
        for field, value in delta.items():
            kind = fields.get(field)
            if kind is None or not value:
                continue
            if kind == "tool":
                for position, call in enumerate(value if type(value) is list else ()):
                    if type(call) is dict:
                        self._tool_call(call, position)
            elif type(value) is not str:  # a malformed upstream: nothing a client could show
                continue
            elif kind != "thinking":
                self._text(kind, value)
            elif not thinking_seen:  # dialects that send the same text under two names
                thinking_seen = True
                self._text(kind, value)

    def _text(self, kind: str, value: Any) -> None:
        if self._open_kind != kind:
            self._close_text()
            self._close_tools(all_calls=True)
            self._open_kind = kind
            self._open_index = self._allocate()
            self._sink.block_start(self._open_index, {"type": kind})
        self._sink.delta(self._open_index, kind, value)

    def _tool_call(self, call: dict[str, Any], position: int) -> None:
        spec = self._spec
        key = call.get(spec.tool_index_field, position)
        if type(key) is not int:
            key = position
        function = call.get(spec.tool_function_field)
        if type(function) is not dict:
            function = {}
        state = self._tools.get(key)
        if state is None:
            self._close_text()
            self._close_tools(all_calls=False)
            state = self._tools[key] = _ToolCall(self._allocate())
            block = {
                "type": "tool_call",
                "id": str(call.get(spec.tool_id_field) or f"call_{state.index}"),
                "name": str(function.get(spec.tool_name_field) or ""),
            }
            self._sink.block_start(state.index, block)
        arguments = function.get(spec.tool_arguments_field)
        # A piece for a call already closed (true interleaving) has no block to go to.
        if arguments and type(arguments) is str and state.open:
            state.has_arguments = True
            self._sink.delta(state.index, "arguments", arguments)

    def _allocate(self) -> int:
        index = self._next_index
        self._next_index += 1
        return index

    def _close_text(self) -> None:
        if self._open_kind is not None:
            self._open_kind = None
            self._sink.block_stop(self._open_index)

    def _close_tools(self, *, all_calls: bool) -> None:
        """Close open tool calls; without ``all_calls`` one still waiting for its
        (late) arguments stays open."""
        for state in self._tools.values():
            if state.open and (all_calls or state.has_arguments):
                state.open = False
                self._sink.block_stop(state.index)

    def _stop_ir(self, reason: str) -> None:
        # The checks the closers make, made first: at the stop often nothing is open (always
        # for a passthrough tap, which skips content), and this runs once per stream.
        if self._open_kind is not None:
            self._close_text()
        if self._tools:
            self._close_tools(all_calls=True)
        self._stopped = True
        self._sink.stop(reason, None)

    def _done(self) -> None:
        if not self._started:
            self._fail(truncated_stream())
            return
        if not self._stopped:
            # [DONE] without a finish_reason: the message is complete all the same.
            self._stop_ir("tool_use" if self._tools else self._spec.default_stop_to_ir)
        self.done = True
        self._sink.end()

    def _fail(self, error: IRError) -> None:
        self._close_text()
        self._close_tools(all_calls=True)
        self.done = True
        self._sink.error(error)
