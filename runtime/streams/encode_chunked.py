"""Encoder of the "chunked deltas" style (OpenAI Chat Completions): IR events -> chunks.

Output rules (what the openai SDK's ``ChatCompletionStreamState`` and agent
clients rely on):

- the first chunk, written as soon as the IR ``start`` arrives, carries
  ``delta.role: "assistant"``; every chunk repeats the same ``id``, ``created``
  and ``model`` (pre-rendered once per stream);
- reasoning text goes out in ``policy.reasoning_field`` (``reasoning_content``
  by default); signatures, redacted thinking and opaque blocks have no place
  here and are dropped;
- a tool call's first delta carries ``index``, ``id``, ``type`` and
  ``function.name`` with empty arguments; its arguments follow as pieces with
  only ``index`` and ``function.arguments``. ``index`` counts tool calls, not blocks;
- the stop becomes a chunk with an empty delta and the mapped ``finish_reason``;
- at the end, a usage chunk with ``choices: []`` only when the client asked for
  it (``stream_options.include_usage``), then ``data: [DONE]``;
- an error is ``data: {"error": {...}}`` (the openai SDK raises ``APIError`` on it).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from interlingua.convert.envelope import chat_usage
from interlingua.streams.events import Block, Extras, StartInfo
from interlingua.streams.spec import ChunkedSpec
from interlingua.streams.state import EncoderBase
from interlingua.streams.usage import usage_from_ir

__all__ = ["ChunkedEncoder"]

_dumps = orjson.dumps
# OpenAI repeats logprobs (null unless asked for) in every choice of every chunk.
_OPEN_CHOICE_END = b',"logprobs":null,"finish_reason":null}]}\n\n'


class ChunkedEncoder(EncoderBase):
    def __init__(self, spec: ChunkedSpec, *, reasoning_field: str, model: str | None, include_usage: bool) -> None:
        super().__init__()
        self.format = spec.format
        self._spec = spec
        self._model = model
        self._include_usage = include_usage
        self._head = b""
        self._choice = b""
        self._content_key = b'{"' + spec.text_field.encode() + b'":'
        self._reasoning_key = b'{' + _dumps(reasoning_field) + b":"
        self._refusal_key = b'{"' + spec.refusal_field.encode() + b'":'
        self._tool_calls: dict[int, int] = {}  # IR block index -> tool call index
        self._text_blocks: set[int] = set()
        self._started = False
        self._finished = False

    def start(self, info: StartInfo) -> None:
        if self._started or self.done:
            return
        self._started = True
        spec = self._spec
        created = info.get("created")
        head = b"data: {" + b'"id":' + _dumps(info.get("id") or "chatcmpl-interlingua")
        head += b',"object":' + _dumps(spec.object) + b',"created":'
        head += str(created if isinstance(created, int) else int(time.time())).encode()
        head += b',"model":' + _dumps(self._model or info.get("model") or "")
        for key, value in info.get("extras", {}).get(spec.format, {}).items():
            head += b"," + _dumps(key) + b":" + _dumps(value)
        self._head = head
        self._choice = head + b',"' + spec.choices_field.encode() + b'":[{"index":0,"' + spec.delta_field.encode() + b'":'
        # Role only: content stays null (as OpenAI streams it) until text arrives.
        self._write({spec.role_field: spec.role})
        if "usage" in info:
            self.merge_usage(info["usage"])

    def block_start(self, index: int, block: Block) -> None:
        if self.done:
            return
        self.start({})
        kind = block.get("type")
        if kind == "tool_call":
            call = len(self._tool_calls)
            self._tool_calls[index] = call
            spec = self._spec
            function = {spec.tool_name_field: block.get("name", ""), spec.tool_arguments_field: ""}
            piece = {
                spec.tool_index_field: call,
                spec.tool_id_field: block.get("id", ""),
                spec.tool_type_field: spec.tool_type,
                spec.tool_function_field: function,
            }
            self._write({spec.tool_calls_field: [piece]})
        elif kind in ("text", "thinking", "refusal"):
            self._text_blocks.add(index)

    def delta(self, index: int, kind: str, value: Any) -> None:
        if not value or self.done:
            return
        if kind == "text":
            key = self._content_key
        elif kind == "thinking":
            key = self._reasoning_key
        elif kind == "refusal":
            key = self._refusal_key
        elif kind == "arguments":
            call = self._tool_calls.get(index)
            if call is not None:
                spec = self._spec
                piece = {spec.tool_index_field: call, spec.tool_function_field: {spec.tool_arguments_field: value}}
                self._write({spec.tool_calls_field: [piece]})
            return
        else:  # signature, raw: no place in this format
            return
        if index in self._text_blocks:
            self.out.append(self._choice + key + _dumps(value) + b"}" + _OPEN_CHOICE_END)

    def block_stop(self, index: int) -> None:
        self._text_blocks.discard(index)

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.note_stop(stop_reason)
        if self._finished or self.done:
            return
        self.start({})
        self._finished = True
        spec = self._spec
        reason = spec.stop_from_ir.get(stop_reason, spec.default_stop_from_ir)
        self.out.append(self._choice + b'{},"logprobs":null,"finish_reason":' + _dumps(reason) + b"}]}\n\n")

    def end(self) -> None:
        if self.done:
            return
        self.stop("end_turn", None)
        if self._include_usage:
            usage = chat_usage(usage_from_ir(self._spec.usage, self.usage_seen))
            field = self._spec.choices_field.encode()
            self.out.append(self._head + b',"' + field + b'":[],"usage":' + _dumps(usage) + b"}\n\n")
        self.out.append(b"data: " + self._spec.done_sentinel + b"\n\n")
        self.done = True

    def close_blocks(self) -> None:
        """Chunks have no blocks to close."""
        self._text_blocks.clear()

    def _write(self, delta: dict[str, Any]) -> None:
        self.out.append(self._choice + _dumps(delta) + _OPEN_CHOICE_END)
