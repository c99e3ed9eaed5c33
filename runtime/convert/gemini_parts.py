"""Gemini helpers for parts, responses, usage and errors (codegen/rules/gemini.yaml).

- ``inlineData`` / ``fileData`` parts are images or documents by MIME type;
- a ``functionResponse.response`` object is IR tool-result text: ``{"output": s}``
  is ``s``, ``{"error": s}`` is ``s`` with ``is_error``, anything else its JSON;
  on the way back text that is a JSON object is sent as that object;
- thought parts and ``thoughtSignature`` go back to Gemini only;
- Gemini counts thinking outside ``candidatesTokenCount``; the IR's output
  tokens include reasoning tokens (as OpenAI's completion tokens do);
- Gemini reports ``STOP`` for a turn that calls functions: the IR says tool_use.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any

import orjson

from interlingua.convert.base import FieldPath, JSONObject, bad_type, merge_extras, reject, warn
from interlingua.convert.gemini import FORMAT, synthetic_call_id
from interlingua.convert.policy import Policy

__all__ = [
    "gemini_error_in",
    "gemini_error_out",
    "gemini_media_from_ir",
    "gemini_media_to_ir",
    "gemini_response_in",
    "gemini_response_out",
    "gemini_response_stop",
    "gemini_result_from_ir",
    "gemini_result_to_ir",
    "gemini_thought_from_ir",
    "gemini_usage_in",
    "gemini_usage_out",
]


def _source_to_ir(part: JSONObject, path: FieldPath) -> tuple[str, JSONObject]:
    if "inlineData" in part:
        blob = part["inlineData"]
        if type(blob) is not dict or type(blob.get("data")) is not str:
            raise bad_type(path, "inlineData", "an object with base64 data")
        mime = str(blob.get("mimeType") or "application/octet-stream")
        return mime, {"kind": "base64", "media_type": mime, "data": blob["data"]}
    ref = part.get("fileData")
    if type(ref) is not dict or type(ref.get("fileUri")) is not str:
        raise bad_type(path, "fileData", "an object with a fileUri")
    mime = str(ref.get("mimeType") or mimetypes.guess_type(ref["fileUri"])[0] or "application/octet-stream")
    return mime, {"kind": "url", "url": ref["fileUri"]}


def gemini_media_to_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Variant helper (to IR): inlineData/fileData -> image (image/*) or document."""
    mime, source = _source_to_ir(part, path)
    out: JSONObject = {"type": "image" if mime.startswith("image/") else "document", "source": source}
    if source["kind"] == "url" and "mimeType" in part["fileData"]:
        out["extras"] = {FORMAT: {"fileData": {"mimeType": mime}}}
    name = (part.get("inlineData") or part.get("fileData") or {}).get("displayName")
    if type(name) is str and out["type"] == "document":
        out["filename"] = name
    if out["type"] == "image" and not policy.allow_images:
        raise reject(path, "images are not allowed by policy (allow_images: false)")
    return out


def gemini_media_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Variant helper (from IR): base64 -> inlineData, URL -> fileData; other sources per policy."""
    if part.get("type") == "image" and not policy.allow_images:
        raise reject(path, "images are not allowed by policy (allow_images: false)")
    source = part.get("source") or {}
    kind = source.get("kind")
    out: JSONObject
    if kind == "base64":
        out = {"inlineData": {"mimeType": source.get("media_type") or "application/octet-stream", "data": source.get("data", "")}}
    elif kind == "url":
        url = str(source.get("url", ""))
        mime = mimetypes.guess_type(url)[0] or ("image/jpeg" if part.get("type") == "image" else "application/pdf")
        out = {"fileData": {"mimeType": mime, "fileUri": url}}
    elif kind == "text":
        out = {"text": str(source.get("data", ""))}
    elif kind == "content":
        out = {"text": "\n".join(str(p.get("text", "")) for p in source.get("content") or () if p.get("type") == "text")}
    else:
        raise reject(path, f"a {kind or 'missing'} source cannot be sent to Gemini (inline data or a URL only)")
    # filename/title have no Gemini API counterpart (Blob.displayName is Vertex-only).
    merge_extras(part.get("extras"), out, FORMAT, path, None)
    return out


def gemini_thought_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """A thought part; the signature only when Gemini issued it. (Requests drop other
    formats' thinking before this: gemini_request_out.)"""
    out: JSONObject = {"text": part.get("text", ""), "thought": True}
    if part.get("signature") and part.get("signature_format") == FORMAT:
        out["thoughtSignature"] = part["signature"]
    return out


def gemini_result_to_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Variant helper (to IR): functionResponse -> tool_result (name and the rest in extras)."""
    result = part.get("functionResponse")
    if type(result) is not dict:
        raise bad_type(path, "functionResponse", "an object")
    response = result.get("response")
    if response is None:
        response = {}
    if type(response) is not dict:
        raise bad_type(path, "functionResponse.response", "an object")
    out: JSONObject = {"type": "tool_result", "tool_call_id": str(result.get("id") or synthetic_call_id(0, "r"))}
    keys = list(response)
    if keys == ["output"] and type(response["output"]) is str:
        text = response["output"]
    elif keys == ["error"] and type(response["error"]) is str:
        text, out["is_error"] = response["error"], True
    else:
        text = orjson.dumps(response).decode()
    out["content"] = [{"type": "text", "text": text}]
    rest = {k: v for k, v in result.items() if k not in ("id", "response")}
    if keys not in (["output"], ["error"]):
        rest["response"] = response  # the object itself, for a Gemini upstream
    extras = {k: v for k, v in part.items() if k != "functionResponse"}
    if rest:
        extras["functionResponse"] = rest
    if extras:
        out["extras"] = {FORMAT: extras}
    return out


def gemini_result_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    texts = []
    for item in part.get("content") or ():
        if type(item) is dict and item.get("type") == "text":
            texts.append(str(item.get("text", "")))
        elif type(item) is dict:
            warn(warnings, f"tool_result {item.get('type')} content dropped: Gemini function responses hold JSON only")
    text = "".join(texts)
    mine = ((part.get("extras") or {}).get(FORMAT) or {}).get("functionResponse") or {}
    response: Any = mine.get("response")
    if type(response) is not dict or orjson.dumps(response).decode() != text:
        # Tool output is text everywhere else; Gemini wants an object: {"output": text}.
        response = {"error" if part.get("is_error") else "output": text}
    call_id = part.get("tool_call_id")  # made-up ids are removed by gemini_contents_finish
    result: JSONObject = {"id": call_id} if call_id else {}
    result["response"] = response
    out: JSONObject = {"functionResponse": result}
    merge_extras(part.get("extras"), out, FORMAT, path, None)
    result.setdefault("name", "")
    if not result["name"]:
        raise reject(path, "a tool result must follow the tool call it answers (Gemini needs the function name)")
    return out


def gemini_response_in(body: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Pre (to IR): id-less function calls get ids (scoped by responseId, so turns differ)."""
    candidates = body.get("candidates") if type(body) is dict else None
    if type(candidates) is not list or not candidates or type(candidates[0]) is not dict:
        return body
    content = candidates[0].get("content")
    parts = content.get("parts") if type(content) is dict else None
    if type(parts) is not list or not any(type(p) is dict and "functionCall" in p for p in parts):
        return body
    scope = re.sub(r"[^A-Za-z0-9]", "", str(body.get("responseId") or ""))[:24]
    new_parts = []
    n = 0
    for part in parts:
        call = part.get("functionCall") if type(part) is dict else None
        if type(call) is dict:
            if not call.get("id"):  # the stream decoder numbers calls the same way
                part = {**part, "functionCall": {**call, "id": synthetic_call_id(n, f"{scope}-" if scope else "")}}
            n += 1
        new_parts.append(part)
    first: JSONObject = candidates[0]
    old: JSONObject = content if type(content) is dict else {}
    candidate = {**first, "content": {**old, "parts": new_parts}}
    return {**body, "candidates": [candidate, *candidates[1:]]}


def gemini_response_stop(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (to IR): STOP with function calls is tool_use; a blocked prompt is a refusal."""
    if any(p.get("type") == "tool_call" for p in out.get("content") or ()) and out.get("stop_reason") in (None, "end_turn"):
        out["stop_reason"] = "tool_use"
    feedback = src.get("promptFeedback")
    if not src.get("candidates") and type(feedback) is dict and feedback.get("blockReason"):
        out["stop_reason"] = "refusal"
        out.setdefault("content", [])
    out.setdefault("stop_reason", "end_turn")
    out.setdefault("content", [])  # a blocked candidate has no content


def gemini_usage_in(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (to IR): output tokens include thinking tokens."""
    out["output_tokens"] = out.get("output_tokens", 0) + out.get("reasoning_tokens", 0)
    out.setdefault("input_tokens", 0)


def gemini_usage_out(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (from IR): candidatesTokenCount excludes thoughts; totalTokenCount adds all;
    zero counts are omitted, as proto3 JSON does."""
    thoughts = out.get("thoughtsTokenCount", 0)
    out["candidatesTokenCount"] = max(0, out.get("candidatesTokenCount", 0) - thoughts)
    out["totalTokenCount"] = out.get("promptTokenCount", 0) + out["candidatesTokenCount"] + thoughts
    for key in [k for k, v in out.items() if v == 0]:
        del out[key]


def gemini_response_out(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (from IR): a candidate without parts has no content (a blocked answer)."""
    candidate = (out.get("candidates") or [{}])[0]
    if not (candidate.get("content") or {}).get("parts"):
        candidate.pop("content", None)

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def gemini_error_in(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (to IR): RetryInfo's ``retryDelay: "36s"`` -> retry_after ``"36"``."""
    error = src.get("error")
    details = error.get("details") if type(error) is dict else None
    for detail in details if type(details) is list else ():
        if type(detail) is dict and detail.get("@type") == _RETRY_INFO:
            match = re.match(r"^(\d+)(?:\.\d+)?s$", str(detail.get("retryDelay", "")))
            if match:
                out["retry_after"] = str(max(1, int(match.group(1))))


def gemini_error_out(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (from IR): retry_after -> a RetryInfo detail, as Gemini sends it."""
    retry = src.get("retry_after")
    error = out.setdefault("error", {})
    error.setdefault("code", src.get("status") if type(src.get("status")) is int else 500)
    if retry is not None and str(retry).isdigit():
        error.setdefault("details", []).append({"@type": _RETRY_INFO, "retryDelay": f"{retry}s"})
