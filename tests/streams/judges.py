"""The official SDKs as judges of translated streams, plus sample builders.

``anthropic_final`` reads a stream the way the anthropic SDK does (its own SSE
decoder, every event validated as ``RawMessageStreamEvent``, accumulated with
``accumulate_event``) and checks the block lifecycle Anthropic clients crash
on. ``openai_final`` reads chunks as ``ChatCompletionChunk`` and accumulates
them with ``ChatCompletionStreamState``, checking the first chunk's role, the
constant id/created/model and the ``[DONE]`` terminator.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic.types as at
import orjson
import pydantic
from anthropic._streaming import SSEDecoder as AnthropicSSEDecoder
from anthropic.lib.streaming._messages import accumulate_event
from openai._streaming import SSEDecoder as OpenAISSEDecoder
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from interlingua.streams import StreamTranslator

_EVENT = pydantic.TypeAdapter(at.RawMessageStreamEvent)

OPENAI = "openai_chat"
ANTHROPIC = "anthropic_messages"
PAIRS = [(OPENAI, ANTHROPIC), (ANTHROPIC, OPENAI), (OPENAI, OPENAI), (ANTHROPIC, ANTHROPIC)]


class StreamErrorEvent(Exception):
    """The stream ended with the client format's error event (payload in ``.body``)."""

    def __init__(self, body: Any, *, open_blocks: Sequence[int] = ()) -> None:
        super().__init__(f"stream error event: {body}")
        self.body = body
        self.open_blocks = list(open_blocks)


@dataclass
class AnthropicVerdict:
    message: at.Message
    events: list[dict[str, Any]] = field(default_factory=list)


def translate(
    raw: bytes | Iterable[bytes], source: str, target: str, *, fail: Exception | None = None, **kwargs: Any
) -> bytes:
    """Feed ``raw`` (or its pieces) through a StreamTranslator; finish (or fail) it."""
    translator = StreamTranslator(source=source, target=target, **kwargs)  # type: ignore[arg-type]
    pieces = [raw] if isinstance(raw, bytes) else raw
    out = b"".join(translator.feed(piece) for piece in pieces)
    return out + (translator.fail(fail) if fail is not None else translator.finish())  # type: ignore[arg-type]


def anthropic_final(raw: bytes) -> AnthropicVerdict:
    snapshot: Any = None
    json_bufs: dict[int, bytes] = {}
    events: list[dict[str, Any]] = []
    opened: list[int] = []
    open_now: set[int] = set()
    finished = False
    for sse in AnthropicSSEDecoder().iter_bytes(iter([raw])):
        if sse.event == "ping":
            continue
        assert not finished, f"event after message_stop: {sse.event}"
        data = sse.json()
        if sse.event == "error":
            assert isinstance(data["error"]["message"], str), data
            at.ErrorResponse.model_validate(data)
            raise StreamErrorEvent(data, open_blocks=sorted(open_now))
        assert sse.event == data["type"], (sse.event, data)
        event = _EVENT.validate_python(data)
        events.append(data)
        _check_lifecycle(data, events, opened, open_now)
        finished = data["type"] == "message_stop"
        snapshot = accumulate_event(event=event, current_snapshot=snapshot, json_bufs=json_bufs)
    assert finished, "the stream did not end with message_stop"
    assert not open_now, f"blocks never stopped: {open_now}"
    return AnthropicVerdict(at.Message.model_validate(snapshot.model_dump()), events)


def _check_lifecycle(data: dict[str, Any], events: list[Any], opened: list[int], open_now: set[int]) -> None:
    kind = data["type"]
    if len(events) == 1:
        assert kind == "message_start", f"first event is {kind}"
    if kind == "content_block_start":
        assert data["index"] == len(opened), f"block index {data['index']} after {opened}"
        opened.append(data["index"])
        open_now.add(data["index"])
        if data["content_block"]["type"] == "tool_use":
            assert data["content_block"]["input"] == {}, "tool_use must start with input {}"
    elif kind == "content_block_delta":
        assert data["index"] in open_now, f"delta for block {data['index']} not open"
    elif kind == "content_block_stop":
        assert data["index"] in open_now, f"stop for block {data['index']} not open"
        open_now.remove(data["index"])
    elif kind == "message_delta":
        assert not open_now, f"message_delta with open blocks {open_now}"


def openai_chunks(raw: bytes) -> list[dict[str, Any]]:
    """The chunk payloads; raises StreamErrorEvent on an error object (as the SDK does)."""
    chunks: list[dict[str, Any]] = []
    done = False
    for sse in OpenAISSEDecoder().iter_bytes(iter([raw])):
        assert not done, "data after [DONE]"
        if sse.data.startswith("[DONE]"):
            done = True
            continue
        data = sse.json()
        if isinstance(data, dict) and data.get("error"):
            assert isinstance(data["error"].get("message"), str), data
            raise StreamErrorEvent(data)
        chunks.append(data)
    assert done, "the stream did not end with [DONE]"
    return chunks


def openai_final(raw: bytes, *, expect_usage: bool = True) -> ChatCompletion:
    chunks = openai_chunks(raw)
    assert chunks, "no chunks"
    assert chunks[0]["choices"][0]["delta"].get("role") == "assistant", chunks[0]
    first = chunks[0]
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState()
    for data in chunks:
        assert (data["id"], data["created"], data["model"]) == (first["id"], first["created"], first["model"])
        state.handle_chunk(ChatCompletionChunk.model_validate(data))
    usage_chunks = [c for c in chunks if not c["choices"]]
    assert bool(usage_chunks) == expect_usage, usage_chunks
    # The snapshot, not get_final_completion(): that one raises on length/content_filter.
    return ChatCompletion.model_validate(state.current_completion_snapshot.model_dump())


# --- sample builders ---------------------------------------------------------------------------

CHUNK_HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000, "model": "gpt-4.1"}


def oa_chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta or {}, "logprobs": None, "finish_reason": finish}
    return {**CHUNK_HEAD, "choices": [choice], **extra}


def oa_usage(prompt: int, completion: int, cached: int | None = None) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion,
                             "total_tokens": prompt + completion}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    return {**CHUNK_HEAD, "choices": [], "usage": usage}


def oa_tool(index: int, *, id: str | None = None, name: str | None = None, args: str = "") -> dict[str, Any]:
    call: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id is not None:
        call.update(id=id, type="function")
        call["function"]["name"] = name
    return {"tool_calls": [call]}


def openai_sse(chunks: Iterable[dict[str, Any] | str], *, done: bool = True) -> bytes:
    body = b"".join(
        b"data: " + (c.encode() if isinstance(c, str) else orjson.dumps(c)) + b"\n\n" for c in chunks
    )
    return body + (b"data: [DONE]\n\n" if done else b"")


def an_start(input_tokens: int = 10, **usage: int) -> dict[str, Any]:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": input_tokens, "output_tokens": 1, **usage}}
    return {"type": "message_start", "message": message}


def an_block(index: int, block: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_start", "index": index, "content_block": block}


def an_delta(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def an_stop(index: int) -> dict[str, Any]:
    return {"type": "content_block_stop", "index": index}


def an_message_delta(reason: str, output_tokens: int, sequence: str | None = None, **usage: int) -> dict[str, Any]:
    return {"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": sequence},
            "usage": {"output_tokens": output_tokens, **usage}}


def anthropic_sse(events: Iterable[dict[str, Any]], *, stop: bool = True) -> bytes:
    events = [*events, *([{"type": "message_stop"}] if stop else [])]
    return b"".join(b"event: " + e["type"].encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in events)


def an_text_block(index: int, *pieces: str) -> list[dict[str, Any]]:
    return [an_block(index, {"type": "text", "text": ""}),
            *(an_delta(index, {"type": "text_delta", "text": p}) for p in pieces), an_stop(index)]


def an_tool_block(index: int, id: str, name: str, *pieces: str) -> list[dict[str, Any]]:
    return [an_block(index, {"type": "tool_use", "id": id, "name": name, "input": {}}),
            *(an_delta(index, {"type": "input_json_delta", "partial_json": p}) for p in pieces), an_stop(index)]
