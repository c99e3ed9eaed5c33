"""OpenAI Responses API request helpers: the item list <-> IR messages.

A Responses ``input`` is a flat list of *items* (messages, ``function_call``,
``function_call_output``, ``reasoning``, ...), where the IR has role messages
holding parts. :func:`responses_input_to_messages` groups the items into
wire-side messages first (consecutive assistant-side items form one assistant
turn; each ``function_call_output`` is a ``tool`` message), so the rules' ``part``
union maps every piece declaratively; :func:`responses_messages_to_input`
undoes it. Codex's ``type: "namespace"`` tools are flattened to plain
functions named ``<namespace>__<function>`` (:data:`NAMESPACE_SEP`, valid in
every target's function names) and calls are split back on the way out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type, join, render_path, warn
from interlingua.convert.content import data_url_to_source, source_to_data_url

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "NAMESPACE_SEP",
    "join_namespace",
    "responses_collapse_output",
    "responses_file_from_ir",
    "responses_file_to_ir",
    "responses_flatten_tools",
    "responses_image_from_ir",
    "responses_image_to_ir",
    "responses_input_to_messages",
    "responses_instructions",
    "responses_mark_builtin_tools",
    "responses_mark_source",
    "responses_messages_to_input",
    "responses_output_to_parts",
    "responses_reasoning_from_ir",
    "responses_reasoning_summary",
    "responses_reasoning_to_ir",
    "responses_system_to_text",
    "responses_tool_choice_collapse",
    "split_namespace",
]

FORMAT = "openai_responses"
NAMESPACE_SEP = "__"
# Items that belong to the model's (assistant's) side of the conversation.
_ASSISTANT_ITEMS = frozenset({"function_call", "reasoning"})
_USER_ITEMS = frozenset({"function_call_output"})


def split_namespace(name: str) -> tuple[str | None, str]:
    """``ns__fn`` -> (``ns``, ``fn``); a name without the separator has no namespace."""
    ns, sep, fn = name.partition(NAMESPACE_SEP)
    return (ns, fn) if sep and ns and fn else (None, name)


def responses_input_to_messages(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> list[Any]:
    """Value helper (to IR): ``input`` (a string or items) -> wire-side role messages."""
    if type(value) is str:
        return [{"role": "user", "content": [{"type": "input_text", "text": value}]}]
    if type(value) is not list:
        raise bad_type(path, "", "a string or an array of input items")
    messages: list[JSONObject] = []
    for n, item in enumerate(value):
        if type(item) is not dict:
            raise bad_type(path, str(n), "an input item object")
        _add_item(messages, item)
    return messages


def _add_item(messages: list[JSONObject], item: JSONObject) -> None:
    kind = item.get("type", "message" if "role" in item else None)
    if kind == "message":
        message = {k: v for k, v in item.items() if k != "content"}
        content = item.get("content")
        text_type = "output_text" if item.get("role") == "assistant" else "input_text"
        message["content"] = [{"type": text_type, "text": content}] if type(content) is str else content
        messages.append(message)
    elif kind in _USER_ITEMS:
        messages.append({"role": "tool", "content": [item]})
    else:  # function_call, reasoning, and items only Responses knows (carried opaque)
        part = join_namespace(item) if kind == "function_call" else item
        last = messages[-1] if messages else None
        if last is not None and last.get("_group"):
            last["content"].append(part)
        else:
            messages.append({"role": "assistant", "_group": True, "content": [part]})


def join_namespace(item: JSONObject) -> JSONObject:
    """Codex's ``{namespace: ns, name: fn}`` call -> a call of the flattened function ``ns__fn``."""
    namespace = item.get("namespace")
    if type(namespace) is not str:
        return item
    call = {k: v for k, v in item.items() if k != "namespace"}
    call["name"] = f"{namespace}{NAMESPACE_SEP}{item.get('name', '')}"
    return call


def responses_messages_to_input(messages: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> list[Any]:
    """Value helper (from IR): wire-side role messages -> the flat item list."""
    items: list[JSONObject] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            items.extend(message.get("content") or [])
            continue
        head = {k: v for k, v in message.items() if k not in ("content", "_group")}
        head.setdefault("type", "message")
        text_type = "output_text" if role == "assistant" else "input_text"
        current: JSONObject | None = None
        for part in message.get("content") or []:
            kind = part.get("type")
            if kind in ("input_text", "refusal", "input_image", "input_file"):
                if kind == "input_text" and text_type == "output_text":
                    part = {"type": "output_text", "text": part.get("text", ""), "annotations": []}
                if current is None:
                    current = {**head, "content": []}
                    items.append(current)
                    head = {"type": "message", "role": role}
                current["content"].append(part)
            else:  # function_call, function_call_output, reasoning, opaque items: items of their own
                items.append(part)
                current = None
    return items


def responses_instructions(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): ``instructions`` -> IR system text parts."""
    if type(value) is not str:
        raise bad_type(path, "", "a string")
    return [{"type": "text", "text": value}] if value else None


def responses_system_to_text(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): IR system parts -> the ``instructions`` string."""
    texts = [p.get("text", "") for p in value or () if type(p) is dict and p.get("type") == "text"]
    return "\n\n".join(texts) or None


def responses_collapse_output(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): a tool result that is one text part is sent as a string."""
    if type(value) is list and len(value) == 1 and value[0].get("type") == "input_text":
        return value[0].get("text", "")
    return value if value else ""


def responses_output_to_parts(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): ``function_call_output.output`` (string or parts) -> parts."""
    if type(value) is str:
        return [{"type": "input_text", "text": value}]
    return value


def responses_flatten_tools(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): a ``namespace`` tool's functions become plain functions ``ns__fn``."""
    if type(value) is not list:
        return value
    tools: list[Any] = []
    for tool in value:
        if type(tool) is dict and tool.get("type") == "namespace" and type(tool.get("tools")) is list:
            prefix = f"{tool.get('name', '')}{NAMESPACE_SEP}"
            tools.extend({**fn, "name": prefix + str(fn.get("name", ""))} for fn in tool["tools"])
        else:
            tools.append(tool)
    return tools


def responses_mark_builtin_tools(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): built-in tools (web_search, file_search, ...) run on OpenAI's side;
    another upstream cannot run them, so they are marked required (rejected there, not dropped)."""
    for tool in out.get("tools") or ():
        if tool.get("type") == "opaque":
            tool["required"] = True


def responses_mark_source(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): an (empty) extras entry marks a Responses client's request, which
    merges back as nothing but tells :func:`responses_reasoning_summary` to leave it as sent."""
    out.setdefault("extras", {}).setdefault("openai_responses", {})


def responses_reasoning_summary(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): Responses returns reasoning text only as summaries, and only when
    ``reasoning.summary`` asks for them. A client of another format that turned thinking on
    expects to see it, so its request asks for ``auto``; and for the encrypted reasoning,
    which reaches that client sealed in its own field and comes back on the next turn of a
    tool loop (convert/blobs.py; the gateway keeps no state). A Responses client's request is
    left as sent."""
    if "openai_responses" in (src.get("extras") or {}):
        return
    reasoning = out.get("reasoning")
    if type(reasoning) is dict and reasoning.get("effort") not in (None, "none"):
        reasoning.setdefault("summary", "auto")
        out["include"] = ["reasoning.encrypted_content"]


def responses_tool_choice_collapse(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): ``{type: auto}`` -> ``"auto"``; a named function stays an object."""
    if type(value) is dict and value.get("type") != "function":
        return value.get("type")
    return value


def responses_image_to_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): ``input_image`` (``image_url`` URL or data URL, or ``file_id``)."""
    url, file_id = part.get("image_url"), part.get("file_id")
    if type(url) is str:
        source = data_url_to_source(url, join(path, "image_url"), policy, warnings)
    elif type(file_id) is str:
        source = {"kind": "file", "file_id": file_id, "format": FORMAT}
    else:
        raise bad_type(path, "image_url", "a URL or a data URL (or give file_id)")
    out: JSONObject = {"type": "image", "source": source}
    if type(part.get("detail")) is str:
        out["detail"] = part["detail"]
    return out


def responses_image_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    source = part.get("source") or {}
    out: JSONObject = {"type": "input_image", "detail": part.get("detail", "auto")}
    if source.get("kind") == "file" and source.get("format") == FORMAT:
        out["file_id"] = source.get("file_id")
    else:
        out["image_url"] = source_to_data_url(source, path, policy, warnings)
    return out


def responses_file_to_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): ``input_file`` (``file_data`` data URL, ``file_id`` or ``file_url``)."""
    if type(part.get("file_data")) is str:
        source = data_url_to_source(part["file_data"], join(path, "file_data"), policy, warnings)
    elif type(part.get("file_id")) is str:
        source = {"kind": "file", "file_id": part["file_id"], "format": FORMAT}
    elif type(part.get("file_url")) is str:
        source = {"kind": "url", "url": part["file_url"]}
    else:
        raise bad_type(path, "file_data", "a base64 data URL (or give file_id or file_url)")
    out: JSONObject = {"type": "document", "source": source}
    if type(part.get("filename")) is str:
        out["filename"] = part["filename"]
    return out


def responses_file_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    source = part.get("source") or {}
    kind = source.get("kind")
    out: JSONObject = {"type": "input_file"}
    if kind == "base64":
        out["file_data"] = f"data:{source.get('media_type', 'application/pdf')};base64,{source.get('data', '')}"
    elif kind == "file" and source.get("format") in (FORMAT, "openai_chat"):
        out["file_id"] = source.get("file_id")
    elif kind == "url":
        out["file_url"] = source.get("url")
    elif kind in ("text", "content") and type(source.get("data")) is str:
        return {"type": "input_text", "text": source["data"]}
    else:
        warn(warnings, f"document dropped: a {kind} source has no {FORMAT} counterpart")
        return None
    name = part.get("filename") or part.get("title")
    if type(name) is str:
        out["filename"] = name
    return out


def responses_reasoning_to_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): a ``reasoning`` item -> IR thinking (summary text, and the
    encrypted content as a signature that only goes back to a Responses upstream)."""
    summary = part.get("summary") or []
    texts = [s.get("text", "") for s in summary if type(s) is dict]
    out: JSONObject = {"type": "thinking", "text": "\n\n".join(texts)}
    if type(part.get("encrypted_content")) is str:
        out["signature"] = part["encrypted_content"]
        out["signature_format"] = FORMAT
    rest = {k: v for k, v in part.items() if k not in ("type", "summary", "encrypted_content") and v is not None}
    if len(texts) > 1:
        rest["summary"] = summary  # the part boundaries, for a same-format trip
    if rest:
        out["extras"] = {FORMAT: rest}
    return out


def responses_reasoning_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    """Variant helper (from IR): thinking -> a ``reasoning`` item. In a request only reasoning a
    Responses upstream issued goes back (it checks the id and encrypted content)."""
    ours = part.get("signature_format") == FORMAT
    extras = (part.get("extras") or {}).get(FORMAT) or {}
    in_request = render_path(path).startswith("messages")  # IR-side path: a request, not a response
    if in_request and not (ours and extras.get("id")):
        warn(warnings, "thinking dropped: it was not issued by an OpenAI Responses upstream")
        return None
    text = part.get("text", "")
    summary = extras.get("summary")
    if not (type(summary) is list and "\n\n".join(s.get("text", "") for s in summary) == text):
        summary = [{"type": "summary_text", "text": text}] if text else []
    out: JSONObject = {"type": "reasoning", "id": extras.get("id") or "rs_interlingua", "summary": summary}  # see INVENTED
    out.update({k: v for k, v in extras.items() if k not in ("id", "summary")})
    if ours and part.get("signature"):
        out["encrypted_content"] = part["signature"]
    return out
