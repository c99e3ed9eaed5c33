"""The documented normalisation under which a same-format round trip must be the identity.

``format -> IR -> same format`` must return the original body *up to* these
rules, and only these (each is a spelling the provider documents as
equivalent, so the upstream sees the same request):

1. **Absent == null.** A key whose value is ``null`` is dropped, at any depth
   (OpenAI responses spell absent fields as ``null``; the IR never invents nulls).
2. **String content == one text part.** OpenAI message ``content: "hi"`` equals
   ``[{"type": "text", "text": "hi"}]``; Anthropic message ``content`` and
   top-level ``system`` likewise equal a one-element list of ``text`` blocks.
3. **Tool-call arguments compare as JSON values**, not strings (OpenAI
   ``function.arguments`` whitespace and key order are not meaningful).
4. **OpenAI ``stop: "x"`` == ``stop: ["x"]``.**
5. **Empty ``content`` on an OpenAI assistant message that has ``tool_calls``
   (``""``, ``[]``) == absent.**
6. **Anthropic ``tool_result.content: "x"`` == ``[{"type": "text", "text": "x"}]``**
   (the same documented equivalence as rule 2, one level down).
7. **OpenAI responses: ``message.annotations: []`` and zero-valued counters in
   ``usage.prompt_tokens_details`` / ``usage.completion_tokens_details`` == absent.**
   OpenAI reports zeros for features a request did not use (audio, predicted
   outputs); the IR keeps the counters that mean something (cached, reasoning).
8. **OpenAI Responses: the request-echo fields at the value OpenAI answers to a
   request that did not set them == absent**, as is the reasoning object the gateway
   derives from reasoning items (``{effort: medium, summary: detailed}``), and ``completed_at`` is ignored
   (``runtime/convert/envelope.py``; a Response echoes its request, and the gateway
   fills in the defaults when the upstream did not).
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.translate import Format

__all__ = ["assert_same", "differences", "drop_nulls", "normalise"]

JSON = dict[str, Any]


def normalise(fmt: Format, body: JSON) -> JSON:
    """``body`` (a request or a response of ``fmt``) in canonical spelling; the input is not modified."""
    out: JSON = drop_nulls(orjson.loads(orjson.dumps(body)))
    if fmt is Format.OPENAI_RESPONSES:
        from conformance import judges_responses

        return judges_responses.normalise(out)
    if fmt is Format.GEMINI:
        from conformance import judges_gemini

        return judges_gemini.normalise(out)
    if fmt is Format.BEDROCK_CONVERSE:
        from conformance import judges_bedrock

        return judges_bedrock.normalise(out)
    if fmt is Format.OPENAI_CHAT:
        _openai(out)
        _openai_response(out)
    else:
        _anthropic(out)
    return out


def drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def _openai(body: JSON) -> None:
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    messages = list(body.get("messages", []))
    messages += [choice["message"] for choice in body.get("choices", []) if "message" in choice]
    for message in messages:
        if isinstance(message.get("content"), str):
            message["content"] = [{"type": "text", "text": message["content"]}]
        if message.get("tool_calls") and message.get("content") in ([], [{"type": "text", "text": ""}]):
            del message["content"]
        for call in message.get("tool_calls", []):
            function = call.get("function", {})
            if isinstance(function.get("arguments"), str) and function["arguments"].strip():
                function["arguments"] = orjson.loads(function["arguments"])


def _anthropic(body: JSON) -> None:
    if isinstance(body.get("system"), str):
        body["system"] = [{"type": "text", "text": body["system"]}]
    for message in body.get("messages", []):
        if isinstance(message.get("content"), str):
            message["content"] = [{"type": "text", "text": message["content"]}]
        for block in message.get("content", []):
            if block.get("type") == "tool_result" and isinstance(block.get("content"), str):
                block["content"] = [{"type": "text", "text": block["content"]}]


def _openai_response(body: JSON) -> None:
    for choice in body.get("choices", []):
        if choice.get("message", {}).get("annotations") == []:
            del choice["message"]["annotations"]
    usage = body.get("usage", {})
    for key in ("prompt_tokens_details", "completion_tokens_details"):
        if isinstance(usage.get(key), dict):
            usage[key] = {k: v for k, v in usage[key].items() if v != 0}
            if not usage[key]:
                del usage[key]


def differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Human-readable differences between two JSON values, one line per differing path."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(expected.keys() | actual.keys()):
            where = f"{path}.{key}"
            if key not in actual:
                out.append(f"{where}: missing (was {expected[key]!r:.120})")
            elif key not in expected:
                out.append(f"{where}: added {actual[key]!r:.120}")
            else:
                out += differences(expected[key], actual[key], where)
        return out
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        return [
            d
            for n, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{n}]")
        ]
    return [] if expected == actual else [f"{path}: {expected!r:.120} -> {actual!r:.120}"]


def assert_same(fmt: Format, original: JSON, round_tripped: JSON) -> None:
    """``round_tripped`` equals ``original`` under :func:`normalise`; the message lists each differing path."""
    diffs = differences(normalise(fmt, original), normalise(fmt, round_tripped))
    assert not diffs, "round trip changed the body:\n" + "\n".join(diffs)
