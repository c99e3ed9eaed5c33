"""Gemini (generateContent, v1beta) helpers: the request-level steps codegen/rules/gemini.yaml names.

What a field rule cannot say about Gemini:

- the API accepts snake_case as well as camelCase keys at any depth (proto3 JSON):
  ingress renames them once, following the message types of specs/gemini and never
  inside user data (tool arguments, schemas, function responses): :mod:`.gemini_names`;
- function call ids are optional: missing ones get stable synthetic ids
  (``gcall-<n>``, numbered in request order) and function responses without an
  id take the id of the oldest unanswered call of the same name; synthetic ids
  are removed again on the way back to Gemini;
- a ``functionResponse`` needs the function's *name*, which the IR tool result
  does not carry: it is looked up from the tool call with the same id;
- Gemini has no system role in ``contents``: leading system/developer messages
  go to ``systemInstruction``, later ones become user turns;
- ``tools`` is a list of groups (``functionDeclarations`` and built-in tools):
  flattened to one tool per item on the way in, regrouped on the way out.

The JSON Schema subset and thinking/tool-choice tables are in :mod:`.gemini_schema`.
"""

from __future__ import annotations

from typing import Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type, warn
from interlingua.convert.blobs import take_call_signatures
from interlingua.convert.gemini_names import camel_body
from interlingua.convert.policy import Policy

__all__ = [
    "DUMMY_SIGNATURE",
    "camel_keys",
    "gemini_contents_finish",
    "gemini_model_name",
    "gemini_model_path",
    "gemini_request_in",
    "gemini_request_out",
    "gemini_tools_from_ir",
    "gemini_tools_to_ir",
    "synthetic_call_id",
]

FORMAT = "gemini"
SYNTHETIC_PREFIX = "gcall-"
_THINKING = ("thinking", "redacted_thinking")

def camel_keys(value: Any, kind: str = "request") -> Any:
    """A Gemini request (``kind``: ``request`` or ``count_tokens_request``) in camelCase, copied
    only where a key was spelled otherwise (see :mod:`.gemini_names`)."""
    return camel_body(value, kind)


def _parts(content: Any) -> list[Any]:
    parts = content.get("parts") if type(content) is dict else None
    return parts if type(parts) is list else []


def synthetic_call_id(n: int, scope: str = "") -> str:
    return f"{SYNTHETIC_PREFIX}{scope}{n}"


def _needs_ids(contents: list[Any]) -> bool:
    for content in contents:
        for part in _parts(content):
            for key in ("functionCall", "functionResponse"):
                value = part.get(key) if type(part) is dict else None
                if type(value) is dict and not value.get("id"):
                    return True
    return False


def _assign_ids(contents: list[Any]) -> list[Any]:
    """Id-less calls get stable ids, id-less responses the id of their call (contents and
    parts are copied; the client's body is never edited)."""
    copied = [{**c, "parts": [dict(p) if type(p) is dict else p for p in _parts(c)]} if type(c) is dict else c
              for c in contents]
    pending: dict[str, list[str]] = {}
    n = 0
    for content in copied:
        for part in _parts(content):
            if type(part) is not dict:
                continue
            call = part.get("functionCall")
            if type(call) is dict:
                if not call.get("id"):
                    part["functionCall"] = call = {**call, "id": synthetic_call_id(n)}
                n += 1
                pending.setdefault(str(call.get("name")), []).append(str(call["id"]))
            result = part.get("functionResponse")
            if type(result) is dict:
                waiting = pending.get(str(result.get("name")), [])
                if result.get("id"):
                    if result["id"] in waiting:
                        waiting.remove(result["id"])
                else:
                    fallback = synthetic_call_id(n, "r") if not waiting else waiting.pop(0)
                    part["functionResponse"] = {**result, "id": fallback}
    return copied


def gemini_request_in(body: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Pre (to IR): camelCase keys, function call ids (copied where changed, never edited)."""
    if type(body) is not dict:
        return body
    body = camel_keys(body)
    system = body.get("systemInstruction")
    if type(system) is dict and "role" in system:  # any role is ignored by Gemini: not worth a warning
        body = {**body, "systemInstruction": {k: v for k, v in system.items() if k != "role"}}
    contents = body.get("contents")
    if type(contents) is list and _needs_ids(contents):
        body = {**body, "contents": _assign_ids(contents)}
    return body


def _hoist_system(ir: JSONObject, warnings: list[str]) -> JSONObject:
    """System/developer messages -> systemInstruction (Gemini has no system turns); one
    after the conversation started is appended there too, with a warning."""
    messages = ir.get("messages")
    if type(messages) is not list:
        return ir
    system = list(ir.get("system") or [])
    rest: list[Any] = []
    for message in messages:
        if type(message) is dict and message.get("role") in ("system", "developer"):
            if rest:
                warn(warnings, "system message moved to systemInstruction: Gemini has no system turns")
            system.extend(message.get("content") or [])
        else:
            rest.append(message)
    if len(rest) == len(messages):
        return ir
    return {**ir, "system": system, "messages": rest}


def _name_results(ir: JSONObject, warnings: list[str]) -> JSONObject:
    """Tool results learn their function's name (Gemini requires it) from the matching call;
    thinking another format wrote is dropped (Gemini takes back only its own thoughts)."""
    names: dict[Any, Any] = {}
    messages = []
    for message in ir.get("messages") or []:
        content = message.get("content") if type(message) is dict else None
        if type(content) is not list:
            messages.append(message)
            continue
        parts = []
        for part in content:
            if type(part) is dict and part.get("type") in _THINKING and part.get("signature_format") != FORMAT:
                warn(warnings, f"{part['type']} dropped: Gemini takes back only its own thought parts")
                continue
            if type(part) is dict and part.get("type") == "tool_call":
                names[part.get("id")] = part.get("name")
            elif type(part) is dict and part.get("type") == "tool_result" and part.get("tool_call_id") in names:
                extras = dict(part.get("extras") or {})
                mine = dict(extras.get(FORMAT) or {})
                response = dict(mine.get("functionResponse") or {})
                response.setdefault("name", names[part["tool_call_id"]])
                mine["functionResponse"] = response
                extras[FORMAT] = mine
                part = {**part, "extras": extras}
            parts.append(part)
        messages.append({**message, "content": parts})
    return {**ir, "messages": messages}


def gemini_request_out(ir: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Pre (from IR): leading system messages -> systemInstruction; tool results get names;
    function call signatures a client of another format carried back go on their calls."""
    if type(ir) is not dict:
        return ir
    return _name_results(_hoist_system(take_call_signatures(ir, FORMAT), warnings), warnings)


def _same_role_merged(contents: list[Any], warnings: list[str]) -> list[Any]:
    out: list[Any] = []
    for content in contents:
        if type(content) is not dict:
            continue
        if not content.get("parts"):
            continue
        if out and out[-1].get("role") == content.get("role"):
            out[-1] = {**out[-1], "parts": [*out[-1]["parts"], *content["parts"]]}
        else:
            out.append(content)
    return out


def gemini_contents_finish(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (from IR): consecutive same-role turns merged (parallel tool results are one turn);
    call ids this gateway made up are not sent to Gemini; function calls Gemini never signed
    get the documented dummy signature."""
    contents = out.get("contents")
    if type(contents) is list:
        out["contents"] = _same_role_merged(contents, warnings)
        _sign_foreign_calls(out["contents"])
        for content in out["contents"]:
            for part in content.get("parts") or ():
                for key in ("functionCall", "functionResponse"):
                    value = part.get(key)
                    if type(value) is dict and str(value.get("id", "")).startswith(SYNTHETIC_PREFIX):
                        part[key] = {k: v for k, v in value.items() if k != "id"}


# Google documents this value for function calls Gemini did not issue (history from another
# model): Gemini 3 validates the first call of each step of the current turn and accepts it.
# https://ai.google.dev/gemini-api/docs/thought-signatures
DUMMY_SIGNATURE = "skip_thought_signature_validator"


def _sign_foreign_calls(contents: list[Any]) -> None:
    """The model steps of the current turn (after the last user text) whose function calls carry
    no signature: the first call gets :data:`DUMMY_SIGNATURE` (a real one came back in extras,
    from a Gemini client or carried by a client of another format: convert/blobs.py).
    Gemini 3 checks the call's own signature, so a signed thought part beside it (a thought
    signature a client of another format carried back, convert/blobs.py) does not stand in."""
    start = 0
    for i, content in enumerate(contents):
        if content.get("role") != "model" and any("text" in p for p in content.get("parts") or ()):
            start = i + 1
    for content in contents[start:]:
        calls = [p for p in content.get("parts") or () if "functionCall" in p] if content.get("role") == "model" else []
        if calls and not any("thoughtSignature" in p for p in calls):
            calls[0]["thoughtSignature"] = DUMMY_SIGNATURE


def gemini_model_name(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """``models/gemini-2.5-flash`` -> ``gemini-2.5-flash``."""
    if type(value) is not str:
        raise bad_type(path, "", "a string")
    return value.removeprefix("models/")


def gemini_model_path(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if type(value) is not str or not value:
        return None
    return value if value.startswith(("models/", "tunedModels/")) else f"models/{value}"


def gemini_tools_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """``[{functionDeclarations: [a, b]}, {googleSearch: {}}]`` -> one item per tool (a single
    Tool object, which Google's JSON parser takes for a repeated field, is one group)."""
    if type(value) is dict:
        value = [value]
    if type(value) is not list:
        raise bad_type(path, "", "an array")
    flat: list[Any] = []
    for group in value:
        if type(group) is not dict:
            raise bad_type(path, "", "an array of objects")
        for key, item in group.items():
            if key == "functionDeclarations" and type(item) is list:
                flat.extend({"functionDeclaration": decl} for decl in item)
            elif item is not None:
                flat.append({key: item})
    return flat


def gemini_tools_from_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """One tool per item -> Gemini's groups (all function declarations in the first group)."""
    if type(value) is not list:
        return value
    declarations: list[Any] = []
    groups: list[Any] = []
    for item in value:
        if type(item) is dict and "functionDeclaration" in item:
            declarations.append(item["functionDeclaration"])
        elif type(item) is dict:
            groups.append(item)
    if declarations:
        groups.insert(0, {"functionDeclarations": declarations})
    return groups or None
