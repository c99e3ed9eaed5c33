"""Opaque blobs go back to their issuer, even through a client of another format.

Thinking signatures (Anthropic, Bedrock), encrypted reasoning (OpenAI Responses
``encrypted_content``), Gemini thought signatures and redacted thinking are valid only
at the kind of upstream that issued them. A client of another format has a field of its
own for such a blob, which it sends back unchanged on the next turn (an Anthropic
client's ``signature`` and ``redacted_thinking.data``, a Responses client's
``encrypted_content`` when it asked for ``include: ["reasoning.encrypted_content"]``, a
Gemini client's ``thoughtSignature``, a Bedrock client's ``reasoningContent.signature``).

So the gateway keeps no state: toward a client of another format the blob is *sealed*,
wrapped with its issuer in an envelope written in that client's field; when the client
sends the envelope back it is *opened*, and the IR part is again the issuer's own (its
``signature_format`` names the issuer), so each format's converters send it only to an
upstream of that format and drop it, with their documented warning, toward any other
(which would reject a blob it did not issue).

The envelope is standard base64 (padded) of ``ilgsig`` + JSON ``{"f": issuer, "b": blob,
"x": the issuer's extras of the part}``: clients that hold these fields as bytes (the
google-genai SDK's ``thought_signature``, boto3's ``redactedContent``) decode and re-encode
it to the same text, and every envelope starts with ``aWxnc2ln``, which no provider's blob
does. The extras carry what the issuer checks next to the blob (a Responses reasoning
item's ``id``). Opening accepts the URL-safe alphabet and missing padding as well.

A Gemini *function call* carries a signature of its own (Gemini 3 puts it on the first
``functionCall`` of each step, often with no thought text at all), which Gemini checks
on that very part on the next turn. Toward a client of another format it travels as an
extra thinking part with empty text right before the tool call, whose envelope's extras
name the call (``{"call": id}``): an Anthropic client gets an empty ``thinking`` block with
the sealed ``signature`` before its ``tool_use``, a Bedrock client a ``reasoningContent``
with an empty ``reasoningText`` and the sealed signature, a Responses client a
``reasoning`` item with the sealed ``encrypted_content`` and no summary before the
``function_call``, but only when it asked for ``include: ["reasoning.encrypted_content"]``
(without it the item would carry nothing). An OpenAI Chat client has no field for a blob:
its calls go back to Gemini with Google's documented dummy signature
(``gemini_contents_finish``). On the way back :func:`take_call_signatures` puts the blob
on the call of that id, in the issuer's extras; the thinking part is gone, so nothing of
it reaches Gemini as a thought, and toward any other upstream it is dropped as every blob
of another issuer is.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from interlingua.convert.base import JSONObject
from interlingua.convert.ids import unwrap

__all__ = [
    "BLOB_KEYS",
    "CALL_SIGNATURES",
    "carries_call_signatures",
    "carries_envelope",
    "carry_call_signature",
    "open_part",
    "open_request",
    "seal",
    "seal_part",
    "seal_response",
    "take_call_signatures",
    "unseal",
]

_MAGIC = b"ilgsig"  # 6 bytes: every envelope starts with the same 8 base64 characters
_PREFIX = base64.b64encode(_MAGIC).decode()
_PREFIX_BYTES = _PREFIX.encode()
# IR part type -> the key holding its blob.
BLOB_KEYS = {"thinking": "signature", "redacted_thinking": "data"}
# Issuer -> the key of its extras on a tool call holding the call's own signature.
CALL_SIGNATURES = {"gemini": "thoughtSignature"}
_CALL = "call"  # in the envelope's extras: the id of the tool call the blob belongs to
# Client formats with no field for a blob next to a tool call (OpenAI Chat), or whose own
# issuer it is (Gemini: the signature stays on its functionCall part).
_NO_CARRIER = frozenset({"openai_chat", "gemini"})


def carries_envelope(raw: bytes) -> bool:
    """Whether a client's body may hold an envelope: then it is translated even toward an
    upstream of its own format, so the envelope is opened and a blob another format issued
    is dropped rather than sent to an upstream that would reject it. (Text that merely
    contains the prefix costs a same-format round trip, nothing more.)"""
    return _PREFIX_BYTES in raw


def seal(issuer: str, blob: str, extras: Any = None) -> str:
    """The envelope of ``blob`` issued by an upstream of format ``issuer``."""
    payload: JSONObject = {"f": issuer, "b": blob}
    if extras:
        payload["x"] = extras
    return base64.b64encode(_MAGIC + orjson.dumps(payload)).decode()


def unseal(value: Any) -> tuple[str, str, Any] | None:
    """(issuer, blob, issuer's extras) from an envelope; ``None`` for anything else."""
    if type(value) is not str or not value.startswith(_PREFIX):
        return None
    text = value.replace("-", "+").replace("_", "/")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        payload = orjson.loads(raw[len(_MAGIC):])
    except (binascii.Error, ValueError):
        return None
    if type(payload) is not dict or type(payload.get("f")) is not str or type(payload.get("b")) is not str:
        return None
    return payload["f"], payload["b"], payload.get("x")


def seal_part(target: str, part: JSONObject) -> JSONObject:
    """An IR part as a ``target`` client receives it: a blob another format issued, sealed,
    and the part marked as ``target``'s own (so ``target``'s converters write the field)."""
    key = BLOB_KEYS.get(str(part.get("type")))
    issuer = part.get("signature_format")
    if key is None or issuer in (None, target) or type(part.get(key)) is not str or not part[key]:
        return part
    extras = part.get("extras") or {}
    return {**part, key: seal(str(issuer), part[key], extras.get(issuer)), "signature_format": target}


def open_part(part: JSONObject) -> JSONObject:
    """An IR part from a client's request with its envelope opened: the issuer's blob, the
    issuer as ``signature_format``, and the issuer's extras in place of the client's."""
    key = BLOB_KEYS.get(str(part.get("type")))
    opened = unseal(part.get(key)) if key is not None else None
    if opened is None:
        return part
    issuer, blob, extras = opened
    out = {k: v for k, v in part.items() if k != "extras"}
    out[str(key)] = blob
    out["signature_format"] = issuer
    if type(extras) is dict and extras:
        out["extras"] = {issuer: extras}
    return out


def carries_call_signatures(target: str, request: JSONObject | None) -> bool:
    """Whether a ``target`` client gets function calls' signatures (see the module doc): not
    a Chat client (no field), and a Responses client only if it asked for encrypted reasoning."""
    if target in _NO_CARRIER:
        return False
    if target == "openai_responses":
        include = (request or {}).get("include")
        return type(include) is list and "reasoning.encrypted_content" in include
    return True


def _call_signature_part(target: str, issuer: str, call_id: Any, blob: str) -> JSONObject:
    """The thinking part carrying a tool call's own signature to a ``target`` client. The id
    sealed is the issuer's (an id already restyled for the client is unwrapped: convert/ids.py),
    as the call's id is again when the client sends it back."""
    return {"type": "thinking", "text": "", "signature": seal(issuer, blob, {_CALL: unwrap(call_id)}),
            "signature_format": target}


def carry_call_signature(target: str, part: JSONObject) -> tuple[JSONObject, JSONObject] | None:
    """For a tool call (a response's part, or a stream's block) holding its own signature in
    its issuer's extras: (the carrier part, the call without the blob: carried, not dropped)."""
    extras = part.get("extras")
    if type(extras) is not dict:
        return None
    for issuer, key in CALL_SIGNATURES.items():
        mine = extras.get(issuer)
        if issuer == target or type(mine) is not dict or type(mine.get(key)) is not str or not mine[key]:
            continue
        rest = {k: v for k, v in mine.items() if k != key}
        others = {k: v for k, v in extras.items() if k != issuer}
        call = {**part, "extras": {**others, issuer: rest} if rest else others}
        return _call_signature_part(target, issuer, part.get("id"), mine[key]), call
    return None


def seal_response(target: str, ir: JSONObject, calls: bool = False) -> None:
    """IR response (in place), toward a ``target`` client: other formats' blobs sealed; with
    ``calls`` (:func:`carries_call_signatures`), tool calls' own signatures carried too."""
    content = ir.get("content")
    if type(content) is not list:
        return
    out: list[Any] = []
    for part in content:
        if type(part) is dict:
            carried = carry_call_signature(target, part) if calls and part.get("type") == "tool_call" else None
            if carried is not None:
                out.append(carried[0])
                part = carried[1]
            part = seal_part(target, part)
        out.append(part)
    ir["content"] = out


def open_request(ir: JSONObject) -> None:
    """IR request (in place): every envelope a client sent back, opened."""
    for message in ir.get("messages") or ():
        content = message.get("content") if type(message) is dict else None
        if type(content) is list:
            message["content"] = [open_part(p) if type(p) is dict else p for p in content]


def _call_blob(part: Any, issuer: str) -> tuple[Any, str] | None:
    """(call id, blob) of a thinking part carrying a tool call's signature ``issuer`` issued.
    (A client that took the empty thinking block for redacted thinking sends it back as one.)"""
    key = BLOB_KEYS.get(str(part.get("type"))) if type(part) is dict else None
    if key is None or part.get("signature_format") != issuer:
        return None
    mine = (part.get("extras") or {}).get(issuer)
    if type(mine) is not dict or _CALL not in mine or type(part.get(key)) is not str:
        return None
    return mine[_CALL], part[key]


def take_call_signatures(ir: JSONObject, issuer: str) -> JSONObject:
    """IR request toward an ``issuer`` upstream: the thinking parts that carried tool calls'
    signatures are removed and each blob is put on the call of its id (in the issuer's
    extras, unless the call holds one already). The IR is copied where it changes."""
    key = CALL_SIGNATURES[issuer]
    blobs: dict[Any, str] = {}
    for message in ir.get("messages") or ():
        for part in (message.get("content") if type(message) is dict else None) or ():
            found = _call_blob(part, issuer)
            if found is not None:
                blobs.setdefault(found[0], found[1])
    if not blobs:
        return ir
    messages = []
    for message in ir["messages"]:
        content = message.get("content") if type(message) is dict else None
        if type(content) is list:
            message = {**message, "content": [_signed(p, blobs, issuer, key) for p in content
                                              if _call_blob(p, issuer) is None]}
        messages.append(message)
    return {**ir, "messages": messages}


def _signed(part: Any, blobs: dict[Any, str], issuer: str, key: str) -> Any:
    if type(part) is not dict or part.get("type") != "tool_call" or part.get("id") not in blobs:
        return part
    extras = dict(part.get("extras") or {})
    mine = dict(extras.get(issuer) or {})
    mine.setdefault(key, blobs[part["id"]])
    extras[issuer] = mine
    return {**part, "extras": extras}
