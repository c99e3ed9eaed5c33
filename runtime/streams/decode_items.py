"""Decoder of the "output items" style (OpenAI Responses): typed events -> IR events.

An output item (``message``, ``function_call``, ``reasoning``, a built-in tool
call) is addressed by ``output_index``; a message's content parts by
``content_index`` and a reasoning item's summary parts by ``summary_index``.
IR blocks are: one per message content part (text or refusal), one per
function call (tool_call), one per reasoning item (thinking: the summary parts
joined by a blank line, the ``encrypted_content`` as a signature delta at the
end). Items the IR does not know become ``opaque`` blocks carrying the finished
item, for a client of the same format only.

``response.completed`` / ``response.incomplete`` carry the usage and the stop
reason and end the stream; ``response.failed`` and ``error`` are IR errors; a
body that ends before a terminal event is an IR error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from interlingua.convert.responses import join_namespace
from interlingua.streams.errors import error_to_ir
from interlingua.streams.events import IRSink
from interlingua.streams.spec import ItemsSpec
from interlingua.streams.state import malformed_event, truncated_stream
from interlingua.streams.usage import usage_to_ir

__all__ = ["ItemsDecoder"]

_Handler = Callable[[dict[str, Any]], None]
_RESPONSE_FIELDS = frozenset({"id", "object", "created_at", "model", "output", "status", "usage", "error",
                              "incomplete_details"})


class ItemsDecoder:
    def __init__(self, spec: ItemsSpec, sink: IRSink) -> None:
        self._spec = spec
        self._sink = sink
        self.done = False
        self._started = False
        self._next = 0
        self._blocks: dict[Any, int] = {}  # (output_index, content_index | "item") -> open IR index
        self._summaries: dict[int, int] = {}  # reasoning output_index -> summary parts seen
        self._calls = False
        self._refusal = False
        self._handlers: dict[str, _Handler] = {
            "response.output_text.delta": self._text_delta,
            "response.refusal.delta": self._refusal_delta,
            "response.function_call_arguments.delta": self._arguments_delta,
            "response.reasoning_summary_text.delta": self._summary_delta,
            "response.reasoning_text.delta": self._summary_delta,  # raw reasoning (open-weight models)
            "response.created": self._created,
            "response.output_item.added": self._item_added,
            "response.output_item.done": self._item_done,
            "response.content_part.added": self._part_added,
            "response.content_part.done": self._part_done,
            "response.reasoning_summary_part.added": self._summary_part,
            "response.completed": self._completed,
            "response.incomplete": self._completed,
            "response.failed": self._failed,
            "error": self._error,
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
        if not self.done:
            self._fail(truncated_stream())

    # -- lifecycle --------------------------------------------------------------------------

    def _created(self, payload: dict[str, Any]) -> None:
        if self._started:
            return
        self._started = True
        response = payload.get("response")
        response = response if type(response) is dict else {}
        info: dict[str, Any] = {"id": str(response.get("id") or ""), "model": str(response.get("model") or "")}
        if type(response.get("created_at")) in (int, float):
            info["created"] = int(response["created_at"])
        extras = {k: v for k, v in response.items() if k not in _RESPONSE_FIELDS}
        if extras:
            info["extras"] = {self._spec.format: extras}
        self._sink.start(info)

    def _ensure_started(self) -> None:
        if not self._started:
            self._created({})

    def _open(self, key: Any, block: dict[str, Any], item_id: Any = None) -> int:
        self._ensure_started()
        if type(item_id) is str and item_id:  # a Responses client gets the upstream's item ids back
            block["extras"] = {self._spec.format: {"id": item_id}}
        index = self._blocks[key] = self._next
        self._next += 1
        self._sink.block_start(index, block)
        return index

    def _close(self, key: Any) -> None:
        index = self._blocks.pop(key, None)
        if index is not None:
            self._sink.block_stop(index)

    def _delta(self, key: Any, kind: str, value: Any) -> None:
        index = self._blocks.get(key)
        if index is not None and type(value) is str and value:
            self._sink.delta(index, kind, value)

    # -- items ------------------------------------------------------------------------------

    def _item_added(self, payload: dict[str, Any]) -> None:
        item, out = payload.get("item"), payload.get("output_index")
        if type(item) is not dict or type(out) is not int:
            return
        kind = item.get("type")
        if kind == "function_call":
            self._calls = True
            name = str(join_namespace(item).get("name") or "")
            self._open((out, "item"), {"type": "tool_call", "id": str(item.get("call_id") or ""), "name": name},
                       item.get("id"))
            self._delta((out, "item"), "arguments", item.get("arguments"))
        elif kind == "reasoning":
            self._open((out, "item"), {"type": "thinking", "signature_format": self._spec.format}, item.get("id"))
            self._summaries[out] = 0

    def _item_done(self, payload: dict[str, Any]) -> None:
        item, out = payload.get("item"), payload.get("output_index")
        if type(item) is not dict:
            return
        kind = item.get("type")
        if kind == "reasoning":
            self._delta((out, "item"), "signature", item.get("encrypted_content"))
        elif kind not in ("message", "function_call"):
            index = self._open((out, "item"), {"type": "opaque", "format": self._spec.format, "raw": item})
            del self._blocks[(out, "item")]
            self._sink.block_stop(index)
            return
        self._close((out, "item"))
        for key in [k for k in self._blocks if k[0] == out]:  # parts the upstream never closed
            self._close(key)

    def _part_added(self, payload: dict[str, Any]) -> None:
        part = payload.get("part")
        kind = part.get("type") if type(part) is dict else None
        key = (payload.get("output_index"), payload.get("content_index"))
        item_id = payload.get("item_id")
        if kind == "output_text":
            self._open(key, {"type": "text"}, item_id)
            self._delta(key, "text", part.get("text"))  # type: ignore[union-attr]
        elif kind == "refusal":
            self._refusal = True
            self._open(key, {"type": "refusal"}, item_id)
            self._delta(key, "refusal", part.get("refusal"))  # type: ignore[union-attr]

    def _part_done(self, payload: dict[str, Any]) -> None:
        self._close((payload.get("output_index"), payload.get("content_index")))

    def _text_delta(self, payload: dict[str, Any]) -> None:
        self._delta((payload.get("output_index"), payload.get("content_index")), "text", payload.get("delta"))

    def _refusal_delta(self, payload: dict[str, Any]) -> None:
        self._delta((payload.get("output_index"), payload.get("content_index")), "refusal", payload.get("delta"))

    def _arguments_delta(self, payload: dict[str, Any]) -> None:
        self._delta((payload.get("output_index"), "item"), "arguments", payload.get("delta"))

    def _summary_part(self, payload: dict[str, Any]) -> None:
        out = payload.get("output_index")
        seen = self._summaries.get(out)  # type: ignore[arg-type]
        if seen is None:
            return
        if seen:
            self._delta((out, "item"), "thinking", "\n\n")
        self._summaries[out] = seen + 1  # type: ignore[index]

    def _summary_delta(self, payload: dict[str, Any]) -> None:
        self._delta((payload.get("output_index"), "item"), "thinking", payload.get("delta"))

    # -- the end ----------------------------------------------------------------------------

    def _completed(self, payload: dict[str, Any]) -> None:
        self._ensure_started()
        for key in list(self._blocks):
            self._close(key)
        response = payload.get("response")
        response = response if type(response) is dict else {}
        usage = response.get("usage")
        if type(usage) is dict:
            self._sink.usage(usage_to_ir(self._spec.usage, usage))
        details = response.get("incomplete_details")
        if response.get("status") == "incomplete" or payload.get("type") == "response.incomplete":
            reason = details.get("reason") if type(details) is dict else None
            stop = self._spec.stop_to_ir.get(str(reason), self._spec.default_stop_to_ir)
        else:
            stop = "tool_use" if self._calls else "refusal" if self._refusal else "end_turn"
        self._sink.stop(stop, None)
        self.done = True
        self._sink.end()

    def _failed(self, payload: dict[str, Any]) -> None:
        response = payload.get("response")
        error = response.get("error") if type(response) is dict else None
        body = error if type(error) is dict else {"message": "upstream response failed"}
        self._fail(error_to_ir({"error": {"type": body.get("code"), **body}}, self._spec))

    def _error(self, payload: dict[str, Any]) -> None:
        # {type: error, code, message, param}, or (as recorded) the details nested under `error`
        nested = payload.get("error")
        body = nested if type(nested) is dict else {k: v for k, v in payload.items() if k not in ("type", "sequence_number")}
        ir = error_to_ir({"error": {**body, "type": body.get("type") or body.get("code")}}, self._spec)
        ir.pop("raw", None)
        if type(payload.get("message")) is str:
            ir["raw"] = payload  # a Responses client gets the upstream's own error event
        self._fail(ir)

    def _fail(self, error: dict[str, Any]) -> None:
        if self.done:
            return
        self.done = True
        for key in list(self._blocks):
            self._close(key)
        self._sink.error(error)
