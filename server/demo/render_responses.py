"""A plan as OpenAI Responses wire output: a ``response`` object, or the typed
SSE events (``event: <type>`` + ``data:`` with a ``sequence_number``) from
``response.created`` to ``response.completed`` / ``response.incomplete``.
https://platform.openai.com/docs/api-reference/responses/object
https://platform.openai.com/docs/api-reference/responses-streaming

Output items in order: a ``reasoning`` item (summary text, and
``encrypted_content`` when ``include`` asks for it), a ``message`` with one
``output_text`` part, one ``function_call`` item per tool call.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.demo.plan import ARG_PIECE, Plan, split_words
from interlingua.server.demo.read_responses import ENCRYPTED_PREFIX

__all__ = ["responses_json", "responses_sse", "responses_stream_error"]

JSON = dict[str, Any]
CREATED = 1_700_000_000


def _items(plan: Plan, rid: str, encrypted: bool, summary: bool) -> list[JSON]:
    items: list[JSON] = []
    if plan.thinking:
        # As OpenAI does: the summary only when reasoning.summary asks for one.
        texts = [{"type": "summary_text", "text": plan.thinking}] if summary else []
        reasoning: JSON = {"type": "reasoning", "id": f"rs_{rid}", "summary": texts}
        if encrypted:
            reasoning["encrypted_content"] = f"{ENCRYPTED_PREFIX}{rid}"
        items.append(reasoning)
    if plan.text or not plan.tool_calls:
        text = {"type": "output_text", "text": plan.text, "annotations": [], "logprobs": []}
        items.append(
            {
                "type": "message",
                "id": f"msg_{rid}",
                "status": "completed",
                "role": "assistant",
                "content": [text],
            }
        )
    for i, call in enumerate(plan.tool_calls):
        items.append(
            {
                "type": "function_call",
                "id": f"fc_{rid}_{i}",
                "call_id": f"call_{rid}_{i}",
                "name": call.name,
                "arguments": call.arguments,
                "status": "completed",
            }
        )
    return items


def _usage(plan: Plan) -> JSON:
    return {
        "input_tokens": plan.input_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": plan.output_tokens,
        "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
        "total_tokens": plan.input_tokens + plan.output_tokens,
    }


def responses_json(plan: Plan, body: JSON, rid: str) -> JSON:
    encrypted = "reasoning.encrypted_content" in (body.get("include") or [])
    incomplete = plan.stop == "max_tokens"
    return {
        "id": f"resp_{rid}",
        "object": "response",
        "created_at": CREATED,
        "status": "incomplete" if incomplete else "completed",
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": body["model"],
        "output": _items(plan, rid, encrypted, bool((body.get("reasoning") or {}).get("summary"))),
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": None,
        "reasoning": {"effort": (body.get("reasoning") or {}).get("effort"), "summary": None},
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": body.get("text") or {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": _usage(plan),
        "metadata": {},
    }


def _item_events(index: int, item: JSON) -> list[JSON]:
    """The events of one output item, from ``output_item.added`` to ``output_item.done``."""
    kind, iid = item["type"], item["id"]
    head: JSON = {"output_index": index, "item_id": iid}
    if kind == "reasoning" and not item["summary"]:
        empty, middle = item, []
    elif kind == "reasoning":
        empty = {**item, "summary": []}
        text = item["summary"][0]["text"]
        part = {"type": "summary_text", "text": ""}
        middle = [{"type": "response.reasoning_summary_part.added", **head, "summary_index": 0, "part": part}]
        middle += [
            {"type": "response.reasoning_summary_text.delta", **head, "summary_index": 0, "delta": w}
            for w in split_words(text)
        ]
        middle += [
            {"type": "response.reasoning_summary_text.done", **head, "summary_index": 0, "text": text},
            {
                "type": "response.reasoning_summary_part.done",
                **head,
                "summary_index": 0,
                "part": item["summary"][0],
            },
        ]
    elif kind == "message":
        empty = {**item, "status": "in_progress", "content": []}
        done_part = item["content"][0]
        part = {**done_part, "text": ""}
        at = {**head, "content_index": 0}
        middle = [{"type": "response.content_part.added", **at, "part": part}]
        middle += [
            {"type": "response.output_text.delta", **at, "delta": w, "logprobs": []}
            for w in split_words(done_part["text"])
        ]
        middle += [
            {"type": "response.output_text.done", **at, "text": done_part["text"], "logprobs": []},
            {"type": "response.content_part.done", **at, "part": done_part},
        ]
    else:
        empty = {**item, "status": "in_progress", "arguments": ""}
        args = item["arguments"]
        middle = [
            {"type": "response.function_call_arguments.delta", **head, "delta": args[i : i + ARG_PIECE]}
            for i in range(0, len(args), ARG_PIECE)
        ]
        middle.append({"type": "response.function_call_arguments.done", **head, "arguments": args})
    added = {"type": "response.output_item.added", "output_index": index, "item": empty}
    return [added, *middle, {"type": "response.output_item.done", "output_index": index, "item": item}]


def _frame(event: JSON, seq: int) -> bytes:
    event["sequence_number"] = seq
    kind: str = event["type"]
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"


def responses_sse(plan: Plan, body: JSON, rid: str) -> list[bytes]:
    final = responses_json(plan, body, rid)
    start = {**final, "status": "in_progress", "output": [], "usage": None, "incomplete_details": None}
    events: list[JSON] = [
        {"type": "response.created", "response": start},
        {"type": "response.in_progress", "response": start},
    ]
    for index, item in enumerate(final["output"]):
        events += _item_events(index, item)
    end = "response.incomplete" if final["status"] == "incomplete" else "response.completed"
    events.append({"type": end, "response": final})
    return [_frame(e, n) for n, e in enumerate(events)]


def responses_stream_error(message: str, seq: int = 0) -> bytes:
    event = {"type": "error", "code": "server_error", "message": message, "param": None}
    return _frame(event, seq)
