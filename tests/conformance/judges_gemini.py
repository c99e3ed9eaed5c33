"""google-genai as judge of Gemini output, and the Gemini side of digests/normalisation.

A response must validate as ``google.genai.types.GenerateContentResponse``; a
stream is read the way google-genai's ``generate_content_stream`` reads
``alt=sse``: every ``data:`` line one ``GenerateContentResponse`` (validated
chunk by chunk), accumulated here as clients do it (text pieces of the same kind
joined into one part, each ``functionCall`` part whole). On top: no ``event:``
lines, every chunk carries ``responseId``/``modelVersion``, a function call's
``args`` is an object, ``finishReason`` comes once and only the last chunks
may follow it (usage), an error chunk ends the stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from google.genai import types as gt

from conformance.sse import parse_sse
from interlingua.convert.gemini import DUMMY_SIGNATURE, camel_keys, gemini_request_in
from interlingua.convert.gemini_parts import gemini_response_in
from interlingua.convert.policy import DEFAULT_POLICY

if TYPE_CHECKING:
    from conformance.digest import Digest
    from conformance.judges import StreamVerdict

__all__ = [
    "judge_error",
    "judge_request",
    "judge_response",
    "judge_stream",
    "normalise",
    "request_digest",
    "response_digest",
]

JSON = dict[str, Any]
_STATUSES = frozenset(
    {"INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "UNAUTHENTICATED", "PERMISSION_DENIED", "NOT_FOUND",
     "ABORTED", "ALREADY_EXISTS", "RESOURCE_EXHAUSTED", "CANCELLED", "DATA_LOSS", "UNKNOWN", "INTERNAL",
     "UNAVAILABLE", "DEADLINE_EXCEEDED", "UNIMPLEMENTED"}
)


def judge_response(body: JSON) -> JSON:
    # The SDK's own wire parser (it keeps up with fields newer than its types, e.g. serviceTier).
    response = gt.GenerateContentResponse._from_response(response=body, kwargs={})
    assert response.candidates is not None or response.prompt_feedback is not None or "responseId" in body, body
    for part in _parts(body):
        call = part.get("functionCall")
        if call is not None:
            assert isinstance(call.get("name"), str), part
            assert call["name"], part
            assert isinstance(call.get("args", {}), dict), "functionCall.args is an object"
    return body


def judge_error(body: JSON) -> None:
    error = body["error"]
    assert isinstance(error, dict), body
    assert isinstance(error.get("code"), int), body
    assert isinstance(error.get("message"), str), body
    assert error.get("status") in _STATUSES, body


def _parts(body: JSON) -> list[JSON]:
    candidates = body.get("candidates") or [{}]
    return list(((candidates[0].get("content") or {}).get("parts")) or [])


def _merge(parts: list[JSON], part: JSON) -> None:
    """Client-side accumulation: text pieces of the same kind join; other parts append."""
    last = parts[-1] if parts else None
    is_text = "text" in part and not (part.keys() - {"text", "thought", "thoughtSignature"})
    if is_text and last is not None and "text" in last and bool(last.get("thought")) == bool(part.get("thought")):
        last["text"] += part["text"]
        if "thoughtSignature" in part:
            last["thoughtSignature"] = part["thoughtSignature"]
    elif is_text and not part["text"] and "thoughtSignature" not in part:
        return
    else:
        parts.append(dict(part))


def _partial_call(parts: list[JSON], call: JSON) -> bool:
    """Vertex's streamed function call arguments (``partialArgs``/``willContinue``), as
    clients assemble them; True when ``call`` was such a piece."""
    last = parts[-1].get("functionCall") if parts else None
    if "partialArgs" not in call and call:
        if call.get("willContinue"):
            parts.append({"functionCall": {"name": call["name"], "args": {}, "_open": True}})
            return True
        return False
    if not isinstance(last, dict) or not last.get("_open"):
        return not call
    for piece in call.get("partialArgs") or []:
        key = piece["jsonPath"].removeprefix("$.")
        if "stringValue" in piece:
            last["args"][key] = last["args"].get(key, "") + piece["stringValue"]
        else:
            last["args"][key] = next(v for k, v in piece.items() if k.endswith("Value"))
    if not call:
        del last["_open"]
    return True


def judge_stream(raw: bytes, strict: bool) -> StreamVerdict:
    from conformance.judges import StreamVerdict

    events = parse_sse(raw)
    verdict = StreamVerdict(message=None, events=len(events))
    parts: list[JSON] = []
    final: JSON = {}
    finish: JSON = {}
    for n, ev in enumerate(events):
        assert ev.event is None, f"Gemini chunks are unnamed, got event: {ev.event}"
        payload = ev.json()
        if "error" in payload:
            judge_error(payload)
            verdict.error = payload["error"]
            assert n == len(events) - 1, "nothing may follow a stream error"
            break
        if strict:  # converter output: every key must be one google-genai knows
            gt.GenerateContentResponse.model_validate(payload)
        else:
            gt.GenerateContentResponse._from_response(response=payload, kwargs={})
        assert not finish or not _parts(payload), "content after finishReason"
        for key in ("responseId", "modelVersion"):
            assert isinstance(payload.get(key), str), f"chunk {n} lacks {key}"
            final[key] = payload[key]
        for part in _parts(payload):
            if "functionCall" in part:
                assert isinstance(part["functionCall"].get("args", {}), dict), "functionCall.args is an object"
                if not strict and _partial_call(parts, part["functionCall"]):
                    continue
            _merge(parts, part)
        candidate = (payload.get("candidates") or [{}])[0]
        if candidate.get("finishReason"):
            assert not finish, "finishReason twice"
            finish = {k: v for k, v in candidate.items() if k not in ("content",)}
        if payload.get("usageMetadata"):
            final["usageMetadata"] = payload["usageMetadata"]
        if payload.get("promptFeedback"):
            final["promptFeedback"] = payload["promptFeedback"]
    else:
        assert not strict or finish or final.get("promptFeedback"), "a Gemini stream ends with a finishReason"
    if parts or finish or final:  # what the client holds, also when an error cut the stream
        candidate = {**finish, "content": {"parts": parts, "role": "model"}} if parts else dict(finish)
        message = {"candidates": [candidate] if candidate else [], **final}
        judge_response(message)
        verdict.message = message
    return verdict


def judge_request(body: JSON) -> None:
    """What generateContent requires of contents: roles user/model, parts present,
    function responses after the calls they answer, names on both."""
    gt.GenerateContentConfig  # noqa: B018 - the SDK module is importable (types used below)
    contents = body.get("contents")
    assert contents, "contents must be non-empty"
    calls: list[str] = []
    for n, content in enumerate(contents):
        assert content.get("role", "user") in ("user", "model"), f"contents[{n}].role"
        assert content.get("parts"), f"contents[{n}] has no parts"
        gt.Content.model_validate(content)
        for part in content["parts"]:
            if "functionCall" in part:
                calls.append(part["functionCall"]["name"])
            if "functionResponse" in part:
                assert part["functionResponse"]["name"] in calls, f"contents[{n}]: functionResponse without its call"
                assert isinstance(part["functionResponse"].get("response"), dict), part
    for group in body.get("tools") or []:
        gt.Tool.model_validate(group)
        for decl in group.get("functionDeclarations") or []:
            schema = decl.get("parametersJsonSchema") or {}
            text = orjson.dumps(schema).decode()
            for bad in ("$ref", "oneOf", "propertyNames", "$comment", "$schema"):
                assert f'"{bad}"' not in text, f"{decl['name']}: Gemini rejects {bad}"
    if body.get("generationConfig"):
        gt.GenerationConfig.model_validate(body["generationConfig"])
    if body.get("systemInstruction"):
        gt.Content.model_validate(body["systemInstruction"])


# -- digests and normalisation (the Gemini side of conformance.digest / normalise) --------


def _content(digest: Digest, role: str, parts: list[JSON]) -> None:
    """Call ids as the converter assigns them when Gemini sent none (documented, stable)."""
    from conformance.digest import parse_arguments

    for part in parts:
        if part.get("thought"):
            digest.thinking.append(part.get("text", ""))
        elif "text" in part:
            digest.add_text(role, part["text"])
        elif "inlineData" in part or "fileData" in part:
            digest.images += 1 if (part.get("inlineData") or part.get("fileData") or {}).get("mimeType", "").startswith("image/") else 0
        elif "functionCall" in part:
            call = part["functionCall"]
            digest.tool_calls.append((call["id"], call["name"], parse_arguments(call.get("args", {}))))
        elif "functionResponse" in part:
            result = part["functionResponse"]
            call_id = result["id"]
            response = result.get("response") or {}
            if list(response) in (["output"], ["error"]) and isinstance(next(iter(response.values())), str):
                text = next(iter(response.values()))
            else:
                text = orjson.dumps(response).decode()
            digest.tool_results.setdefault(call_id, []).append(text)


def request_digest(body: JSON) -> Digest:
    from conformance.digest import Digest

    digest = Digest()
    for part in (body.get("systemInstruction") or {}).get("parts") or []:
        if "text" in part:
            digest.add_text("system", part["text"])
    body = gemini_request_in(body, "", DEFAULT_POLICY, [])
    for content in body.get("contents") or []:
        role = "assistant" if content.get("role") == "model" else "user"
        _content(digest, role, content.get("parts") or [])
    return digest


_STOPS = {"STOP": "end_turn", "MAX_TOKENS": "max_tokens", "SAFETY": "content_filter", "RECITATION": "content_filter",
          "BLOCKLIST": "content_filter", "PROHIBITED_CONTENT": "content_filter", "SPII": "content_filter"}


def response_digest(body: JSON) -> Digest:
    from conformance.digest import Digest, stop_category

    digest = Digest()
    parts = _parts(gemini_response_in(body, "", DEFAULT_POLICY, []))
    _content(digest, "assistant", parts)
    candidate = (body.get("candidates") or [{}])[0]
    reason = _STOPS.get(candidate.get("finishReason") or "", "end_turn")
    if reason == "end_turn" and any("functionCall" in p for p in parts):
        reason = "tool_use"
    if not body.get("candidates") and (body.get("promptFeedback") or {}).get("blockReason"):
        reason = "refusal"
    digest.stop = stop_category(reason)
    usage = body.get("usageMetadata")
    if usage:
        output = usage.get("candidatesTokenCount", 0) + usage.get("thoughtsTokenCount", 0)
        digest.usage = {"input": usage.get("promptTokenCount", 0), "output": output}
        if usage.get("cachedContentTokenCount"):
            digest.usage["cache_read"] = usage["cachedContentTokenCount"]
    return digest


def normalise(body: JSON) -> JSON:
    """Same-format round trips: snake_case keys are read as camelCase (the API takes both),
    an empty ``generationConfig`` is absent, a response's ``totalTokenCount`` is recomputed,
    ``systemInstruction.role`` is dropped (Gemini ignores it), and function
    calls Gemini sent without an id come back with the id the gateway gave them
    (``gcall-...``, so the client's functionResponse can name the call); Google's documented
    dummy ``thoughtSignature`` on an unsigned function call equals no signature."""
    out: JSON = camel_keys(orjson.loads(orjson.dumps(body)))
    if out.get("generationConfig") == {}:
        del out["generationConfig"]
    if isinstance(out.get("tools"), dict):  # a single Tool object is a one-group list
        out["tools"] = [out["tools"]]
    usage = out.get("usageMetadata")
    if isinstance(usage, dict):
        usage.pop("totalTokenCount", None)
    if isinstance(out.get("systemInstruction"), dict):
        out["systemInstruction"].pop("role", None)  # Gemini ignores it
    for part in _parts(out):
        call = part.get("functionCall")
        if isinstance(call, dict) and str(call.get("id", "")).startswith("gcall-"):
            del call["id"]
    for content in out.get("contents") or ():  # a request's history
        for part in content.get("parts") or ():
            if part.get("thoughtSignature") == DUMMY_SIGNATURE:
                del part["thoughtSignature"]
    return out
