"""OpenAI Responses API response helpers: output items <-> IR content, status <-> stop reason.

A Response's ``output`` is a list of items (``message`` with ``output_text`` /
``refusal`` parts, ``function_call``, ``reasoning``, built-in tool calls). To IR
the items are flattened into one parts list (a message's parts carry the
message's ``item_id`` so they can be regrouped); from IR consecutive text and
refusal parts of one message become one ``message`` item again. The stop
reason is spread over ``status`` and ``incomplete_details.reason``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type
from interlingua.convert.envelope import responses_completed, responses_echo, responses_usage
from interlingua.convert.responses import join_namespace, split_namespace

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "INCOMPLETE_FROM_IR",
    "INCOMPLETE_TO_IR",
    "responses_output_items_to_parts",
    "responses_parts_to_output",
    "responses_response_defaults",
    "responses_stop_from_ir",
    "responses_stop_to_ir",
    "responses_usage_defaults",
    "unsplit_call",
]

# incomplete_details.reason <-> IR stop reason (a completed response ends its turn, or asks for tools).
INCOMPLETE_TO_IR = {"max_output_tokens": "max_tokens", "content_filter": "content_filter"}
INCOMPLETE_FROM_IR = {"max_tokens": "max_output_tokens", "context_window_exceeded": "max_output_tokens",
                      "content_filter": "content_filter"}
_MESSAGE_PARTS = ("output_text", "refusal")
INVENTED = "_interlingua"  # suffix of an item id to be derived from the response id


def responses_output_items_to_parts(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): output items -> one parts list (message parts tagged with item_id)."""
    if type(value) is not list:
        raise bad_type(path, "", "an array of output items")
    parts: list[Any] = []
    for item in value:
        if type(item) is dict and item.get("type") == "message":
            head = {"item_id": item.get("id")} if item.get("id") else {}
            parts.extend({**part, **head} for part in item.get("content") or ())
        elif type(item) is dict and item.get("type") == "function_call":
            parts.append(join_namespace(item))
        else:
            parts.append(item)
    return parts


def unsplit_call(item: JSONObject) -> JSONObject:
    """A flattened ``ns__fn`` call -> Codex's ``{namespace: ns, name: fn}`` spelling."""
    namespace, name = split_namespace(str(item.get("name", "")))
    if namespace is not None:
        item["namespace"], item["name"] = namespace, name
    return item


def responses_parts_to_output(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): parts -> output items (consecutive text parts form one message)."""
    items: list[JSONObject] = []
    current: JSONObject | None = None
    for n, part in enumerate(value or ()):
        kind = part.get("type")
        if kind in ("input_text", "output_text", "refusal"):
            item_id = part.pop("item_id", None)
            if current is None or (item_id is not None and item_id != current["id"]):
                current = {"id": item_id or f"msg{INVENTED}", "type": "message", "status": "completed",
                           "role": "assistant", "content": []}
                items.append(current)
            if kind == "input_text":
                part = {"type": "output_text", "text": part.get("text", ""), "annotations": [], **part}
                part["type"] = "output_text"
            current["content"].append(part)
            continue
        current = None
        if kind == "function_call":
            # The item id is the call id in item style: fc_<what follows call_>.
            part.setdefault("id", f"fc_{str(part.get('call_id', n)).removeprefix('call_')}")
            part.setdefault("status", "completed")
            unsplit_call(part)
        items.append(part)
    return items


def responses_stop_to_ir(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): status + incomplete_details + function calls -> IR stop_reason."""
    details = src.get("incomplete_details")
    reason = details.get("reason") if type(details) is dict else None
    if src.get("status") == "incomplete":
        out["stop_reason"] = INCOMPLETE_TO_IR.get(str(reason), "max_tokens")
    elif src.get("status") == "failed":
        out["stop_reason"] = "error"
    elif any(p.get("type") == "tool_call" for p in out.get("content") or ()):
        out["stop_reason"] = "tool_use"
    elif any(p.get("type") == "refusal" for p in out.get("content") or ()):
        out["stop_reason"] = "refusal"  # a refusal completes the response; the part says it
    else:
        out["stop_reason"] = "end_turn"


def responses_stop_from_ir(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): IR stop_reason -> status (+ incomplete_details)."""
    reason = INCOMPLETE_FROM_IR.get(str(src.get("stop_reason")))
    if src.get("stop_reason") == "refusal" and not _has_refusal(out.get("output")):
        reason = "content_filter"  # e.g. Anthropic's refusal stop on plain text: a filtered answer
    if reason is not None:
        out["status"] = "incomplete"
        out["incomplete_details"] = {"reason": reason}
    else:
        out.setdefault("status", "completed")
        out.setdefault("incomplete_details", None)


def responses_response_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): fields the openai SDK's ``Response`` requires."""
    out.setdefault("id", "resp_interlingua")
    if not str(out["id"]).startswith("resp"):
        out["id"] = f"resp_{out['id']}"
    out.setdefault("created_at", int(time.time()))
    out.setdefault("model", "")
    out.setdefault("output", [])
    out.setdefault("error", None)
    for key, value in responses_echo(None).items():
        out.setdefault(key, value)
    responses_completed(out)
    # Invented item ids, unique per response: clients send them back with their history.
    tail = str(out["id"]).removeprefix("resp_")[-24:]
    for n, item in enumerate(out["output"]):
        if type(item) is dict and str(item.get("id", "")).endswith(INVENTED):
            item["id"] = f"{str(item['id']).split('_', 1)[0]}_{tail}_{n}"


def responses_usage_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): total_tokens and the details objects are required."""
    out["total_tokens"] = out.get("input_tokens", 0) + out.get("output_tokens", 0)
    responses_usage(out)


def _has_refusal(items: Any) -> bool:
    return any(p.get("type") == "refusal" for i in items or () for p in i.get("content") or () if type(p) is dict)
