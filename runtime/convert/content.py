"""Value helpers for content: text shorthands, data URLs, documents, tool-call arguments.

Value helpers take ``(value, path, policy, warnings)`` and work on the wire
side of a field (see ``codegen/README.md``); returning ``None`` omits the field.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from interlingua.convert.base import FieldPath, JSONObject, bad_type, reject, render_path, warn

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "anthropic_file_source",
    "arguments_text",
    "check_images_allowed",
    "collapse_text",
    "data_url_to_source",
    "drop_unsupported",
    "json_to_object",
    "object_to_json",
    "openai_document_from_ir",
    "openai_file_to_source",
    "source_to_data_url",
    "str_to_list",
    "text_to_blocks",
]

_DATA_URL = re.compile(r"data:(?P<media>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[^;,]*)*)(?P<b64>;base64)?,", re.ASCII)


def _leaf(path: FieldPath) -> str:
    """``messages[2].content[0].cache_control`` -> ``cache_control`` (warnings repeat per field, not per index)."""
    return render_path(path).rsplit(".", 1)[-1].split("[", 1)[0]


def text_to_blocks(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """String content is shorthand for one text part."""
    if type(value) is str:
        return [{"type": "text", "text": value}]
    return value


def collapse_text(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """One plain text part is written back as a string (the common form)."""
    if type(value) is list and len(value) == 1:
        only = value[0]
        if type(only) is dict and only.get("type") == "text" and len(only) == 2:
            return only.get("text")
    return value


def str_to_list(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    return [value] if type(value) is str else value


def drop_unsupported(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """An IR field the target cannot say: dropped with a warning."""
    warn(warnings, f"{_leaf(path)} dropped: the target format has no counterpart")
    return None


def object_to_json(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> str:
    """Anthropic tool_use.input (an object) -> IR arguments (a JSON string)."""
    if type(value) is not dict:
        raise bad_type(path, "", "an object")
    return orjson.dumps(value).decode()


def json_to_object(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """IR arguments (a JSON string) -> Anthropic tool_use.input (an object)."""
    if type(value) is dict:
        return value
    if type(value) is not str or not value.strip():
        return {}
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise reject(path, "tool call arguments are not valid JSON") from None
    if type(parsed) is not dict:
        raise reject(path, "tool call arguments must be a JSON object")
    return parsed


def arguments_text(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> str:
    """OpenAI function.arguments is a JSON string; some clients send an object."""
    if type(value) is str:
        return value
    if type(value) is dict:
        return orjson.dumps(value).decode()
    raise bad_type(path, "", "a JSON string")


def data_url_to_source(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """image_url.url -> IR source: ``data:`` URLs become base64 sources, others URL sources."""
    if type(value) is not str:
        raise bad_type(path, "", "a string")
    if value.startswith("data:"):
        match = _DATA_URL.match(value)
        if match is None or not match.group("b64"):
            raise bad_type(path, "", "a base64 data URL (data:<media type>;base64,<data>)")
        return {"kind": "base64", "media_type": match.group("media") or "application/octet-stream",
                "data": value[match.end():]}
    return {"kind": "url", "url": value}


def source_to_data_url(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> str | None:
    """IR image source -> image_url.url."""
    check_images_allowed(value, path, policy, warnings)
    kind = value.get("kind") if type(value) is dict else None
    if kind == "base64":
        return f"data:{value.get('media_type', 'application/octet-stream')};base64,{value.get('data', '')}"
    if kind == "url":
        return str(value.get("url", ""))
    raise reject(path, f"image source {kind!r} cannot be expressed as an image URL")


def check_images_allowed(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if not policy.allow_images:
        raise reject(path, "images are not allowed by policy (allow_images: false)")
    return value


def anthropic_file_source(source: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Variant helper (from IR): a file id goes to Anthropic only if Anthropic issued it."""
    if source.get("format") != "anthropic_messages":
        raise reject(path, f"a file id issued by {source.get('format') or 'another provider'} cannot be sent to Anthropic")
    return {"type": "file", "file_id": source.get("file_id")}


def openai_file_to_source(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """A ``file`` part's object -> IR document source."""
    if type(value) is not dict:
        raise bad_type(path, "", "an object")
    data = value.get("file_data")
    if type(data) is str:
        source = data_url_to_source(data, (path, "file_data"), policy, warnings)
        if source["kind"] == "base64":
            return source
        raise bad_type(path, "file_data", "a base64 data URL")
    file_id = value.get("file_id")
    if type(file_id) is str:
        return {"kind": "file", "file_id": file_id, "format": "openai_chat"}
    raise bad_type(path, "file_data", "a base64 data URL (or give file_id)")


def _document_text(part: JSONObject) -> str | None:
    source = part.get("source") or {}
    kind = source.get("kind")
    if kind == "text":
        body = str(source.get("data", ""))
    elif kind == "content":
        body = "\n".join(str(p.get("text", "")) for p in source.get("content") or () if p.get("type") == "text")
    elif kind == "url":
        body = f"Document: {source.get('url', '')}"
    else:
        return None
    title = part.get("title")
    return f"{title}\n\n{body}" if title else body


def openai_document_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    """IR document -> OpenAI ``file`` part when the source is a base64 file or a file id,
    else per ``policy.documents``: reject (400), drop (warning) or text (a text part)."""
    source = part.get("source") or {}
    kind = source.get("kind")
    if kind == "base64":
        file: JSONObject = {"file_data": f"data:{source.get('media_type', 'application/pdf')};base64,{source.get('data', '')}"}
        filename = part.get("filename") or part.get("title")
        if filename:
            file["filename"] = filename
        return {"type": "file", "file": file}
    if kind == "file" and source.get("format") == "openai_chat":
        return {"type": "file", "file": {"file_id": source.get("file_id")}}
    if kind == "file":  # another provider's file id means nothing here
        warn(warnings, "document dropped: a file id issued by another provider")
        return None
    if policy.documents == "reject":
        raise reject(path, f"a {kind} document has no openai_chat counterpart (policy documents: reject)")
    text = _document_text(part) if policy.documents == "text" else None
    if text is None:
        warn(warnings, f"document dropped: {kind} documents have no openai_chat counterpart")
        return None
    return {"type": "text", "text": text}
