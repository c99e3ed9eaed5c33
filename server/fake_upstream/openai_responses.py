"""OpenAI Responses for the fake upstream: reading a request, rendering an answer.

Reading: a Responses API request is checked as strictly as OpenAI checks it.

Checked: ``model``, ``input`` (a string or items: messages with roles
``user``/``assistant``/``system``/``developer``, ``function_call``,
``function_call_output`` answering an earlier ``call_id``, ``reasoning``
items whose ``encrypted_content`` this fake issued), function tools
(``namespace`` tools are flattened as the real API does for Codex), and
``previous_response_id`` (the fake keeps no state: an id of the shape it issues,
``resp_demo<digits>``, is taken as its own, continued and echoed; any other is a 400
not found, as OpenAI answers an id it does not hold).
https://platform.openai.com/docs/api-reference/responses/create

Rendering: a plan as OpenAI Responses wire output: a ``response`` object, or the typed
SSE events (``event: <type>`` + ``data:`` with a ``sequence_number``) from
``response.created`` to ``response.completed`` / ``response.incomplete``.
https://platform.openai.com/docs/api-reference/responses/object
https://platform.openai.com/docs/api-reference/responses-streaming

Output items in order: a ``reasoning`` item (summary text, and
``encrypted_content`` when ``include`` asks for it), a ``message`` with one
``output_text`` part, one ``function_call`` item per tool call.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from interlingua.server.fake_upstream.plan import (
    ARG_PIECE,
    BadRequest,
    Conversation,
    Plan,
    make_plan,
    rough_tokens,
    split_words,
)
from interlingua.server.fake_upstream.structured import output_schema

__all__ = [
    "CREATED",
    "ENCRYPTED_PREFIX",
    "ISSUED",
    "read_responses",
    "responses_answer",
    "responses_json",
    "responses_sse",
    "responses_stream_error",
    "sse_frames",
]

JSON = dict[str, Any]

ENCRYPTED_PREFIX = "gAAAAdemo"
ISSUED = re.compile(r"resp_demo[0-9]+")
_ROLES = frozenset({"user", "assistant", "system", "developer"})
_CONTENT_TYPES = frozenset(
    {"input_text", "input_image", "input_file", "output_text", "refusal", "input_audio"}
)


def _message(item: JSON, where: str) -> tuple[str, str, int]:
    """(all text, last text part, images) of a message item."""
    if item.get("role") not in _ROLES:
        raise BadRequest(
            f"Invalid value: {item.get('role')!r}. Supported values are: {sorted(_ROLES)}.", f"{where}.role"
        )
    content = item.get("content")
    if isinstance(content, str):
        return content, content, 0
    if not isinstance(content, list):
        raise BadRequest(
            f"Invalid type for '{where}.content': expected a string or an array.", f"{where}.content"
        )
    texts, images = [], 0
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind not in _CONTENT_TYPES:
            raise BadRequest(f"Invalid value: {kind!r}.", f"{where}.content[{i}].type")
        if kind in ("input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        images += kind == "input_image"
    return "\n".join(texts), (texts[-1] if texts else ""), images


def _item(item: JSON, i: int, calls: dict[str, str], conv: Conversation) -> None:
    where = f"input[{i}]"
    kind = item.get("type", "message")
    if kind == "message":
        text, last, images = _message(item, where)
        conv.tool_result = None
        if item["role"] == "user":
            conv.last_user_text, conv.last_text_block, conv.images_in_last_turn = text, last, images
            conv.turns += 1
    elif kind == "function_call":
        if not item.get("call_id") or not isinstance(item.get("name"), str):
            raise BadRequest(f"Missing required parameter: '{where}.call_id'.", f"{where}.call_id")
        calls[item["call_id"]] = item["name"]
        conv.tool_result = None
    elif kind == "function_call_output":
        call_id = item.get("call_id")
        if call_id not in calls:
            raise BadRequest(
                f"No tool call found for function call output with call_id {call_id}.", f"{where}"
            )
        output = item.get("output")
        conv.tool_result = (calls[call_id], output if isinstance(output, str) else str(output))
    elif kind == "reasoning":
        blob = item.get("encrypted_content")
        if blob is not None and not str(blob).startswith(ENCRYPTED_PREFIX):
            raise BadRequest(
                "The encrypted content for item could not be verified. Reason: Encrypted content could not be decrypted or parsed.",
                f"{where}.encrypted_content",
            )
    elif kind not in ("item_reference", "custom_tool_call", "custom_tool_call_output"):
        raise BadRequest(f"Invalid value: {kind!r}.", f"{where}.type")


def _read_input(body: JSON, conv: Conversation) -> None:
    items = body.get("input")
    if isinstance(items, str):
        conv.last_user_text = conv.last_text_block = items
        conv.turns = 1
        return
    if not isinstance(items, list) or not items:
        raise BadRequest("Missing required parameter: 'input'.", "input")
    calls: dict[str, str] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]")
        _item(item, i, calls, conv)


def _functions(tools: list[Any]) -> list[JSON]:
    out: list[JSON] = []
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "namespace":
            out += _functions(tool.get("tools") or [])
        elif isinstance(tool, dict) and tool.get("type") == "function":
            out.append(tool)
    return out


def _read_tools(body: JSON, conv: Conversation) -> None:
    for i, tool in enumerate(_functions(body.get("tools") or [])):
        if not isinstance(tool.get("name"), str):
            raise BadRequest(f"Missing required parameter: 'tools[{i}].name'.", f"tools[{i}].name")
        conv.tools.append((tool["name"], tool.get("parameters") or {}))
    choice = body.get("tool_choice")
    conv.tools_disabled = choice == "none"
    if isinstance(choice, dict) and choice.get("type") == "function":
        conv.forced_tool = choice.get("name")
    conv.parallel_allowed = body.get("parallel_tool_calls", True) is not False


def read_responses(body: JSON) -> Conversation:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise BadRequest("Missing required parameter: 'model'.", "model")
    previous = body.get("previous_response_id")
    if previous and not (isinstance(previous, str) and ISSUED.fullmatch(previous)):
        raise BadRequest(
            f"Previous response with id '{body['previous_response_id']}' not found.", "previous_response_id"
        )
    conv = Conversation(model=model)
    _read_input(body, conv)
    _read_tools(body, conv)
    effort = (body.get("reasoning") or {}).get("effort")
    conv.thinking = bool(body.get("reasoning")) and effort != "none"
    limit = body.get("max_output_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < 16):
        raise BadRequest("Invalid 'max_output_tokens': integer below minimum value 16.", "max_output_tokens")
    conv.max_tokens = limit
    conv.output_schema = output_schema("openai_responses", body)
    conv.input_tokens = rough_tokens(body)
    return conv


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
    conversation = body.get("conversation")
    if conversation is not None:  # any id is taken as one this upstream issued; echoed as OpenAI does
        conversation = {"id": conversation["id"] if isinstance(conversation, dict) else conversation}
        return {**_response(plan, body, rid, encrypted, incomplete), "conversation": conversation}
    return _response(plan, body, rid, encrypted, incomplete)


def _response(plan: Plan, body: JSON, rid: str, encrypted: bool, incomplete: bool) -> JSON:
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
        "previous_response_id": body.get("previous_response_id"),
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
    return sse_frames(events)


def sse_frames(events: list[JSON], after: int = -1) -> list[bytes]:
    """``events`` as SSE frames numbered from 0 (``sequence_number``), those after ``after``."""
    return [_frame(e, n) for n, e in enumerate(events) if n > after]


def responses_stream_error(message: str, seq: int = 0) -> bytes:
    event = {"type": "error", "code": "server_error", "message": message, "param": None}
    return _frame(event, seq)


def responses_answer(body: JSON, rid: str) -> Any:
    """The answer to a Responses request: a response object, or its typed SSE events."""
    plan = make_plan(read_responses(body))
    return responses_sse(plan, body, rid) if body.get("stream") else responses_json(plan, body, rid)
