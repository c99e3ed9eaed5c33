"""Helpers of the Bedrock Converse rules (codegen/rules/bedrock_converse.yaml): the steps a
field mapping cannot say.

Bedrock unions are keyed by member (``{"image": {...}}``), which the rule language
handles (``discriminator: {by: key}``); what is left here is media formats (Bedrock
says ``png``/``pdf`` where the IR says a MIME type), cache points (a separate block
after the content it caches, where the IR puts ``cache_control`` on the part), the
thinking request field (``additionalModelRequestFields``, model-specific) and usage
(``inputTokens`` excludes cache reads/writes, as Anthropic's does).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from interlingua.convert.base import FieldPath, JSONObject, bad_value, render_path, warn
from interlingua.convert.policy import Policy, budget_to_effort

__all__ = [
    "bedrock_document_from_ir",
    "bedrock_document_to_ir",
    "bedrock_error_type",
    "bedrock_finish_messages",
    "bedrock_fold_cache_points",
    "bedrock_image_from_ir",
    "bedrock_image_to_ir",
    "bedrock_json_to_text",
    "bedrock_nonempty",
    "bedrock_output_format",
    "bedrock_reasoning_from_ir",
    "bedrock_reasoning_to_ir",
    "bedrock_redacted_from_ir",
    "bedrock_response_defaults",
    "bedrock_split_cache_points",
    "bedrock_temperature",
    "bedrock_thinking_from_ir",
    "bedrock_tool_choice_none",
    "bedrock_usage_split",
    "bedrock_usage_total",
]

FORMAT = "bedrock_converse"
_IMAGE_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
_DOC_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}
_FROM_MIME = {mime: fmt for table in (_IMAGE_TYPES, _DOC_TYPES) for fmt, mime in table.items()}
_CACHE_POINT = {"type": "default"}
# Bedrock document names: alphanumerics, single spaces, hyphens, parentheses, square brackets.
_NAME_JUNK = re.compile(r"[^A-Za-z0-9\-()\[\] ]+")


def _with_cache(part: JSONObject, block: JSONObject) -> JSONObject:
    if part.get("cache_control"):
        block["cachePoint"] = dict(_CACHE_POINT)
    return block


def _cache_to_ir(block: JSONObject, part: JSONObject) -> JSONObject:
    if type(block.get("cachePoint")) is dict:
        part["cache_control"] = {"type": "ephemeral"}
    return part


def bedrock_tool_choice_none(ir: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Pre step (from IR): Bedrock has no ``none`` tool choice, so the tools are not sent
    (the history's tools are still declared, see :func:`bedrock_finish_messages`)."""
    choice = ir.get("tool_choice")
    if type(choice) is not dict or choice.get("mode") != "none":
        return ir
    warn(warnings, "tools dropped: tool_choice none has no Bedrock counterpart, so no tools are offered")
    return {k: v for k, v in ir.items() if k not in ("tool_choice", "tools")}


def bedrock_fold_cache_points(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): a ``cachePoint`` block marks the block before it (IR ``cache_control``)."""
    if type(value) is not list:
        return value
    out: list[Any] = []
    for block in value:
        if type(block) is dict and set(block) == {"cachePoint"} and out and type(out[-1]) is dict:
            out[-1] = {**out[-1], "cachePoint": block["cachePoint"]}
        else:
            out.append(block)
    return out


def bedrock_split_cache_points(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): a block marked ``cachePoint`` is followed by a cachePoint block."""
    if type(value) is not list:
        return value
    out: list[Any] = []
    for block in value:
        if type(block) is dict and "cachePoint" in block and len(block) > 1:
            block = dict(block)
            out += [block, {"cachePoint": block.pop("cachePoint")}]
        else:
            out.append(block)
    return out or None


def _bytes_source(member: Any, types: dict[str, str], path: FieldPath, what: str) -> JSONObject:
    if type(member) is not dict:
        raise bad_value(path, what, member)
    fmt, source = member.get("format"), member.get("source")
    if type(source) is dict and type(source.get("text")) is str:
        return {"kind": "text", "media_type": "text/plain", "data": source["text"]}
    s3 = source.get("s3Location") if type(source) is dict else None
    if type(s3) is dict and type(s3.get("uri")) is str:  # an s3:// URL: only Bedrock can read it
        return {"kind": "url", "url": s3["uri"]}
    if type(source) is not dict or type(source.get("bytes")) is not str:
        raise bad_value((path, what), "source", source)  # S3 locations name the caller's bucket
    return {"kind": "base64", "media_type": types.get(str(fmt), f"application/{fmt}"), "data": source["bytes"]}


def bedrock_image_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): ``image: {format, source: {bytes}}`` -> IR base64 image source."""
    return _bytes_source(value, _IMAGE_TYPES, path, "image")


def _to_bytes_block(part: JSONObject, key: str, path: FieldPath, warnings: list[str]) -> JSONObject | None:
    source = part.get("source") or {}
    kind = source.get("kind")
    fmt = _FROM_MIME.get(str(source.get("media_type")))
    if kind == "base64" and fmt:
        return {"format": fmt, "source": {"bytes": source.get("data", "")}}
    if kind == "text" and key == "document":
        return {"format": "txt", "source": {"text": source.get("data", "")}}
    url = source.get("url")
    if kind == "url" and type(url) is str and url.startswith("s3://"):
        fmt = url.rpartition(".")[2].lower().replace("jpg", "jpeg")
        return {"format": fmt, "source": {"s3Location": {"uri": url}}}
    warn(warnings, f"{key} dropped: Bedrock takes {key} bytes ({kind} sources have no counterpart)")
    return None


def bedrock_image_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    """Variant helper (from IR): base64 images as bytes; URL and file images are dropped (warned)."""
    member = _to_bytes_block(part, "image", path, warnings)
    return None if member is None else _with_cache(part, {"image": member})


def bedrock_document_to_ir(block: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): ``document: {format, name, source}``; the name is the IR title."""
    member = block.get("document")
    part: JSONObject = {"type": "document", "source": _bytes_source(member, _DOC_TYPES, path, "document")}
    if part["source"]["kind"] == "text":
        part["source"]["media_type"] = _DOC_TYPES.get(str(member.get("format")), "text/plain")
    if type(member.get("name")) is str:
        part["title"] = member["name"]
    return _cache_to_ir(block, part)


def bedrock_document_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    member = _to_bytes_block(part, "document", path, warnings)
    if member is None:
        return None
    name = str(part.get("title") or part.get("filename") or "document")
    member = {"format": member["format"], "name": " ".join(_NAME_JUNK.sub(" ", name).split()) or "document", "source": member["source"]}
    return _with_cache(part, {"document": member})


def bedrock_json_to_text(block: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): a ``json`` tool result is its JSON text (the IR's results are text/images)."""
    return {"type": "text", "text": orjson.dumps(block.get("json")).decode()}


def bedrock_reasoning_to_ir(block: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (to IR): ``reasoningContent`` is signed thinking text or a redacted blob."""
    member = block.get("reasoningContent")
    if type(member) is dict and type(member.get("redactedContent")) is str:
        return {"type": "redacted_thinking", "data": member["redactedContent"], "signature_format": FORMAT}
    text = member.get("reasoningText") if type(member) is dict else None
    if type(text) is not dict or type(text.get("text")) is not str:
        raise bad_value(path, "reasoningContent", member)
    part: JSONObject = {"type": "thinking", "text": text["text"], "signature_format": FORMAT}
    if type(text.get("signature")) is str:
        part["signature"] = text["signature"]
    return part


def _in_request(path: FieldPath) -> bool:
    return render_path(path).startswith(("messages", "system"))


def bedrock_thinking_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    """Variant helper (from IR): signed thinking goes back to Bedrock only if Bedrock signed it."""
    own = part.get("signature_format") == FORMAT and part.get("signature")
    if _in_request(path) and not own:
        warn(warnings, "thinking dropped: it has no Bedrock signature, so Bedrock would reject it")
        return None
    text: JSONObject = {"text": part.get("text", "")}
    if own:
        text["signature"] = part["signature"]
    return {"reasoningContent": {"reasoningText": text}}


def bedrock_redacted_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    if part.get("signature_format") != FORMAT:
        warn(warnings, "redacted_thinking dropped: it was issued by another format")
        return None
    return {"reasoningContent": {"redactedContent": part.get("data", "")}}


def bedrock_finish_messages(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): system messages join ``system`` (Bedrock has no system role in
    ``messages``; a later one is moved, with a warning); consecutive same-role turns merge;
    empty turns go."""
    system = list(out.get("system") or [])
    merged: list[JSONObject] = []
    for message in out.get("messages", []):
        role = message.get("role")
        if role == "system":
            if merged:
                warn(warnings, "system message moved to system: Bedrock has no system role in messages")
            system.extend(b for b in message.get("content") or [] if "text" in b or "cachePoint" in b)
            continue
        if not message.get("content"):
            continue
        if merged and merged[-1]["role"] == message["role"]:
            merged[-1]["content"] = merged[-1]["content"] + message["content"]
            continue
        merged.append(message)
    for message in merged:  # Bedrock rejects blank text blocks
        message["content"] = [b for b in message["content"] if b.get("text", True) != ""] or [{"text": "."}]
    out["messages"] = merged
    if system:
        out["system"] = system
    config = out.get("toolConfig")
    if config is not None and not config.get("tools"):  # a tool choice without tools is invalid
        del out["toolConfig"]
        warn(warnings, "tool_choice dropped: no tools to choose from")
    _tools_for_history(out, warnings)


def _tools_for_history(out: JSONObject, warnings: list[str]) -> None:
    """Bedrock requires toolConfig whenever toolUse/toolResult blocks appear: declare the
    tools the history used (names only) when the request itself declared none."""
    if (out.get("toolConfig") or {}).get("tools"):
        return
    names = [b["toolUse"].get("name") for m in out["messages"] for b in m["content"] if "toolUse" in b]
    if not names and not any("toolResult" in b for m in out["messages"] for b in m["content"]):
        return
    schema = {"json": {"type": "object", "properties": {}}}
    tools = [{"toolSpec": {"name": n, "inputSchema": schema}} for n in dict.fromkeys(names) if type(n) is str]
    out.setdefault("toolConfig", {})["tools"] = tools or [{"toolSpec": {"name": "none", "inputSchema": schema}}]
    warn(warnings, "toolConfig added: Bedrock requires it when the history holds tool calls")


def _is_claude(model: Any) -> bool:
    return isinstance(model, str) and ("anthropic." in model or "claude" in model)


def bedrock_reasoning_from_ir(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): thinking goes in ``additionalModelRequestFields``, spelled per model family.

    Claude (or a budget with an unknown model): ``thinking: {type: enabled, budget_tokens}``,
    with Anthropic's limits (maxTokens above the budget, default sampling). Other models:
    ``reasoning_effort`` (gpt-oss, DeepSeek and the OpenAI-style models on Bedrock)."""
    r = src.get("reasoning")
    if type(r) is not dict or r.get("mode") == "disabled" or r.get("effort") == "none":
        return
    budget, effort, model = r.get("budget_tokens"), r.get("effort"), src.get("model")
    fields = out.setdefault("additionalModelRequestFields", {})
    if not _is_claude(model) and (model is not None or type(budget) is not int):
        fields["reasoning_effort"] = effort if type(effort) is str else budget_to_effort(policy, budget or 0)
        return
    config = out.setdefault("inferenceConfig", {})
    if type(budget) is not int:  # turned on from an effort: room for the answer after the budget
        budget = policy.effort_to_budget.get(str(effort)) or max(policy.effort_to_budget.values(), default=16000)
        config.setdefault("maxTokens", budget + policy.default_max_tokens)
    max_tokens = config.get("maxTokens")
    if type(max_tokens) is int and budget >= max_tokens:
        budget = max_tokens - 1
        warn(warnings, "thinking budget_tokens lowered below max_tokens: Anthropic requires it")
    if budget < 1024:
        warn(warnings, "thinking dropped: max_tokens is below Anthropic's minimum thinking budget (1024)")
        return
    fields["thinking"] = {"type": "enabled", "budget_tokens": budget}
    for key in ("temperature", "topP"):
        if config.pop(key, None) is not None:
            warn(warnings, f"{key} dropped: Anthropic thinking requires the default value")


def bedrock_usage_total(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): Bedrock's inputTokens excludes cache reads/writes; the IR's includes them."""
    cached = sum(v for k in ("cache_read_tokens", "cache_creation_tokens") if type(v := out.get(k, 0)) is int)
    out["input_tokens"] = out.get("input_tokens", 0) + cached


def bedrock_usage_split(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    cached = sum(v for k in ("cache_read_tokens", "cache_creation_tokens") if type(v := src.get(k, 0)) is int)
    out["inputTokens"] = max(0, out.get("inputTokens", 0) - cached)
    out["totalTokens"] = out["inputTokens"] + out.get("outputTokens", 0) + cached


def bedrock_response_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): members botocore requires; tool calls always stop with tool_use."""
    message = out.setdefault("output", {}).setdefault("message", {"role": "assistant"})
    message.setdefault("content", [])
    if any("toolUse" in b for b in message["content"]) and out.get("stopReason") in (None, "end_turn", "stop_sequence"):
        out["stopReason"] = "tool_use"
    out.setdefault("stopReason", "end_turn")
    out.setdefault("usage", {"inputTokens": 0, "outputTokens": 0, "totalTokens": 0})
    out.setdefault("metrics", {"latencyMs": 0})


def bedrock_output_format(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): Bedrock's textFormat is json_schema only (JSON mode has no counterpart)."""
    if type(value) is dict and value.get("type") == "json_schema" and "structure" in value:
        return value
    warn(warnings, "response_format json_object dropped: Bedrock supports json_schema only")
    return None


def bedrock_temperature(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): Bedrock's temperature is 0..1 (OpenAI allows 0..2)."""
    if type(value) in (int, float) and not 0 <= value <= 1:
        clamped = min(1, max(0, value))
        warn(warnings, f"temperature {value} clamped to {clamped}: Bedrock accepts 0..1")
        return clamped
    return value


def bedrock_nonempty(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): Bedrock rejects empty strings where others allow them (descriptions)."""
    return value if value != "" else None


def bedrock_error_type(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (to IR): ``aws.protocols#ThrottlingException:http://...`` -> ``ThrottlingException``."""
    if type(value) is not str:
        return None
    return value.rpartition("#")[2].partition(":")[0] or None
