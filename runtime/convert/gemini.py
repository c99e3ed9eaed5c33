"""Gemini (generateContent, v1beta) helpers: the request-level steps codegen/rules/gemini.yaml names.

What a field rule cannot say about Gemini:

- the API accepts snake_case as well as camelCase keys (``system_instruction``,
  ``inline_data``, ``parameters_json_schema``): ingress renames them once, never
  inside user data (tool arguments, schemas, function responses);
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

# snake_case spellings the API accepts -> the camelCase the rules read.
_CAMEL = {
    "system_instruction": "systemInstruction",
    "tool_config": "toolConfig",
    "function_calling_config": "functionCallingConfig",
    "allowed_function_names": "allowedFunctionNames",
    "generation_config": "generationConfig",
    "safety_settings": "safetySettings",
    "cached_content": "cachedContent",
    "inline_data": "inlineData",
    "file_data": "fileData",
    "mime_type": "mimeType",
    "file_uri": "fileUri",
    "display_name": "displayName",
    "function_call": "functionCall",
    "function_response": "functionResponse",
    "function_declarations": "functionDeclarations",
    "parameters_json_schema": "parametersJsonSchema",
    "response_json_schema": "responseJsonSchema",
    "response_schema": "responseSchema",
    "response_mime_type": "responseMimeType",
    "max_output_tokens": "maxOutputTokens",
    "top_p": "topP",
    "top_k": "topK",
    "stop_sequences": "stopSequences",
    "candidate_count": "candidateCount",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
    "thinking_config": "thinkingConfig",
    "thinking_budget": "thinkingBudget",
    "thinking_level": "thinkingLevel",
    "include_thoughts": "includeThoughts",
    "thought_signature": "thoughtSignature",
    "video_metadata": "videoMetadata",
    "executable_code": "executableCode",
    "code_execution_result": "codeExecutionResult",
    "will_continue": "willContinue",
    "response_logprobs": "responseLogprobs",
    "google_search": "googleSearch",
    "code_execution": "codeExecution",
    "url_context": "urlContext",
}
# Values that are user data: their keys are never renamed.
_DATA_KEYS = frozenset(
    {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema", "partialArgs"}
)


def camel_keys(value: Any) -> Any:
    """The request (or part of one) with the API's snake_case keys in camelCase: a copy when
    any key is snake_case, else the value itself (most clients send camelCase)."""
    return _camel(value) if _has_snake(value) else value


def _has_snake(value: Any) -> bool:
    if type(value) is list:
        return any(_has_snake(item) for item in value)
    if type(value) is not dict:
        return False
    for key, item in value.items():
        if key in _CAMEL:
            return True
        if key not in _DATA_KEYS and type(item) in (dict, list) and _has_snake(item):
            return True
    return False


def _camel(value: Any) -> Any:
    if type(value) is list:
        return [_camel(item) for item in value]
    if type(value) is not dict:
        return value
    out: JSONObject = {}
    for wire_key, item in value.items():
        key: str = _CAMEL.get(wire_key) or wire_key
        out[key] = item if key in _DATA_KEYS else _camel(item)
    return out


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
    """Pre (from IR): leading system messages -> systemInstruction; tool results get names."""
    if type(ir) is not dict:
        return ir
    return _name_results(_hoist_system(ir, warnings), warnings)


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
    no signature: the first call gets :data:`DUMMY_SIGNATURE` (a real one came back in extras)."""
    start = 0
    for i, content in enumerate(contents):
        if content.get("role") != "model" and any("text" in p for p in content.get("parts") or ()):
            start = i + 1
    for content in contents[start:]:
        calls = [p for p in content.get("parts") or () if "functionCall" in p] if content.get("role") == "model" else []
        if calls and not any("thoughtSignature" in p for p in content["parts"]):
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
