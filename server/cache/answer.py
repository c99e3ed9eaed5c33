"""A cached answer is an IR response (specs/ir/response.json); streams are folded into one.

A streamed miss is recorded as the IR events of what went to the client
(:func:`events_to_response`), a whole answer as its IR response; a hit replays the IR
response whole (the client format's ``response_from_ir``) or as IR events through the client
format's stream encoder (:func:`response_to_events`), so one entry serves every format, streamed
or not. Answers holding what the two shapes cannot both carry (opaque provider blocks,
citations, media) are not cached rather than replayed with parts missing.
"""

from __future__ import annotations

from typing import Any

from interlingua.streams.events import IREvent

__all__ = ["events_to_response", "response_to_events"]

_TEXT_KINDS = {"text": "text", "thinking": "text", "refusal": "text", "arguments": "arguments"}
_PART_TYPES = frozenset({"text", "thinking", "redacted_thinking", "tool_call", "refusal"})


def events_to_response(events: list[IREvent]) -> dict[str, Any] | None:
    """The IR response a complete stream amounts to; None if it failed, stopped short or
    holds something :mod:`this module <.answer>` does not cache."""
    response: dict[str, Any] = {"content": []}
    parts: dict[int, dict[str, Any]] = {}
    for event in events:
        if not _fold(event, response, parts):
            return None
    if not response.pop("_ended", False) or response.get("stop_reason") in (None, "error"):
        return None
    for part in response["content"]:
        if part["type"] == "tool_call" and not part["arguments"]:
            part["arguments"] = "{}"
    return response


def _fold(event: IREvent, response: dict[str, Any], parts: dict[int, dict[str, Any]]) -> bool:
    """Apply one event to ``response``; False when the stream cannot be cached."""
    kind: str = event["type"]
    if kind == "start":
        response.update({k: v for k, v in event.items() if k in ("id", "model", "created", "extras")})
        if isinstance(event.get("usage"), dict):
            response["usage"] = dict(event["usage"])
    elif kind == "block_start":
        part = _part(event["block"])
        if part is None:
            return False
        parts[event["index"]] = part
        response["content"].append(part)
    elif kind == "delta":
        return _apply(parts.get(event["index"]), event["kind"], event["value"])
    elif kind == "usage":
        response["usage"] = {**response.get("usage", {}), **event["usage"]}
    elif kind == "stop":
        response["stop_reason"] = event["stop_reason"]
        if event.get("stop_sequence") is not None:
            response["stop_sequence"] = event["stop_sequence"]
    elif kind == "end":
        response["_ended"] = True
    return kind != "error"


def _part(block: dict[str, Any]) -> dict[str, Any] | None:
    kind = block.get("type")
    if kind not in _PART_TYPES:
        return None
    part: dict[str, Any] = {"type": kind}
    if kind == "tool_call":
        part.update(id=block.get("id", ""), name=block.get("name", ""), arguments="")
    elif kind == "redacted_thinking":
        part["data"] = block.get("data", "")
    else:
        part["text"] = ""
    for key in ("signature_format", "extras"):
        if key in block:
            part[key] = block[key]
    return part


def _apply(part: dict[str, Any] | None, kind: str, value: Any) -> bool:
    if part is None or not isinstance(value, str):
        return False
    if kind == "signature":
        part["signature"] = part.get("signature", "") + value
        return True
    field = _TEXT_KINDS.get(kind)
    if field is None or field not in part:
        return False
    part[field] += value
    return True


def response_to_events(response: dict[str, Any]) -> list[IREvent] | None:
    """The IR events that stream ``response``; None if it holds a part streams cannot carry."""
    start: IREvent = {"type": "start", "id": response.get("id", ""), "model": response.get("model", "")}
    if "created" in response:
        start["created"] = response["created"]
    events: list[IREvent] = [start]
    for index, part in enumerate(response.get("content", [])):
        block = _block(part)
        if block is None:
            return None
        events.append({"type": "block_start", "index": index, "block": block})
        events += [{"type": "delta", "index": index, "kind": k, "value": v} for k, v in _deltas(part)]
        events.append({"type": "block_stop", "index": index})
    usage = {k: v for k, v in (response.get("usage") or {}).items() if type(v) is int}
    if usage:
        events.append({"type": "usage", "usage": usage})
    stop: IREvent = {"type": "stop", "stop_reason": response.get("stop_reason", "end_turn")}
    if response.get("stop_sequence") is not None:
        stop["stop_sequence"] = response["stop_sequence"]
    return [*events, stop, {"type": "end"}]


def _block(part: dict[str, Any]) -> dict[str, Any] | None:
    kind = part.get("type")
    if kind not in _PART_TYPES or part.get("citations") or part.get("cache_control"):
        return None
    block: dict[str, Any] = {"type": kind}
    if kind == "tool_call":
        block.update(id=part["id"], name=part["name"])
    elif kind == "redacted_thinking":
        block["data"] = part["data"]
    for key in ("signature_format", "extras"):
        if key in part:
            block[key] = part[key]
    return block


def _deltas(part: dict[str, Any]) -> list[tuple[str, str]]:
    kind = part["type"]
    if kind == "tool_call":
        return [("arguments", part["arguments"])] if part["arguments"] else []
    if kind == "redacted_thinking":
        return []
    out = [(kind, part["text"])] if part.get("text") else []
    if part.get("signature"):
        out.append(("signature", part["signature"]))
    return out
