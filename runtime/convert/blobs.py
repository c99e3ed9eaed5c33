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
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from interlingua.convert.base import JSONObject

__all__ = ["BLOB_KEYS", "carries_envelope", "open_part", "open_request", "seal", "seal_part", "seal_response", "unseal"]

_MAGIC = b"ilgsig"  # 6 bytes: every envelope starts with the same 8 base64 characters
_PREFIX = base64.b64encode(_MAGIC).decode()
_PREFIX_BYTES = _PREFIX.encode()
# IR part type -> the key holding its blob.
BLOB_KEYS = {"thinking": "signature", "redacted_thinking": "data"}


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


def seal_response(target: str, ir: JSONObject) -> None:
    """IR response (in place), toward a ``target`` client: other formats' blobs sealed."""
    content = ir.get("content")
    if type(content) is list:
        ir["content"] = [seal_part(target, p) if type(p) is dict else p for p in content]


def open_request(ir: JSONObject) -> None:
    """IR request (in place): every envelope a client sent back, opened."""
    for message in ir.get("messages") or ():
        content = message.get("content") if type(message) is dict else None
        if type(content) is list:
            message["content"] = [open_part(p) if type(p) is dict else p for p in content]
