"""Reading a client's generation request: the few checks needed to route it, per client format.

The passthrough path must not pay for schema validation, so only what routing and
relaying need is checked here: a JSON object, the model (in the body, or in the URL
for Gemini), the stream flag, and that the conversation field has the right JSON type
(``messages`` for OpenAI chat and Anthropic, ``contents`` for Gemini, ``input`` for
OpenAI Responses). Full validation runs on the translated path.

Also here, per client format, what only matters when translating
(:func:`translation_warnings`): OpenAI Responses clients are stateful by default,
and the gateway is stateless toward every other upstream format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from quart import request

from interlingua.errors import InvalidRequest
from interlingua.translate import Format

__all__ = ["ClientCall", "merge_warnings", "read_call", "translation_warnings"]

# Conversation field and the JSON types it may have, per client format.
_CONVERSATION: dict[Format, tuple[str, tuple[type, ...], str]] = {
    Format.OPENAI_CHAT: ("messages", (list,), "must be an array"),
    Format.ANTHROPIC_MESSAGES: ("messages", (list,), "must be an array"),
    Format.GEMINI: ("contents", (list,), "must be an array"),
    Format.OPENAI_RESPONSES: ("input", (str, list), "must be a string or an array"),
    Format.BEDROCK_CONVERSE: ("messages", (list,), "must be an array"),
}
# Formats whose clients name the model in the URL, not the body.
_MODEL_IN_URL = frozenset({Format.GEMINI, Format.BEDROCK_CONVERSE})


@dataclass(slots=True)
class ClientCall:
    """One client request: its bytes, parsed body, model and stream mode."""

    fmt: Format
    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    # Gemini streams without ?alt=sse are one JSON array rather than SSE.
    sse: bool = True

    @property
    def model_in_body(self) -> bool:
        return self.fmt not in _MODEL_IN_URL


async def read_call(
    fmt: Format,
    *,
    model: str | None = None,
    stream: bool | None = None,
    sse: bool = True,
    conversation: bool = True,
) -> ClientCall:
    """The request as a :class:`ClientCall` (400 naming the problem otherwise).

    ``model``/``stream``: given by the route when the format puts them in the URL.
    ``conversation``: whether the conversation field is required (count endpoints vary).
    """
    raw = await request.get_data(cache=False)
    assert isinstance(raw, bytes)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    if model is None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InvalidRequest("model: a non-empty string is required", param="model")
    if conversation:
        _check_conversation(fmt, body)
    if stream is None:
        flag = body.get("stream")
        if flag is not None and not isinstance(flag, bool):
            raise InvalidRequest("stream: must be a boolean", param="stream")
        stream = flag is True
    return ClientCall(fmt, raw, body, model, stream, sse)


def _check_conversation(fmt: Format, body: dict[str, Any]) -> None:
    key, types, expected = _CONVERSATION[fmt]
    value = body.get(key)
    if value is None and fmt is Format.OPENAI_RESPONSES and body.get("previous_response_id"):
        return  # a continuation may send no new input
    if not isinstance(value, types):
        what = "missing" if value is None else expected
        raise InvalidRequest(f"{key}: {what}", param=key)


def translation_warnings(call: ClientCall, upstream: Format) -> list[str]:
    """Checks and warnings that apply only when ``call`` is translated for ``upstream``."""
    if call.fmt is not Format.OPENAI_RESPONSES:
        return []
    body = call.body
    if body.get("previous_response_id") is not None:
        raise InvalidRequest(
            "previous_response_id is not supported: this model is served by a "
            f"{upstream.value} upstream and the gateway keeps no conversation state; "
            "send the whole conversation in input (with store: false)",
            param="previous_response_id",
            code="unsupported_parameter",
        )
    if body.get("store") is not False:
        return [f"store ignored: the gateway is stateless toward {upstream.value} upstreams"]
    return []


def merge_warnings(call: ClientCall, notes: list[str], converter: list[str]) -> list[str]:
    """The gateway's notes, then the converter's, minus the converter's generic note on
    ``store`` (the gateway's own says what happened, and ``store: false``, which Codex
    sends on every request, loses nothing and deserves no warning)."""
    if call.fmt is Format.OPENAI_RESPONSES:
        converter = [w for w in converter if not w.startswith("store dropped")]
    return [*notes, *converter]
