"""Decoder of the "whole parts" style (Gemini streamGenerateContent?alt=sse): chunks -> IR events.

Every event is a whole response object; its first candidate holds parts. Text
and thought parts are pieces of a longer text: consecutive pieces of the same
kind share one IR block. A function call arrives whole in one part: it is one
IR block (start, the arguments as one delta, stop). The finish reason and
usage come in the last event(s); the stream just ends (no sentinel), so the
end of the body after a finish reason is a normal end and before it a
truncated stream (an IR error).

Quirks handled here:

- calls without ids get stable synthetic ones (``gcall-<responseId>-<n>``,
  the converters' scheme), so a client's tool result can name them;
- Gemini reports ``STOP`` for a turn that calls functions: the IR says tool_use;
- ``thoughtSignature`` on any part is an opaque blob for Gemini only: a ``raw``
  delta ``{"format": "gemini", "delta": {"thoughtSignature": ...}}`` on its block
  (other formats' encoders drop raw deltas of a foreign format); a function call's is
  in its block's start instead, ``extras: {"gemini": {"thoughtSignature": ...}}``, as
  the converters keep it, so it can be carried before the call (streams/blobs.py);
- thinking tokens are outside ``candidatesTokenCount`` but inside IR output tokens;
- a blocked prompt (no candidates, ``promptFeedback.blockReason``) is a refusal stop;
- ``data: {"error": {...}}``: an IR error.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from interlingua.streams.errors import error_to_ir
from interlingua.streams.events import IRError, IRSink
from interlingua.streams.spec import PartsSpec
from interlingua.streams.state import malformed_event, truncated_stream
from interlingua.streams.usage import usage_to_ir

__all__ = ["PartsDecoder"]

_BOOKKEEPING = re.compile(r"[^A-Za-z0-9]")
# Candidate fields the IR events carry; the rest (safetyRatings, ...) rides on the stop's extras.
_CANDIDATE_FIELDS = frozenset({"content", "finishReason", "index"})


class PartsDecoder:
    def __init__(self, spec: PartsSpec, sink: IRSink) -> None:
        self._spec = spec
        self._sink = sink
        self.done = False
        self._started = False
        self._stopped = False
        self._next_index = 0
        self._open_kind: str | None = None
        self._open_index = -1
        self._calls = 0
        self._scope = ""
        # A call whose arguments stream as pieces (Vertex partialArgs): its block and arguments.
        self._partial: tuple[int, dict[str, Any]] | None = None

    def event(self, name: str | None, data: bytes) -> None:
        if self.done or not data:
            return
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            self._fail(malformed_event())
            return
        if not isinstance(chunk, dict):
            self._fail(malformed_event())
        elif chunk.get(self._spec.error_field):
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
            self._start(chunk)
        candidates = chunk.get(spec.candidates_field)
        candidate = candidates[0] if type(candidates) is list and candidates else None
        if type(candidate) is dict and not self._stopped:
            content = candidate.get(spec.content_field)
            parts = content.get(spec.parts_field) if type(content) is dict else None
            for part in parts if type(parts) is list else ():
                if type(part) is dict:
                    self._part(part)
        usage = chunk.get(spec.usage_field)
        if usage and type(usage) is dict:
            self._usage(usage)
        if self._stopped:
            return
        reason = candidate.get(spec.finish_reason_field) if type(candidate) is dict else None
        if reason and type(reason) is str:
            assert type(candidate) is dict
            rest = {k: v for k, v in candidate.items() if k not in _CANDIDATE_FIELDS and v is not None}
            self._stop(spec.stop_to_ir.get(reason, spec.default_stop_to_ir), {spec.format: {"candidate": rest}} if rest else None)
        elif not candidates:
            feedback = chunk.get(spec.feedback_field)
            if type(feedback) is dict and feedback.get(spec.block_reason_field):
                self._stop("refusal")

    def _start(self, chunk: dict[str, Any]) -> None:
        self._started = True
        spec = self._spec
        response_id = str(chunk.get(spec.id_field) or "")
        self._scope = _BOOKKEEPING.sub("", response_id)[:24]
        self._sink.start({"id": response_id, "model": str(chunk.get(spec.model_field) or "")})

    def _usage(self, wire: dict[str, Any]) -> None:
        usage = usage_to_ir(self._spec.usage, wire)
        if self._spec.output_excludes_reasoning and "reasoning_tokens" in usage:
            usage["output_tokens"] = usage.get("output_tokens", 0) + usage["reasoning_tokens"]
        self._sink.usage(usage)

    def _part(self, part: dict[str, Any]) -> None:
        spec = self._spec
        call = part.get(spec.call_key)
        if type(call) is dict:
            self._call(call, part.get(spec.signature_key))
            return
        text = part.get(spec.text_key)
        if type(text) is str:
            kind = "thinking" if part.get(spec.thought_key) is True else "text"
            if self._open_kind != kind and (text or part.get(spec.signature_key)):
                self._close()
                self._open_kind, self._open_index = kind, self._allocate()
                block: dict[str, Any] = {"type": kind}
                if kind == "thinking":
                    block["signature_format"] = spec.format
                self._sink.block_start(self._open_index, block)
            if text:
                self._sink.delta(self._open_index, kind, text)
            self._signature(self._open_index, part.get(spec.signature_key))
            return
        # Anything else (executableCode, inlineData output, ...): an opaque block for Gemini clients.
        self._close()
        index = self._allocate()
        self._sink.block_start(index, {"type": "opaque", "format": spec.format, "raw": part})
        self._sink.block_stop(index)

    def _call(self, call: dict[str, Any], signature: Any) -> None:
        spec = self._spec
        if self._partial is not None and ("partialArgs" in call or not call):
            self._partial_args(call)
            return
        self._close()
        index = self._allocate()
        call_id = call.get(spec.call_id_field)
        if not call_id or type(call_id) is not str:
            call_id = f"gcall-{self._scope}-{self._calls}" if self._scope else f"gcall-{self._calls}"
        self._calls += 1
        block: dict[str, Any] = {"type": "tool_call", "id": call_id, "name": str(call.get(spec.call_name_field) or "")}
        if signature and type(signature) is str:
            # In the block's start, as the converters keep it in the call's extras: a client of
            # another format gets it in a block before the call (streams/blobs.py).
            block["extras"] = {spec.format: {spec.signature_key: signature}}
        self._sink.block_start(index, block)
        if call.get("willContinue") and spec.call_args_field not in call:
            self._partial = (index, {})
            return
        args = call.get(spec.call_args_field)
        self._sink.delta(index, "arguments", orjson.dumps(args if type(args) is dict else {}).decode())
        self._sink.block_stop(index)

    def _partial_args(self, call: dict[str, Any]) -> None:
        """One piece of streamed arguments: ``{jsonPath: "$.a.b", stringValue | numberValue |
        boolValue | nullValue | ..., willContinue}``; strings continue across pieces. The call
        ends with a piece without ``willContinue`` (Vertex sends ``functionCall: {}``)."""
        assert self._partial is not None
        args = self._partial[1]
        for piece in call.get("partialArgs") or ():
            if type(piece) is not dict or type(piece.get("jsonPath")) is not str:
                continue
            *parents, leaf = piece["jsonPath"].removeprefix("$.").split(".")
            target = args
            for key in parents:
                target = target.setdefault(key, {})
            if "stringValue" in piece:
                target[leaf] = str(target.get(leaf, "")) + str(piece["stringValue"])
            else:
                target[leaf] = next((v for k, v in piece.items() if k.endswith("Value")), None)
        if not call.get("willContinue"):
            self._finish_partial()

    def _finish_partial(self) -> None:
        if self._partial is not None:
            index, args = self._partial
            self._partial = None
            self._sink.delta(index, "arguments", orjson.dumps(args).decode())
            self._sink.block_stop(index)

    def _signature(self, index: int, signature: Any) -> None:
        if signature and type(signature) is str and index >= 0:
            self._sink.delta(index, "raw", {"format": self._spec.format, "delta": {self._spec.signature_key: signature}})

    def _allocate(self) -> int:
        index = self._next_index
        self._next_index += 1
        return index

    def _close(self) -> None:
        self._finish_partial()
        if self._open_kind is not None:
            self._open_kind = None
            self._sink.block_stop(self._open_index)

    def _stop(self, reason: str, extras: dict[str, Any] | None = None) -> None:
        self._close()
        if reason == "end_turn" and self._calls:
            reason = "tool_use"
        self._stopped = True
        self._sink.stop(reason, None, extras)

    def _fail(self, error: IRError) -> None:
        self._close()
        self.done = True
        self._sink.error(error)
