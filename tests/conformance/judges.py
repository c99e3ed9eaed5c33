"""The official SDKs as judges of converted output.

A response must validate as ``openai.types.chat.ChatCompletion`` /
``anthropic.types.Message``; a stream must parse event by event
(``ChatCompletionChunk`` / ``RawMessageStreamEvent``) and accumulate with the
SDKs' own accumulators (``ChatCompletionStreamState`` / ``accumulate_event``).
On top, the stream lifecycle rules clients crash on (pitfalls.md) are checked:
Anthropic block indices contiguous from 0, opened before any delta, every
opened block closed once; ``message_start`` first, ``message_stop`` last;
OpenAI's first chunk carries ``role: "assistant"`` and ``[DONE]`` ends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anthropic.types as at
import openai.types.chat as ot
import pydantic
from anthropic.lib.streaming._messages import accumulate_event
from openai.lib.streaming.chat import ChatCompletionStreamState

from conformance import judges_bedrock, judges_gemini, judges_responses
from conformance.sse import parse_sse
from interlingua.translate import Format

__all__ = [
    "StreamVerdict",
    "assert_tool_use_stop",
    "judge_error",
    "judge_request",
    "judge_response",
    "judge_stream",
]

_ANTHROPIC_EVENT = pydantic.TypeAdapter(at.RawMessageStreamEvent)


@dataclass
class StreamVerdict:
    """What a client SDK ends up with after reading the whole stream."""

    message: dict[str, Any] | None  # the accumulated final message, in the target's response shape
    error: dict[str, Any] | None = None  # a stream error event's payload, if one arrived
    events: int = 0
    open_blocks_at_error: list[int] = field(default_factory=list)  # Anthropic blocks left open by an error


def judge_response(target: Format, body: dict[str, Any]) -> dict[str, Any]:
    """Validate ``body`` with the target SDK's response type; return its dump (SDK view)."""
    if target is Format.OPENAI_RESPONSES:
        return judges_responses.judge_response(body)
    if target is Format.GEMINI:
        return judges_gemini.judge_response(body)
    if target is Format.BEDROCK_CONVERSE:
        return judges_bedrock.judge_response(body)
    if target is Format.OPENAI_CHAT:
        return ot.ChatCompletion.model_validate(body).model_dump(exclude_unset=True)
    message = at.Message.model_validate(body).model_dump(exclude_unset=True)
    assert_tool_use_stop(message)
    return message


# Stop reasons after which the Anthropic SDK's tool runner does not run a turn's tool_use blocks
# on purpose (anthropic.lib.tools._beta_runner._STOP_REASON_STEPS: end_turn/stop_sequence are terminal).
_TOOLS_NOT_RUN = ("end_turn", "stop_sequence")


def assert_tool_use_stop(message: dict[str, Any]) -> None:
    """An Anthropic message that calls tools must say ``stop_reason: tool_use``, or clients never run them."""
    if any(block.get("type") == "tool_use" for block in message.get("content") or []):
        assert message.get("stop_reason") not in _TOOLS_NOT_RUN, (
            f"tool_use blocks with stop_reason {message.get('stop_reason')!r}: the SDK tool runner will not run them"
        )


def judge_error(target: Format, body: dict[str, Any]) -> None:
    """An error envelope in the target format (the shape each SDK's error path reads)."""
    if target is Format.OPENAI_RESPONSES:
        return judges_responses.judge_error(body)
    if target is Format.GEMINI:
        return judges_gemini.judge_error(body)
    if target is Format.BEDROCK_CONVERSE:
        return judges_bedrock.judge_error(body)
    if target is Format.ANTHROPIC_MESSAGES:
        if (
            body.get("error", {}).get("type") == "request_too_large"
        ):  # documented (413), missing from the SDK's union
            body = {**body, "error": {**body["error"], "type": "invalid_request_error"}}
        at.ErrorResponse.model_validate(body)
        assert body["type"] == "error", body
        return
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("message"), str), body
    assert "type" in error, body


def judge_stream(target: Format, raw: bytes, *, strict: bool = True) -> StreamVerdict:
    """Parse and accumulate ``raw`` as the target SDK would.

    ``strict=False`` reads a *source* stream as recorded (real or hand-made
    upstream streams may end early or leave a block open); converter output is
    always judged strictly.
    """
    if target is Format.OPENAI_CHAT:
        return _judge_openai_stream(raw, strict)
    if target is Format.BEDROCK_CONVERSE:  # as boto3 reads it; the gateway's own output in Bedrock's order
        if not strict:
            message, error = judges_bedrock.judge_stream(raw)
            return StreamVerdict(message=message, error=error)
        message, error, left_open, count = judges_bedrock.judge_client_stream(raw)
        return StreamVerdict(message=message, error=error, events=count, open_blocks_at_error=left_open)
    if target is Format.OPENAI_RESPONSES:
        return judges_responses.judge_stream(raw, strict)
    if target is Format.GEMINI:
        return judges_gemini.judge_stream(raw, strict)
    return _judge_anthropic_stream(raw, strict)


def _judge_openai_stream(raw: bytes, strict: bool) -> StreamVerdict:
    events = parse_sse(raw)
    verdict = StreamVerdict(message=None, events=len(events))
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    handled = False
    for n, ev in enumerate(events):
        assert ev.event is None or ev.event == "error", f"OpenAI chunks are unnamed, got event: {ev.event}"
        if ev.data == "[DONE]":
            assert n == len(events) - 1, "[DONE] must be the last event"
            break
        payload = ev.json()
        if "error" in payload:  # the SDK raises APIError on such a chunk
            verdict.error = payload["error"]
            judge_error(Format.OPENAI_CHAT, payload)
            assert n >= len(events) - 2, "nothing but [DONE] may follow a stream error"
            break
        chunk = ot.ChatCompletionChunk.model_validate(payload)
        if n == 0:
            assert chunk.choices, "the first chunk must carry a choice"
            assert chunk.choices[0].delta.role == "assistant", "the first chunk must carry the role"
        state.handle_chunk(chunk)
        handled = True
    else:
        assert not strict or not events, "an OpenAI stream must end with data: [DONE]"
    if handled:
        verdict.message = state.current_completion_snapshot.model_dump(exclude_unset=True)
    return verdict


def _judge_anthropic_stream(raw: bytes, strict: bool) -> StreamVerdict:
    events = parse_sse(raw)
    verdict = StreamVerdict(message=None, events=len(events))
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    lifecycle = _BlockLifecycle(strict)
    for n, ev in enumerate(events):
        payload = ev.json()
        assert ev.event == payload.get("type"), (
            f"event name {ev.event!r} != data type {payload.get('type')!r}"
        )
        if ev.event == "ping":
            continue
        if ev.event == "error":
            judge_error(Format.ANTHROPIC_MESSAGES, payload)
            verdict.error = payload["error"]
            verdict.open_blocks_at_error = sorted(lifecycle.open)
            assert n == len(events) - 1, "nothing may follow an Anthropic error event"
            break
        assert (n == 0) == (ev.event == "message_start"), "message_start must come first, once"
        event = _ANTHROPIC_EVENT.validate_python(payload)
        lifecycle.see(payload)
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    else:
        assert not strict or (events and events[-1].event == "message_stop"), (
            "Anthropic streams end with message_stop"
        )
    if verdict.error is None and strict:
        lifecycle.assert_closed()
        if snapshot is not None:
            assert_tool_use_stop(snapshot.model_dump(exclude_unset=True))
    if snapshot is not None:
        verdict.message = snapshot.model_dump(exclude_unset=True)
    return verdict


class _BlockLifecycle:
    """Anthropic content block bookkeeping as the SDK and Claude Code rely on it."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.next_index = 0
        self.open: set[int] = set()

    def see(self, payload: dict[str, Any]) -> None:
        if self.strict:
            self._check(payload["type"], payload.get("index"))

    def _check(self, kind: str, index: Any) -> None:
        if kind.startswith("content_block"):
            assert isinstance(index, int), f"{kind} without an integer index"
        if kind == "content_block_start":
            assert index == self.next_index, f"block index {index}, expected {self.next_index}"
            assert not self.open, f"block {index} opened while {sorted(self.open)} still open"
            self.open.add(index)
            self.next_index += 1
        elif kind == "content_block_delta":
            assert index in self.open, f"delta for block {index} that is not open"
        elif kind == "content_block_stop":
            assert index in self.open, f"stop for block {index} that is not open"
            self.open.discard(index)
        elif kind in ("message_delta", "message_stop"):
            assert not self.open, f"{kind} while blocks {sorted(self.open)} are open"

    def assert_closed(self) -> None:
        assert not self.open, f"blocks {sorted(self.open)} never closed"


def judge_request(target: Format, body: dict[str, Any]) -> None:
    """The provider's documented request rules a converted request must satisfy."""
    if target is Format.OPENAI_RESPONSES:
        return judges_responses.judge_request(body)
    if target is Format.GEMINI:
        return judges_gemini.judge_request(body)
    if target is Format.BEDROCK_CONVERSE:
        return judges_bedrock.judge_request(body)
    assert isinstance(body.get("model"), str), "model is required"
    assert body.get("messages"), "messages must be non-empty"
    if target is Format.ANTHROPIC_MESSAGES:
        _judge_anthropic_request(body)
    else:
        _judge_openai_request(body)


def _judge_anthropic_request(body: dict[str, Any]) -> None:
    assert isinstance(body.get("max_tokens"), int), "Anthropic requires max_tokens"
    assert 0 <= body.get("temperature", 0) <= 1, "Anthropic temperature is 0..1"
    open_calls: set[str] = set()
    previous = None
    for n, message in enumerate(body["messages"]):
        role = message["role"]
        # mid-conversation `system` messages are in the current API (anthropic SDK SystemMessageParam)
        assert role in ("user", "assistant", "system"), f"messages[{n}].role {role!r}"
        if role == "system":
            assert all(b.get("type") == "text" for b in message["content"] if isinstance(b, dict)), message
            continue
        assert role != previous, f"messages[{n}]: user and assistant turns must alternate"
        previous = role
        blocks = message["content"] if isinstance(message["content"], list) else []
        results = {b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"}
        assert results <= open_calls, (
            f"messages[{n}]: tool_result for unknown tool_use {results - open_calls}"
        )
        if results:  # tool results lead the user turn that answers the calls
            kinds = [b.get("type") for b in blocks]
            assert kinds[: len(results)] == ["tool_result"] * len(results), (
                f"messages[{n}]: tool_result not first"
            )
        open_calls = {b["id"] for b in blocks if b.get("type") == "tool_use"}


def _judge_openai_request(body: dict[str, Any]) -> None:
    open_calls: set[str] = set()
    for n, message in enumerate(body["messages"]):
        role = message["role"]
        assert role in ("system", "developer", "user", "assistant", "tool"), f"messages[{n}].role {role!r}"
        if role == "tool":
            assert message["tool_call_id"] in open_calls, f"messages[{n}]: tool message without its tool call"
            assert isinstance(message.get("content"), str | list), f"messages[{n}]: tool content required"
            continue
        open_calls = {c["id"] for c in message.get("tool_calls") or []}
        for call in message.get("tool_calls") or []:
            assert call["type"] == "function", call
            assert isinstance(call["function"]["arguments"], str), call
