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
"""

from __future__ import annotations

from typing import Any

import orjson
from interlingua.translate import Format

__all__ = ["normalise"]

JSON = dict[str, Any]


def normalise(fmt: Format, body: JSON) -> JSON:
    """``body`` (a request or a response of ``fmt``) in canonical spelling; the input is not modified."""
    out: JSON = _drop_nulls(orjson.loads(orjson.dumps(body)))
    if fmt is Format.OPENAI_CHAT:
        _openai(out)
    else:
        _anthropic(out)
    return out


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
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
