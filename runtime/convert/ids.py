"""Native ids: a client sees ids in its own provider's style; the upstream gets its own back.

An id an upstream issued (the response id, a tool call id) reaches a client of another
format wrapped in that format's style: the format's prefix, ``ilg_`` and the original id
verbatim (every provider's ids are made of ``[A-Za-z0-9_-]``), or ``ilb_`` and the
base64url of an id with other characters. Gemini's ``responseId`` has no prefix: it is
the base64url of the original id, like Google's own.

==================  =============  ================
client format       response id    tool call id
==================  =============  ================
anthropic_messages  ``msg_``       ``toolu_``
openai_chat         ``chatcmpl-``  ``call_``
openai_responses    ``resp_``      ``call_``
gemini              base64url      as issued
bedrock_converse    (none)         ``tooluse_``
==================  =============  ================

No state is kept: the client's id *is* the original, so when the client sends it back
(``tool_result.tool_use_id``, ``tool_call_id``, ``call_id``, ...) :func:`unwrap_request`
restores it and the upstream receives its own id. Native ids are base62 after their
prefix, so none has ``ilg_``/``ilb_`` right after it: an id a client made up, or one a
same-format upstream issued, is never mistaken for a wrapped one. An id that already
starts with the client's prefix (``toolu_bdrk_...`` from Claude on Bedrock to an
Anthropic client) is left as it is.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from interlingua.convert.base import JSONObject

__all__ = ["NATIVE_IDS", "IdStyle", "native_block", "native_response", "unwrap", "unwrap_request"]

_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_WRAPPED = re.compile(r"(?:toolu_|tooluse_|call_|chatcmpl-|msg_|resp_|fc_)(ilg|ilb)_(.+)", re.DOTALL)


class IdStyle:
    """The id prefixes of one client format (``None``: that kind of id is not restyled)."""

    __slots__ = ("message", "tool")

    def __init__(self, message: str | None, tool: str | None) -> None:
        self.message = message
        self.tool = tool

    def message_id(self, original: Any) -> Any:
        if type(original) is not str or not original:
            return original
        if self.message == "":  # Gemini: no prefix; the id is base64url like Google's own
            return _b64(unwrap(original))
        return _wrap(self.message, original)

    def tool_id(self, original: Any) -> Any:
        return _wrap(self.tool, original) if type(original) is str and original else original


NATIVE_IDS: dict[str, IdStyle] = {
    "anthropic_messages": IdStyle("msg_", "toolu_"),
    "openai_chat": IdStyle("chatcmpl-", "call_"),
    "openai_responses": IdStyle("resp_", "call_"),
    "gemini": IdStyle("", None),
    "bedrock_converse": IdStyle(None, "tooluse_"),
}


def _b64(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).rstrip(b"=").decode()


def _wrap(prefix: str | None, given: str) -> str:
    # A wrapped id (a response that went through another gateway hop, or a round trip
    # back to the first format) is restyled from its original, never wrapped twice.
    original: str = unwrap(given)
    if prefix is None or original.startswith(prefix):
        return original
    if _SAFE.fullmatch(original):
        return f"{prefix}ilg_{original}"
    return f"{prefix}ilb_{_b64(original)}"


def unwrap(value: Any) -> Any:
    """The id an upstream issued, from the id its client was given (anything else unchanged)."""
    if type(value) is not str or "_il" not in value:
        return value
    match = _WRAPPED.fullmatch(value)
    if match is None:
        return value
    if match[1] == "ilg":
        return match[2]
    try:
        return base64.b64decode(match[2] + "=" * (-len(match[2]) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return value


def unwrap_request(ir: JSONObject) -> None:
    """IR request (in place): tool call ids and the ids tool results answer, as their upstream issued them."""
    for message in ir.get("messages") or ():
        for part in message.get("content") or () if type(message) is dict else ():
            kind = part.get("type") if type(part) is dict else None
            if kind == "tool_call":
                part["id"] = unwrap(part.get("id"))
            elif kind == "tool_result":
                part["tool_call_id"] = unwrap(part.get("tool_call_id"))


def native_block(style: IdStyle, block: JSONObject) -> JSONObject:
    """An IR content part or stream block with its tool call id in the client's style."""
    if block.get("type") == "tool_call" and "id" in block:
        return {**block, "id": style.tool_id(block["id"])}
    return block


def native_response(target: str, ir: JSONObject) -> None:
    """IR response (in place): its id and tool call ids in ``target``'s style."""
    style = NATIVE_IDS.get(target)
    if style is None:
        return
    if "id" in ir:
        ir["id"] = style.message_id(ir["id"])
    content = ir.get("content")
    if type(content) is list:
        ir["content"] = [native_block(style, p) if type(p) is dict else p for p in content]
