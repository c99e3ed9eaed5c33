"""Gemini for the fake upstream: reading a request, rendering an answer.

Reading: a ``generateContent`` request is checked as strictly as Gemini checks it.

Checked: ``contents`` roles (``user``/``model``/``function``), part fields
(an unknown part field is a 400, as Gemini's proto parser answers), every
``functionResponse`` answering a ``functionCall`` of the previous model turn
(same count, matching names and ids when ids are given), function
declarations (``parameters`` or ``parametersJsonSchema``, not both; ``parameters``
is Gemini's OpenAPI-subset Schema: JSON Schema keywords it lacks, such as
``additionalProperties`` or ``$ref``, and list-valued ``type`` are refused), and
``thoughtSignature`` values, as Gemini 3 checks them (and, for ``gemini-3*``
models, stricter: :mod:`.gemini_signatures`).
https://ai.google.dev/api/generate-content

Rendering: a plan as Gemini wire output: a ``GenerateContentResponse`` JSON, or its
``streamGenerateContent?alt=sse`` chunks (``data: {...}\r\n\r\n``; text
in word pieces, each function call whole, the last chunk carrying
``finishReason`` and ``usageMetadata``).
https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse

Thought parts (``thought: true``) carry a ``thoughtSignature``; the first
function call part carries one too, as Gemini 3 models send it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from interlingua.server.fake_upstream.gemini_signatures import (
    GEMINI_SIGNATURE,
    TEXT_SIGNATURE,
    check_call_signatures,
    check_signatures,
    check_text_signatures,
    signs_text,
)
from interlingua.server.fake_upstream.plan import (
    BadRequest,
    Conversation,
    Plan,
    make_plan,
    rough_tokens,
    split_words,
)
from interlingua.server.fake_upstream.structured import output_schema

__all__ = [
    "GEMINI_SIGNATURE",
    "gemini_answer",
    "gemini_chunks",
    "gemini_error",
    "gemini_json",
    "gemini_models",
    "gemini_sse",
    "read_gemini",
]

JSON = dict[str, Any]
FINISH_REASONS = {"end": "STOP", "stop_sequence": "STOP", "tool": "STOP", "max_tokens": "MAX_TOKENS"}
MODELS = ("gemini-2.5-flash", "gemini-2.5-pro", "demo-gemini")
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

_PART_FIELDS = frozenset(
    {
        "text",
        "inlineData",
        "fileData",
        "functionCall",
        "functionResponse",
        "thought",
        "thoughtSignature",
        "executableCode",
        "codeExecutionResult",
        "videoMetadata",
        "partMetadata",
        "mediaResolution",
    }
)


def camel_keys(value: Any, keep: frozenset[str] = frozenset()) -> Any:
    """Proto JSON takes field names in lowerCamelCase or as declared (snake_case), and
    google-genai sends some snake_case (``thinking_config.include_thoughts``): the
    fake reads everything as camelCase. Values under ``keep`` keys are user data."""
    if isinstance(value, list):
        return [camel_keys(v, keep) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
        out[name] = item if name in keep else camel_keys(item, keep)
    return out


def _parts(content: Any, where: str) -> list[JSON]:
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list) or not parts:
        raise BadRequest(f"* GenerateContentRequest.{where}.parts: contents.parts must not be empty.", where)
    for i, part in enumerate(parts):
        if not isinstance(part, dict):
            raise BadRequest(f"Invalid JSON payload received. {where}.parts[{i}] must be an object.", where)
        unknown = sorted(set(part) - _PART_FIELDS)
        if unknown:
            raise BadRequest(
                f"Invalid JSON payload received. Unknown name \"{unknown[0]}\" at '{where}.parts[{i}]': Cannot find field.",
                f"{where}.parts[{i}]",
            )
    return parts


def _check_responses(i: int, parts: list[JSON], calls: list[JSON]) -> None:
    responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
    if not responses:
        return
    names = sorted(str(c.get("name")) for c in calls)
    if len(responses) != len(calls) or sorted(str(r.get("name")) for r in responses) != names:
        raise BadRequest(
            f"Please ensure that the number of function response parts is equal to the number of "
            f"function call parts of the function call turn (contents[{i}]).",
            f"contents[{i}]",
        )
    ids = {c.get("id") for c in calls if c.get("id")}
    for r in responses:
        if ids and r.get("id") not in ids:
            raise BadRequest(
                f"contents[{i}]: functionResponse.id {r.get('id')!r} matches no functionCall id."
            )


def _user_turn(parts: list[JSON], conv: Conversation) -> None:
    responses = [p["functionResponse"] for p in parts if "functionResponse" in p]
    texts = [p["text"] for p in parts if isinstance(p.get("text"), str) and not p.get("thought")]
    if responses:
        last = responses[-1]
        conv.tool_result = (str(last.get("name")), orjson.dumps(last.get("response")).decode())
    if texts or not responses:
        conv.last_user_text, conv.last_text_block = "\n".join(texts), (texts[-1] if texts else "")
        conv.images_in_last_turn = sum(1 for p in parts if "inlineData" in p or "fileData" in p)
        conv.turns += 1
        if texts:
            conv.tool_result = None


def _read_contents(body: JSON, conv: Conversation) -> None:
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise BadRequest("* GenerateContentRequest.contents: contents is not specified", "contents")
    calls: list[JSON] = []
    for i, content in enumerate(contents):
        role = content.get("role", "user") if isinstance(content, dict) else None
        if role not in ("user", "model", "function"):
            raise BadRequest(f"Please use a valid role: user, model. (contents[{i}].role={role!r})")
        parts = _parts(content, f"contents[{i}]")
        check_signatures(parts, f"contents[{i}]")
        if role == "model":
            calls = [p["functionCall"] for p in parts if "functionCall" in p]
            conv.tool_result = None
            continue
        _check_responses(i, parts, calls)
        if any("functionResponse" in p for p in parts) and not calls:
            raise BadRequest(
                f"contents[{i}]: a functionResponse must follow a model turn with a functionCall."
            )
        calls = []
        _user_turn(parts, conv)


_SCHEMA_FIELDS = frozenset(
    [
        "type",
        "format",
        "title",
        "description",
        "nullable",
        "enum",
        "maxItems",
        "minItems",
        "properties",
        "required",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "example",
        "anyOf",
        "propertyOrdering",
        "default",
        "items",
        "minimum",
        "maximum",
    ]
)


def _check_schema(schema: Any, where: str) -> None:
    """``parameters`` must be a Gemini Schema (the proto parser's errors, as Gemini words them)."""
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if next(iter(camel_keys({key: None}))) not in _SCHEMA_FIELDS:
            raise BadRequest(
                f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}': Cannot find field."
            )
        if key == "type" and isinstance(value, list):
            raise BadRequest(
                f"Invalid JSON payload received. '{where}.type': Proto field is not repeating, cannot start list."
            )
    for name, sub in (schema.get("properties") or {}).items():
        _check_schema(sub, f"{where}.properties[{name}].value")
    _check_schema(schema.get("items"), f"{where}.items")
    for i, sub in enumerate(schema.get("anyOf") or schema.get("any_of") or []):
        _check_schema(sub, f"{where}.any_of[{i}]")


def _read_tools(body: JSON, conv: Conversation) -> None:
    for i, tool in enumerate(body.get("tools") or []):
        for j, decl in enumerate((tool or {}).get("functionDeclarations") or []):
            where = f"tools[{i}].function_declarations[{j}]"
            if not isinstance(decl, dict) or not decl.get("name"):
                raise BadRequest(f"* GenerateContentRequest.{where}.name: Name cannot be empty.", where)
            if "parameters" in decl and "parametersJsonSchema" in decl:
                raise BadRequest(
                    f"{where}: parameters and parametersJsonSchema are mutually exclusive.", where
                )
            _check_schema(decl.get("parameters"), f"{where}.parameters")
            conv.tools.append(
                (decl["name"], decl.get("parametersJsonSchema") or decl.get("parameters") or {})
            )
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    mode = str(config.get("mode", "AUTO")).upper()
    conv.tools_disabled = mode == "NONE"
    allowed = config.get("allowedFunctionNames") or []
    if mode == "ANY" and len(allowed) == 1:
        conv.forced_tool = allowed[0]


_USER_DATA = frozenset(
    {"args", "response", "parameters", "parametersJsonSchema", "responseSchema", "responseJsonSchema"}
)


def read_gemini(raw: JSON, model: str) -> Conversation:
    body: JSON = camel_keys(raw, _USER_DATA)
    conv = Conversation(model=model)
    _read_contents(body, conv)
    check_call_signatures(body["contents"], model)
    check_text_signatures(body["contents"], model)
    _read_tools(body, conv)
    gen = body.get("generationConfig") or {}
    thinking = gen.get("thinkingConfig") or {}
    conv.thinking = bool(thinking.get("includeThoughts"))
    limit = gen.get("maxOutputTokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise BadRequest("generationConfig.maxOutputTokens must be a positive integer.")
    conv.max_tokens = limit
    conv.stop = list(gen.get("stopSequences") or [])
    conv.output_schema = output_schema("gemini", body)
    conv.input_tokens = rough_tokens(raw)
    return conv


def _call_parts(plan: Plan, rid: str) -> list[JSON]:
    parts: list[JSON] = []
    for i, call in enumerate(plan.tool_calls):
        part: JSON = {
            "functionCall": {"id": f"fc_{rid}_{i}", "name": call.name, "args": orjson.loads(call.arguments)}
        }
        if i == 0:
            part["thoughtSignature"] = GEMINI_SIGNATURE
        parts.append(part)
    return parts


def _usage(plan: Plan) -> JSON:
    candidates = plan.output_tokens - plan.reasoning_tokens
    usage: JSON = {
        "promptTokenCount": plan.input_tokens,
        "candidatesTokenCount": candidates,
        "totalTokenCount": plan.input_tokens + plan.output_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": plan.input_tokens}],
    }
    if plan.reasoning_tokens:
        usage["thoughtsTokenCount"] = plan.reasoning_tokens
    return usage


def _chunk(
    parts: list[JSON], model: str, rid: str, finish: str | None = None, usage: JSON | None = None
) -> JSON:
    candidate: JSON = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish:
        candidate["finishReason"] = finish
    out: JSON = {"candidates": [candidate], "modelVersion": model, "responseId": rid}
    if usage:
        out["usageMetadata"] = usage
    return out


def gemini_json(plan: Plan, model: str, rid: str) -> JSON:
    parts: list[JSON] = []
    if plan.thinking:
        parts.append({"text": plan.thinking, "thought": True, "thoughtSignature": GEMINI_SIGNATURE})
    if plan.text or not plan.tool_calls:
        parts.append({"text": plan.text})
        if signs_text(model) and not plan.tool_calls:  # a step without a call: its text signed
            parts[-1]["thoughtSignature"] = TEXT_SIGNATURE
    parts += _call_parts(plan, rid)
    return _chunk(parts, model, rid, FINISH_REASONS[plan.stop], _usage(plan))


def gemini_chunks(plan: Plan, model: str, rid: str) -> list[JSON]:
    pieces: list[JSON] = [{"text": w, "thought": True} for w in split_words(plan.thinking)]
    if pieces:
        pieces[-1]["thoughtSignature"] = GEMINI_SIGNATURE
    pieces += [{"text": w} for w in split_words(plan.text)]
    pieces += _call_parts(plan, rid)
    if signs_text(model) and not plan.tool_calls:  # Gemini 3 streams it in a last empty text part
        pieces.append({"text": "", "thoughtSignature": TEXT_SIGNATURE})
    chunks = [_chunk([p], model, rid) for p in pieces]
    if not chunks:
        chunks = [_chunk([{"text": ""}], model, rid)]
    last = chunks[-1]
    last["candidates"][0]["finishReason"] = FINISH_REASONS[plan.stop]
    last["usageMetadata"] = _usage(plan)
    return chunks


def gemini_sse(plan: Plan, model: str, rid: str) -> list[bytes]:
    return [b"data: " + orjson.dumps(c) + b"\r\n\r\n" for c in gemini_chunks(plan, model, rid)]


def gemini_error(status: int, message: str) -> JSON:
    return {"error": {"code": status, "message": message, "status": _STATUS.get(status, "UNKNOWN")}}


def gemini_models() -> JSON:
    return {
        "models": [
            {
                "name": f"models/{m}",
                "version": "001",
                "displayName": f"{m} (demo)",
                "description": "Fake Gemini model of the Interlingua demo upstream.",
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "thinking": True,
            }
            for m in MODELS
        ]
    }


def gemini_answer(body: JSON, model: str, method: str, sse: bool, rid: str) -> Any:
    """``models/{model}:{method}``: JSON, SSE events, or (a stream without ``alt=sse``) a JSON array."""
    if method not in ("generateContent", "streamGenerateContent"):
        raise BadRequest(f"Method {method!r} not found for models/{model}.")
    plan = make_plan(read_gemini(body, model))
    if method == "generateContent":
        return gemini_json(plan, model, rid)
    return gemini_sse(plan, model, rid) if sse else tuple(gemini_chunks(plan, model, rid))
