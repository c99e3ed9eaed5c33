"""Encoder of the "output items" style (OpenAI Responses): IR events -> typed events.

Output rules (what the openai SDK's ``ResponseStreamState`` and Codex rely on):

- ``response.created`` and ``response.in_progress`` are written as soon as the IR
  ``start`` arrives; every event carries a ``sequence_number`` counting from 0;
- IR text and refusal blocks are content parts of one ``message`` item, which
  stays open across consecutive text blocks; any other block closes it; a
  thinking block is a ``reasoning`` item (one summary part, opened on the first
  thinking delta), a tool call a ``function_call`` item (``ns__fn`` names get
  their namespace back);
- every item added is done exactly once, every part added is done once, on
  every path (end, error, :meth:`fail`);
- the terminal ``response.completed`` (or ``response.incomplete``) carries the
  response built from what was streamed: the finished output items and the usage.
  Holding the finished items is inherent to that event; nothing is delayed.
- errors: an ``error`` event, then ``response.failed``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import orjson

from interlingua.convert.envelope import responses_completed, responses_echo, responses_usage
from interlingua.convert.responses_output import unsplit_call
from interlingua.errors import GatewayError
from interlingua.streams.events import Block, Extras, IRError, StartInfo
from interlingua.streams.spec import ItemsSpec
from interlingua.streams.state import EncoderBase
from interlingua.streams.usage import usage_from_ir

__all__ = ["ItemsEncoder"]

_dumps = orjson.dumps
# IR error kind -> the ResponseError code of response.failed (the SDK's closed set).
_FAILED_CODE = {"rate_limit": "rate_limit_exceeded", "invalid_request": "invalid_prompt"}


class _Open:
    """One open IR block: the item (and part) it writes into."""

    __slots__ = ("content_index", "item", "kind", "ours", "output_index", "text")

    def __init__(self, kind: str, item: dict[str, Any], output_index: int, content_index: int = 0) -> None:
        self.kind = kind
        self.item = item
        self.output_index = output_index
        self.content_index = content_index
        self.text: list[str] = []
        self.ours = False  # thinking signed by this format: its signature is the encrypted_content


class ItemsEncoder(EncoderBase):
    def __init__(self, spec: ItemsSpec, *, model: str | None, request: dict[str, Any] | None = None) -> None:
        """``request``: the client's own request body, echoed in the response object as OpenAI does."""
        super().__init__()
        self._echo = responses_echo(request)
        self._echoed = request is not None
        self.format = spec.format
        self._spec = spec
        self._model = model
        self._seq = 0
        self._response: dict[str, Any] = {}
        self._output: list[dict[str, Any]] = []
        self._message: dict[str, Any] | None = None
        self._open: dict[int, _Open] = {}
        self._stop = "end_turn"
        self._refused = False  # a refusal part was written
        self._started = False
        self._tail = ""

    # -- framing ----------------------------------------------------------------------------

    def _emit(self, kind: str, body: dict[str, Any]) -> None:
        event = {"type": kind, "sequence_number": self._seq, **body}
        self._seq += 1
        self.out.append(b"event: " + kind.encode() + b"\ndata: " + _dumps(event) + b"\n\n")

    def _snapshot(self, status: str) -> dict[str, Any]:
        return {**self._response, "status": status, "output": list(self._output)}

    def start(self, info: StartInfo) -> None:
        if self._started:
            return
        self._started = True
        rid = str(info.get("id") or f"resp_{secrets.token_hex(12)}")
        # Item ids must be unique across a conversation (clients send them back): derived from the response id
        self._tail = rid.removeprefix("resp_").removeprefix("resp-")[-24:]
        extras = (info.get("extras") or {}).get(self.format) or {}
        self._response = {
            "id": rid if rid.startswith("resp") else f"resp_{rid}",
            "object": "response",
            "created_at": info.get("created") or int(time.time()),
            "model": self._model or str(info.get("model") or ""),
            "error": None,
            "incomplete_details": None,
            **self._echo,
            "usage": None,  # what OpenAI sends until the end (its published schema says object)
            **extras,
        }
        if self._echoed:  # the client's own request beats an upstream's echo of our translation
            self._response.update(self._echo)
        self._emit("response.created", {"response": self._snapshot("in_progress")})
        self._emit("response.in_progress", {"response": self._snapshot("in_progress")})

    # -- items ------------------------------------------------------------------------------

    def _add_item(self, item: dict[str, Any]) -> int:
        self._close_message()
        index = len(self._output)
        self._output.append(item)
        self._emit("response.output_item.added", {"output_index": index, "item": dict(item)})
        return index

    def _done_item(self, index: int, item: dict[str, Any]) -> None:
        if item.get("status") == "in_progress":
            item["status"] = "completed"
        self._emit("response.output_item.done", {"output_index": index, "item": item})

    def _close_message(self) -> None:
        message, self._message = self._message, None
        if message is not None:
            self._done_item(self._output.index(message), message)

    def _item_id(self, block: Block, prefix: str) -> str:
        given = ((block.get("extras") or {}).get(self.format) or {}).get("id")
        return given if type(given) is str and given else f"{prefix}_{self._tail}_{len(self._output)}"

    def _message_part(self, index: int, kind: str, block: Block) -> None:
        given = ((block.get("extras") or {}).get(self.format) or {}).get("id")
        if self._message is not None and type(given) is str and given != self._message["id"]:
            self._close_message()  # the upstream started another message item
        if self._message is None:
            item: dict[str, Any] = {"id": self._item_id(block, "msg"), "type": "message", "status": "in_progress",
                    "role": "assistant", "content": []}
            self._add_item(item)
            self._message = item
        message = self._message
        part: dict[str, Any] = (
            {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            if kind == "text" else {"type": "refusal", "refusal": ""}
        )
        state = _Open(kind, message, self._output.index(message), len(message["content"]))
        message["content"].append(part)
        self._open[index] = state
        self._emit("response.content_part.added", {**self._where(state), "part": dict(part)})

    def _where(self, state: _Open) -> dict[str, Any]:
        where = {"item_id": state.item["id"], "output_index": state.output_index}
        if state.kind in ("text", "refusal"):
            where["content_index"] = state.content_index
        elif state.kind == "thinking":
            where["summary_index"] = 0
        return where

    def block_start(self, index: int, block: Block) -> None:
        if self.done or index in self._open:
            return
        kind = block.get("type")
        if kind in ("text", "refusal"):
            self._refused = self._refused or kind == "refusal"
            self._message_part(index, kind, block)
        elif kind == "thinking":
            item = {"id": self._item_id(block, "rs"), "type": "reasoning", "summary": []}
            state = _Open("thinking", item, self._add_item(item))
            state.ours = block.get("signature_format") == self.format
            self._open[index] = state
        elif kind == "tool_call":
            item = unsplit_call({"id": self._item_id(block, "fc"), "type": "function_call", "status": "in_progress",
                                 "call_id": str(block.get("id") or ""), "name": str(block.get("name") or ""),
                                 "arguments": ""})
            self._open[index] = _Open("tool_call", item, self._add_item(item))
        elif kind == "opaque" and block.get("format") == self.format and type(block.get("raw")) is dict:
            item = dict(block["raw"])
            self._open[index] = _Open("opaque", item, self._add_item(item))

    def delta(self, index: int, kind: str, value: Any) -> None:
        state = self._open.get(index)
        if state is None or type(value) is not str:
            return
        if state.kind in ("text", "refusal") and kind in ("text", "refusal"):
            state.text.append(value)
            name = "response.output_text.delta" if state.kind == "text" else "response.refusal.delta"
            body = {**self._where(state), "delta": value}
            if state.kind == "text":
                body["logprobs"] = []
            self._emit(name, body)
        elif state.kind == "thinking" and kind == "thinking":
            if not state.text:
                self._emit("response.reasoning_summary_part.added",
                           {**self._where(state), "part": {"type": "summary_text", "text": ""}})
            state.text.append(value)
            self._emit("response.reasoning_summary_text.delta", {**self._where(state), "delta": value})
        elif state.kind == "thinking" and kind == "signature" and state.ours:
            state.item["encrypted_content"] = state.item.get("encrypted_content", "") + value
        elif state.kind == "tool_call" and kind == "arguments":
            state.text.append(value)
            self._emit("response.function_call_arguments.delta", {**self._where(state), "delta": value})

    def block_stop(self, index: int) -> None:
        state = self._open.pop(index, None)
        if state is None:
            return
        text = "".join(state.text)
        where = self._where(state)
        if state.kind == "text":
            part = state.item["content"][state.content_index]
            part["text"] = text
            self._emit("response.output_text.done", {**where, "text": text, "logprobs": []})
            self._emit("response.content_part.done", {**where, "part": part})
        elif state.kind == "refusal":
            part = state.item["content"][state.content_index]
            part["refusal"] = text
            self._emit("response.refusal.done", {**where, "refusal": text})
            self._emit("response.content_part.done", {**where, "part": part})
        elif state.kind == "thinking":
            if state.text:
                part = {"type": "summary_text", "text": text}
                state.item["summary"] = [part]
                self._emit("response.reasoning_summary_text.done", {**where, "text": text})
                self._emit("response.reasoning_summary_part.done", {**where, "part": part})
            self._done_item(state.output_index, state.item)
        elif state.kind == "tool_call":
            state.item["arguments"] = text
            self._emit("response.function_call_arguments.done",
                       {**where, "name": state.item["name"], "arguments": text})
            self._done_item(state.output_index, state.item)
        else:
            self._done_item(state.output_index, state.item)

    # -- the end ----------------------------------------------------------------------------

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.note_stop(stop_reason)
        self._stop = stop_reason

    def close_blocks(self) -> None:
        for index in list(self._open):
            self.block_stop(index)
        self._close_message()

    def end(self) -> None:
        if self.done:
            return
        if not self._started:
            self.start({"id": "", "model": ""})
        self.close_blocks()
        reason = self._spec.stop_from_ir.get(self._stop)
        if self._stop == "refusal" and not self._refused:
            reason = "content_filter"  # a refusal stop on plain text: a filtered answer
        response = self._snapshot("incomplete" if reason else "completed")
        if reason:
            response["incomplete_details"] = {"reason": reason}
        response["usage"] = self._usage()
        responses_completed(response)
        self._emit("response.incomplete" if reason else "response.completed", {"response": response})
        self.final = response
        self.done = True

    def _usage(self) -> dict[str, Any]:
        return responses_usage(usage_from_ir(self._spec.usage, self.usage_seen))

    def fail(self, err: GatewayError) -> None:
        if self.done:
            return
        from interlingua.translate import Format, render_error

        body = render_error(err, Format(self.format)).get("error") or {}
        self._fail(str(body.get("code") or body.get("type") or "server_error"), str(body.get("message") or ""),
                   body.get("param"), err.kind)

    def error(self, error: IRError) -> None:
        raw = error.get("raw")
        if error.get("format") == self.format and type(raw) is dict and raw.get("type") == "error":
            if self.done:
                return
            self._fail(str(raw.get("code") or ""), str(raw.get("message") or ""), raw.get("param"),
                       str(error.get("kind") or "api_error"))
            return
        super().error(error)

    def _fail(self, code: str, message: str, param: Any, kind: str) -> None:
        if not self._started:
            self.start({"id": "", "model": ""})
        self.close_blocks()
        self._emit("error", {"code": code or None, "message": message, "param": param})
        response = self._snapshot("failed")
        response["error"] = {"code": _FAILED_CODE.get(kind, "server_error"), "message": message}
        self._emit("response.failed", {"response": response})
        self.done = True
