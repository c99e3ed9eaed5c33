"""Bedrock Converse judges: botocore's own service model and parsers.

- a converted request must pass botocore's ``ParamValidator`` against the
  ``Converse`` input shape (what boto3 checks before it sends anything; the
  ``modelId`` member lives in the URL, so a placeholder is added);
- a converted response must parse with botocore's rest-json parser for the
  ``Converse`` output shape (what boto3's ``converse()`` returns) and carry the
  members the shape requires;
- an error body must parse as botocore's error (``Error.Code`` from ``__type``).

Streams: :func:`judge_stream` reads a stream as boto3's ``converse_stream()`` does
(botocore's EventStream, the ConverseStream output shape); :func:`judge_client_stream`
also holds the gateway's own output to the order Bedrock keeps (``messageStart`` first,
blocks started before their deltas and stopped once, ``messageStop`` then ``metadata``
with usage and metrics, nothing after) and reports blocks an exception left open.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from botocore.eventstream import EventStream
from botocore.exceptions import EventStreamError
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import EventStreamJSONParser, create_parser
from botocore.validate import ParamValidator

from conformance.digest import Digest, parse_arguments

__all__ = [
    "judge_client_stream",
    "judge_error",
    "judge_request",
    "judge_response",
    "judge_stream",
    "normalise",
    "request_digest",
    "response_digest",
    "stream_lines",
]

JSON = dict[str, Any]

_STOP = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool",
    "guardrail_intervened": "filter",
    "content_filtered": "filter",
}


@cache
def operation(name: str = "Converse") -> OperationModel:
    service = ServiceModel(Loader().load_service_model("bedrock-runtime", "service-2"), "bedrock-runtime")
    return service.operation_model(name)


def judge_request(body: JSON) -> None:
    assert "modelId" not in body, "the model id belongs in the URL"
    report = ParamValidator().validate({**body, "modelId": "placeholder"}, operation().input_shape)
    assert not report.has_errors(), report.generate_report()
    uses_tools = any("toolUse" in b or "toolResult" in b for m in body["messages"] for b in m["content"])
    assert not uses_tools or (body.get("toolConfig") or {}).get("tools"), "toolConfig is required with tool blocks"
    previous = None
    for n, message in enumerate(body["messages"]):
        assert message["role"] != previous, f"messages[{n}]: user and assistant turns must alternate"
        previous = message["role"]
        assert all(b.get("text", "x") != "" for b in message["content"]), f"messages[{n}]: blank text block"


def _parse(body: JSON, status: int) -> JSON:
    response = {"body": orjson.dumps(body), "headers": {}, "status_code": status}
    parsed: JSON = create_parser("rest-json").parse(response, operation().output_shape)
    return parsed


def judge_response(body: JSON) -> JSON:
    """The response as boto3's ``converse()`` returns it (blobs decoded)."""
    for member in operation().output_shape.required_members:
        assert member in body, f"{member} is required"
    parsed = _parse(body, 200)
    assert parsed["output"]["message"]["role"] == "assistant"
    assert parsed["stopReason"] in operation().output_shape.members["stopReason"].enum
    if any("toolUse" in b for b in parsed["output"]["message"]["content"]):
        assert parsed["stopReason"] == "tool_use", "tool calls must stop with tool_use"
    return body


def judge_error(body: JSON) -> None:
    parsed = _parse(body, 400)
    assert parsed["Error"]["Message"], body
    assert parsed["Error"]["Code"], "the error type (x-amzn-ErrorType or __type) is missing"


def _blocks(digest: Digest, role: str, content: list[JSON]) -> None:
    for block in content:
        if "text" in block:
            digest.add_text(role, block["text"])
        elif "image" in block:
            digest.images += 1
        elif "toolUse" in block:
            use = block["toolUse"]
            digest.tool_calls.append((use["toolUseId"], use["name"], parse_arguments(use.get("input", {}))))
        elif "toolResult" in block:
            result = block["toolResult"]
            texts = digest.tool_results.setdefault(result["toolUseId"], [])
            for part in result.get("content") or []:
                if "text" in part:
                    texts.append(part["text"])
                elif "json" in part:
                    texts.append(orjson.dumps(part["json"]).decode())
                digest.images += "image" in part
        elif "reasoningContent" in block:
            text = block["reasoningContent"].get("reasoningText")
            if text:
                digest.thinking.append(text["text"])


def request_digest(body: JSON) -> Digest:
    digest = Digest()
    for block in body.get("system") or []:
        if "text" in block:
            digest.add_text("system", block["text"])
    for message in body.get("messages", []):
        _blocks(digest, message["role"], message.get("content") or [])
    return digest


def response_digest(body: JSON) -> Digest:
    digest = Digest()
    _blocks(digest, "assistant", body.get("output", {}).get("message", {}).get("content") or [])
    reason = body.get("stopReason")
    digest.stop = _STOP.get(reason, reason) if isinstance(reason, str) else None
    usage = body.get("usage") or {}
    if usage:
        read = usage.get("cacheReadInputTokens") or 0
        written = usage.get("cacheWriteInputTokens") or 0
        digest.usage = {"input": usage.get("inputTokens", 0) + read + written, "output": usage.get("outputTokens", 0)}
        if read:
            digest.usage["cache_read"] = read
    return digest


def normalise(body: JSON) -> JSON:
    """Same-format round trip spelling: a ``json`` tool result is its JSON text; ``modelId``
    (boto3's parameter, the URL's on the wire: fixtures carry it) is not in a converted body;
    an empty ``system`` or ``inferenceConfig`` is absent."""
    body.pop("modelId", None)
    for key in ("system", "inferenceConfig"):  # empty == absent
        if body.get(key) in ([], {}):
            del body[key]
    for message in body.get("messages", []):
        for block in message.get("content", []):
            for part in (block.get("toolResult") or {}).get("content", []):
                if "json" in part:
                    part["text"] = orjson.dumps(part.pop("json")).decode()
    return body


def stream_lines(path: Path) -> list[JSON]:
    """A fixture's ``stream.jsonl``: one decoded event per line, ``{"<event type>": {...}}``."""
    return [orjson.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


class _Raw:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw

    def stream(self) -> Any:
        yield self.raw


def judge_stream(raw: bytes) -> tuple[JSON | None, JSON | None]:
    """``(accumulated ConverseResponse, exception)`` as boto3's ``converse_stream()`` reads ``raw``:
    botocore's EventStream (frames, CRCs, the ConverseStream output shape) does the parsing."""
    message, error, _, _ = _read(raw, _Accumulator())
    return message, error


def judge_client_stream(raw: bytes) -> tuple[JSON | None, JSON | None, list[int], int]:
    """:func:`judge_stream` with Bedrock's event order enforced; also the blocks left open
    by an exception and the number of events."""
    return _read(raw, _StrictAccumulator())


def _read(raw: bytes, acc: _Accumulator) -> tuple[JSON | None, JSON | None, list[int], int]:
    shape = operation("ConverseStream").output_shape.members["stream"]
    events = EventStream(_Raw(raw), shape, EventStreamJSONParser(), "ConverseStream")
    count = 0
    try:
        for event in events:
            ((name, payload),) = event.items()
            acc.see(name, payload)
            count += 1
    except EventStreamError as exc:
        error = {"code": exc.response["Error"]["Code"], "message": exc.response["Error"]["Message"]}
        return acc.result(), error, acc.open_blocks(), count
    acc.finished()
    return acc.result(), None, [], count


class _Accumulator:
    def __init__(self) -> None:
        self.blocks: dict[int, JSON] = {}
        self.inputs: dict[int, str] = {}
        self.top: JSON = {}
        self.started = False

    def see(self, name: str, payload: JSON) -> None:
        self.started = self.started or name == "messageStart"
        index = payload.get("contentBlockIndex")
        if name == "contentBlockStart":
            use = payload["start"]["toolUse"]
            self.blocks[index] = {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}}
            self.inputs[index] = ""
        elif name == "contentBlockDelta":
            self._delta(index, payload["delta"])
        elif name == "messageStop":
            self.top["stopReason"] = payload["stopReason"]
        elif name == "metadata":
            self.top.update({k: payload[k] for k in ("usage", "metrics") if k in payload})

    def _delta(self, index: int, delta: JSON) -> None:
        if "text" in delta:
            block = self.blocks.setdefault(index, {"text": ""})
            block["text"] += delta["text"]
        elif "toolUse" in delta:
            self.inputs[index] += delta["toolUse"]["input"]
        elif "reasoningContent" in delta:
            part = delta["reasoningContent"]
            if "redactedContent" in part:  # a blob: botocore hands over the decoded bytes
                self.blocks[index] = {"reasoningContent": {"redactedContent": base64.b64encode(part["redactedContent"]).decode()}}
                return
            block = self.blocks.setdefault(index, {"reasoningContent": {"reasoningText": {"text": ""}}})
            text = block["reasoningContent"]["reasoningText"]
            text["text"] += part.get("text", "")
            if "signature" in part:
                text["signature"] = part["signature"]

    def open_blocks(self) -> list[int]:
        return []

    def finished(self) -> None:
        pass

    def result(self) -> JSON | None:
        if not self.blocks and not self.top and not self.started:
            return None
        for index, arguments in self.inputs.items():
            try:
                self.blocks[index]["toolUse"]["input"] = orjson.loads(arguments or "{}")
            except orjson.JSONDecodeError:  # cut short: the pieces as text (digest marks them invalid JSON)
                self.blocks[index]["toolUse"]["input"] = arguments
        content = [self.blocks[i] for i in sorted(self.blocks)]
        return {"output": {"message": {"role": "assistant", "content": content}}, **self.top}


class _StrictAccumulator(_Accumulator):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.open: set[int] = set()
        self.stopped: set[int] = set()

    def see(self, name: str, payload: JSON) -> None:
        assert self.names or name == "messageStart", f"the first event must be messageStart, got {name}"
        assert not self.names or self.names[-1] != "metadata", f"{name} after metadata"
        index = payload.get("contentBlockIndex")
        if name == "messageStart":
            assert payload == {"role": "assistant"}, payload
        elif name == "contentBlockStart":
            assert index not in self.open | self.stopped, f"block {index} started twice"
            self.open.add(index)
        elif name == "contentBlockDelta":
            assert index not in self.stopped, f"a delta for stopped block {index}"
            self.open.add(index)
        elif name == "contentBlockStop":
            assert index in self.open, f"block {index} stopped but never opened"
            self.open.discard(index)
            self.stopped.add(index)
        elif name == "messageStop":
            assert not self.open, f"blocks {sorted(self.open)} still open at messageStop"
        elif name == "metadata":
            assert self.names[-1] == "messageStop", "metadata must follow messageStop"
            assert {"inputTokens", "outputTokens", "totalTokens"} <= set(payload["usage"]), payload
            assert isinstance(payload["metrics"]["latencyMs"], int), payload
        self.names.append(name)
        super().see(name, payload)

    def open_blocks(self) -> list[int]:
        return sorted(self.open)

    def finished(self) -> None:
        assert self.names[-2:] == ["messageStop", "metadata"], f"the stream must end with messageStop, metadata: {self.names[-3:]}"
