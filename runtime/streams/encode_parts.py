"""Encoder of the "whole parts" style (Gemini streamGenerateContent?alt=sse): IR events -> chunks.

Output rules (what google-genai and Gemini CLI read):

- every event is a whole response chunk: ``candidates[0].content`` (role
  ``model``) with one part, plus ``responseId`` and ``modelVersion``;
- each text or thinking delta is one chunk (``thought: true`` for thinking),
  written when the next part arrives: the last part is held so that it can carry
  ``finishReason`` and ``usageMetadata``, as Gemini's last chunk does (no chunk
  without candidates first, no empty text part last; real Gemini sends neither);
- a tool call's arguments are accumulated until its block stops, then sent as
  one ``functionCall`` part (Gemini has no partial calls). Only that call's
  arguments are held, never the stream;
- ``thoughtSignature`` comes only from raw deltas of Gemini's own format (a
  Gemini upstream), or a call block's ``gemini`` extras; other formats' signatures
  are never sent;
- the last chunk carries the last part, ``finishReason`` and ``usageMetadata``
  (``candidatesTokenCount`` excludes thinking tokens); the stream then ends;
- an error is ``data: {"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

from typing import Any

import jiter
import orjson

from interlingua.streams.events import Block, Extras, StartInfo
from interlingua.streams.spec import PartsSpec
from interlingua.streams.state import EncoderBase
from interlingua.streams.usage import usage_from_ir

__all__ = ["PartsEncoder"]

_dumps = orjson.dumps


def _arguments(text: str) -> Any:
    """A call's JSON arguments as an object; a stream cut inside them (max_tokens) keeps
    what was complete (jiter's partial mode), since Gemini calls carry objects, not text."""
    text = text.strip()
    if not text:
        return {}
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            return jiter.from_json(text.encode(), partial_mode=True)  # incomplete strings dropped, as the SDKs do
        except ValueError:
            return {}


class _Call:
    __slots__ = ("arguments", "id", "name", "signature")

    def __init__(self, block: Block) -> None:
        self.id = str(block.get("id") or "")
        self.name = str(block.get("name") or "")
        self.arguments: list[str] = []
        self.signature: str | None = None


class PartsEncoder(EncoderBase):
    def __init__(self, spec: PartsSpec, *, model: str | None) -> None:
        super().__init__()
        self.format = spec.format
        self._spec = spec
        self._model = model
        self._tail = b""
        self._head = b""
        self._kinds: dict[int, str] = {}
        self._calls: dict[int, _Call] = {}
        self._started = False
        self._stop: str | None = None
        self._candidate_extras: dict[str, Any] = {}
        self._ids: dict[str, Any] = {}
        self._held: dict[str, Any] | None = None  # the last part, for the final chunk

    def start(self, info: StartInfo) -> None:
        if self._started or self.done:
            return
        self._started = True
        spec = self._spec
        content = _dumps(spec.content_field) + b":{" + _dumps(spec.role_field) + b":" + _dumps(spec.role) + b","
        self._head = b"data: {" + _dumps(spec.candidates_field) + b":[{" + content + _dumps(spec.parts_field) + b":["
        tail = b"]},\"index\":0}]," + _dumps(spec.id_field) + b":" + _dumps(info.get("id") or "interlingua")
        tail += b"," + _dumps(spec.model_field) + b":" + _dumps(self._model or info.get("model") or "")
        self._tail = tail + b"}\n\n"
        self._ids = {spec.id_field: info.get("id") or "interlingua", spec.model_field: self._model or info.get("model") or ""}
        if "usage" in info:
            self.merge_usage(info["usage"])

    def block_start(self, index: int, block: Block) -> None:
        if self.done:
            return
        self.start({})
        kind = block.get("type")
        if kind == "tool_call":
            call = self._calls[index] = _Call(block)
            signature = ((block.get("extras") or {}).get(self.format) or {}).get(self._spec.signature_key)
            call.signature = signature if type(signature) is str else None
        elif kind in ("text", "thinking", "refusal"):
            self._kinds[index] = str(kind)
        elif kind == "opaque" and block.get("format") == self.format and isinstance(block.get("raw"), dict):
            self._part(block["raw"])

    def delta(self, index: int, kind: str, value: Any) -> None:
        if not value or self.done:
            return
        spec = self._spec
        if kind in ("text", "refusal", "thinking") and index in self._kinds:
            part: dict[str, Any] = {spec.text_key: value}
            if kind == "thinking":
                part[spec.thought_key] = True
            self._part(part)
        elif kind == "arguments" and index in self._calls:
            self._calls[index].arguments.append(value)
        elif kind == "raw" and isinstance(value, dict) and value.get("format") == self.format:
            signature = (value.get("delta") or {}).get(spec.signature_key)
            if isinstance(signature, str):
                self._signature(index, signature)

    def _signature(self, index: int, signature: str) -> None:
        call = self._calls.get(index)
        if call is not None:
            call.signature = signature
            return
        part: dict[str, Any] = {self._spec.text_key: "", self._spec.signature_key: signature}
        if self._kinds.get(index) == "thinking":
            part[self._spec.thought_key] = True
        self._part(part)

    def block_stop(self, index: int) -> None:
        self._kinds.pop(index, None)
        call = self._calls.pop(index, None)
        if call is None or self.done:
            return
        spec = self._spec
        args = _arguments("".join(call.arguments))
        function: dict[str, Any] = {spec.call_name_field: call.name, spec.call_args_field: args if isinstance(args, dict) else {}}
        if call.id:  # made-up ids too: the client's functionResponse can name them
            function = {spec.call_id_field: call.id, **function}
        part: dict[str, Any] = {spec.call_key: function}
        if call.signature:
            part[spec.signature_key] = call.signature
        self._part(part)

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.note_stop(stop_reason)
        if self.done or self._stop is not None:
            return
        self._close_calls()
        spec = self._spec
        self._stop = spec.stop_from_ir.get(stop_reason, spec.default_stop_from_ir)
        # A Gemini upstream's candidate fields (safetyRatings, citationMetadata, ...), for Gemini clients.
        self._candidate_extras = dict((extras or {}).get(spec.format, {}).get("candidate", {}))

    def end(self) -> None:
        if self.done:
            return
        self.start({})
        self._close_calls()
        spec = self._spec
        usage = usage_from_ir(spec.usage, self.usage_seen)
        thoughts = usage.get("thoughtsTokenCount")
        out_field = next((path[0] for path, ir in spec.usage.to_ir if ir == "output_tokens"), None)
        if spec.output_excludes_reasoning and isinstance(thoughts, int) and out_field in usage:
            usage[out_field] = max(0, usage[out_field] - thoughts)
        usage = {k: v for k, v in usage.items() if v}  # proto3 JSON omits zero counts
        content: dict[str, Any] = {spec.role_field: spec.role}
        if self._held is not None:
            content[spec.parts_field], self._held = [self._held], None
        candidate: dict[str, Any] = {
            spec.content_field: content,
            spec.finish_reason_field: self._stop or spec.default_stop_from_ir,
            **self._candidate_extras,
            "index": 0,
        }
        final = {spec.candidates_field: [candidate], spec.usage_field: usage, **self._ids}
        self.out.append(b"data: " + _dumps(final) + b"\n\n")
        self.done = True

    def close_blocks(self) -> None:
        """Before an error frame: every part out, the held one too."""
        self._close_calls()
        if self._held is not None:
            self.out.append(self._head + _dumps(self._held) + self._tail)
            self._held = None

    def _close_calls(self) -> None:
        for index in list(self._calls):
            self.block_stop(index)
        self._kinds.clear()

    def _part(self, part: dict[str, Any]) -> None:
        if self._held is not None:
            self.out.append(self._head + _dumps(self._held) + self._tail)
        self._held = part
