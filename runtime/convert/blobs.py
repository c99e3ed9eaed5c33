"""Opaque blobs go back to their issuer, even through a client of another format.

Thinking signatures (Anthropic, Bedrock), encrypted reasoning (OpenAI Responses
``encrypted_content``), Gemini thought signatures and redacted thinking are valid only
at the kind of upstream that issued them. A client of another format has a field of its
own for such a blob, which it sends back unchanged on the next turn (an Anthropic
client's ``signature`` and ``redacted_thinking.data``, a Responses client's
``encrypted_content`` (written whether or not it asked for ``include``, as OpenAI does), a
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
``function_call`` (whether or not it asked for ``include: ["reasoning.encrypted_content"]``:
OpenAI populates ``encrypted_content`` by default). On the way back :func:`take_call_signatures`
puts the blob on the call of that id, in the issuer's extras; the thinking part is gone,
so nothing of it reaches Gemini as a thought, and toward any other upstream it is dropped
as every blob of another issuer is.

A Gemini *text* part may hold a signature of its own too (Gemini 3 signs a step that calls
no function; Google advises sending it back, and does not check it): it travels in the same
carrier, right before the text in a response (extras ``{"text": "next"}``) or right after it
in a stream (``{"text": "prev"}``: the signature may come with the last piece), and goes back
onto the text part beside the carrier (:func:`carry_text_signature`). A Chat client has no
field for it: dropped, as Gemini loses nothing it checks.

An OpenAI Chat client has no field for a blob; the one thing it always sends back next to
a tool call is the call's id, in the call and in the tool message answering it. So its
call's id is ``call_`` and the envelope (URL-safe alphabet, no padding; its extras name
the original id), as LiteLLM does for the same reason: :func:`open_call_ids` restores
the id in both places and puts the blob on the call, in the issuer's extras. Such an id
is long (a signature is a few hundred bytes to a few kilobytes), which Chat clients take;
since it holds an envelope, the request is translated (:func:`carries_envelope`) and
an OpenAI upstream, which limits ids to 40 characters, gets the original id.
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
    "carries_text_signatures",
    "carry_call_signature",
    "carry_text_signature",
    "open_call_ids",
    "open_part",
    "open_request",
    "original_call_id",
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
_TEXT = "text"  # in the envelope's extras: the blob is the text part's right after ("next") or before ("prev")
# The client format that is its own issuer (the signature stays on its functionCall part).
_NO_CARRIER = frozenset({"gemini"})
# Client formats whose only field for the blob is the tool call's id: its prefix.
_IN_ID = {"openai_chat": "call_"}


def carries_envelope(raw: bytes) -> bool:
    """Whether a client's body may hold an envelope: then it is translated even toward an
    upstream of its own format, so the envelope is opened and a blob another format issued
    is dropped rather than sent to an upstream that would reject it. (Text that merely
    contains the prefix costs a same-format round trip, nothing more.)"""
    return _PREFIX_BYTES in raw


def seal(issuer: str, blob: str, extras: Any = None, *, urlsafe: bool = False) -> str:
    """The envelope of ``blob`` issued by an upstream of format ``issuer`` (``urlsafe``: in
    the URL-safe alphabet without padding, for a field that is an id)."""
    payload: JSONObject = {"f": issuer, "b": blob}
    if extras:
        payload["x"] = extras
    raw = _MAGIC + orjson.dumps(payload)
    if urlsafe:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return base64.b64encode(raw).decode()


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


def carries_call_signatures(target: str) -> bool:
    """Whether a ``target`` client gets parts' own signatures (see the module doc): every
    client but a Gemini one (its own). A Responses client gets them whether or not it asked
    for ``include: ["reasoning.encrypted_content"]``, as OpenAI populates ``encrypted_content``
    by default (its published ReasoningItem schema)."""
    return target not in _NO_CARRIER


def carries_text_signatures(target: str) -> bool:
    """Whether a ``target`` client gets text parts' own signatures (:func:`carry_text_signature`)."""
    return target not in _NO_CARRIER and target not in _IN_ID


def _carrier(target: str, issuer: str, blob: str, where: JSONObject) -> JSONObject:
    """The thinking part carrying a part's own signature to a ``target`` client; ``where``
    (sealed with it) names the part it goes back onto."""
    return {"type": "thinking", "text": "", "signature": seal(issuer, blob, where), "signature_format": target}


def _own_signature(target: str, part: JSONObject) -> tuple[str, str, JSONObject] | None:
    """(issuer, blob, the part without the blob: carried, not dropped) for a part holding its
    own signature in its issuer's extras (``CALL_SIGNATURES``), toward a client of another format."""
    extras = part.get("extras")
    if type(extras) is not dict:
        return None
    for issuer, key in CALL_SIGNATURES.items():
        mine = extras.get(issuer)
        if issuer == target or type(mine) is not dict or type(mine.get(key)) is not str or not mine[key]:
            continue
        rest = {k: v for k, v in mine.items() if k != key}
        others = {k: v for k, v in extras.items() if k != issuer}
        return issuer, mine[key], {**part, "extras": {**others, issuer: rest} if rest else others}
    return None


def carry_call_signature(target: str, part: JSONObject) -> tuple[JSONObject | None, JSONObject] | None:
    """For a tool call (a response's part, or a stream's block) holding its own signature in
    its issuer's extras: (the carrier part, the call without the blob: carried, not dropped).
    A Chat client gets no carrier part: the call's id is the carrier. The id sealed is the
    issuer's (an id already restyled for the client is unwrapped: convert/ids.py), as the
    call's id is again when the client sends it back."""
    own = _own_signature(target, part)
    if own is None:
        return None
    issuer, blob, call = own
    where = {_CALL: unwrap(part.get("id"))}
    prefix = _IN_ID.get(target)
    if prefix is not None:
        call["id"] = prefix + seal(issuer, blob, where, urlsafe=True)
        return None, call
    return _carrier(target, issuer, blob, where), call


def carry_text_signature(target: str, part: JSONObject, side: str) -> tuple[JSONObject, JSONObject] | None:
    """For a text part holding its own signature (Gemini 3 signs a step's text when it calls
    no function): (the carrier part, the text without the blob). The carrier goes right
    before the text (``side`` "next": a response's part) or right after it ("prev": a
    stream, where the signature may come with the last piece). A Chat client has no field
    for it (its text is not sent back with an id): None, and the blob is dropped with the
    converters' warning, which costs nothing at Gemini (it checks only calls' signatures)."""
    own = _own_signature(target, part) if carries_text_signatures(target) else None
    if own is None:
        return None
    issuer, blob, text = own
    return _carrier(target, issuer, blob, {_TEXT: side}), text


def seal_response(target: str, ir: JSONObject, calls: bool = False) -> None:
    """IR response (in place), toward a ``target`` client: other formats' blobs sealed; with
    ``calls`` (:func:`carries_call_signatures`), tool calls' own signatures carried too."""
    content = ir.get("content")
    if type(content) is not list:
        return
    out: list[Any] = []
    for part in content:
        if type(part) is dict:
            kind = part.get("type")
            carried: tuple[JSONObject | None, JSONObject] | None = None
            if calls and kind == "tool_call":
                carried = carry_call_signature(target, part)
            elif calls and kind == "text":
                carried = carry_text_signature(target, part, "next")
            if carried is not None:
                if carried[0] is not None:
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
            message["content"] = [open_call_ids(open_part(p)) if type(p) is dict else p for p in content]


def _call_id_envelope(value: Any) -> tuple[str, str, Any] | None:
    """(issuer, blob, original id) of a tool call id that carries its call's signature."""
    if type(value) is not str:
        return None
    for prefix in _IN_ID.values():
        if value.startswith(prefix):
            opened = unseal(value[len(prefix):])
            # Only a whole envelope names an id: one a client made up without it stays as sent.
            original = opened[2].get(_CALL) if opened is not None and type(opened[2]) is dict else None
            if opened is not None and opened[0] in CALL_SIGNATURES and type(original) is str and original:
                return opened[0], opened[1], original
    return None


def original_call_id(value: Any) -> Any:
    """The issuer's id of a tool call id that carries its call's signature (a Chat client's);
    anything else unchanged."""
    opened = _call_id_envelope(value)
    return value if opened is None else opened[2]


def open_call_ids(part: JSONObject) -> JSONObject:
    """A tool call or tool result whose id carries a signature (a Chat client's, see the
    module doc): the original id; the call gets the blob in its issuer's extras."""
    kind = part.get("type")
    field = "id" if kind == "tool_call" else "tool_call_id" if kind == "tool_result" else None
    opened = _call_id_envelope(part.get(field)) if field is not None else None
    if opened is None:
        return part
    issuer, blob, original = opened
    out = {**part, str(field): original}
    if kind == "tool_call":
        extras = dict(part.get("extras") or {})
        extras[issuer] = {**(extras.get(issuer) or {}), CALL_SIGNATURES[issuer]: blob}
        out["extras"] = extras
    return out


def _carried(part: Any, issuer: str) -> tuple[str, Any, str] | None:
    """(``call`` or ``text``, the call's id or the text's side, blob) of a thinking part
    carrying a part's own signature ``issuer`` issued. (A client that took the empty
    thinking block for redacted thinking sends it back as one.)"""
    key = BLOB_KEYS.get(str(part.get("type"))) if type(part) is dict else None
    if key is None or part.get("signature_format") != issuer or type(part.get(key)) is not str:
        return None
    mine = (part.get("extras") or {}).get(issuer)
    if type(mine) is not dict:
        return None
    if _CALL in mine:
        return _CALL, mine[_CALL], part[key]
    if mine.get(_TEXT) in ("next", "prev"):
        return _TEXT, mine[_TEXT], part[key]
    return None


def take_call_signatures(ir: JSONObject, issuer: str) -> JSONObject:
    """IR request toward an ``issuer`` upstream: the thinking parts that carried parts' own
    signatures are removed and each blob is put on its part, in the issuer's extras (unless
    the part holds one already): a call's on the call of its id, a text's on the text part
    right after or before the carrier (in the conversation's order: a Responses client's
    reasoning and message items are turns of their own). The IR is copied where it changes."""
    key = CALL_SIGNATURES[issuer]
    messages = ir.get("messages")
    if type(messages) is not list:
        return ir
    flat = [(m, n, p) for m, message in enumerate(messages) for n, p in enumerate(_content(message))]
    calls: dict[Any, str] = {}
    texts: dict[tuple[int, int], str] = {}
    carriers: set[tuple[int, int]] = set()
    for i, (m, n, part) in enumerate(flat):
        found = _carried(part, issuer)
        if found is None:
            continue
        carriers.add((m, n))
        if found[0] == _CALL:
            calls.setdefault(found[1], found[2])
            continue
        j = i + 1 if found[1] == "next" else i - 1
        near = flat[j] if 0 <= j < len(flat) else None
        if near is not None and type(near[2]) is dict and near[2].get("type") == "text":
            texts.setdefault((near[0], near[1]), found[2])
    if not carriers:
        return ir
    out = []
    for m, message in enumerate(messages):
        content = message.get("content") if type(message) is dict else None
        if type(content) is list:
            message = {**message, "content": [_signed(p, _blob_of(p, m, n, calls, texts), issuer, key)
                                              for n, p in enumerate(content) if (m, n) not in carriers]}
        out.append(message)
    return {**ir, "messages": out}


def _content(message: Any) -> list[Any]:
    content = message.get("content") if type(message) is dict else None
    return content if type(content) is list else []


def _blob_of(part: Any, m: int, n: int, calls: dict[Any, str], texts: dict[tuple[int, int], str]) -> str | None:
    kind = part.get("type") if type(part) is dict else None
    return calls.get(part.get("id")) if kind == "tool_call" else texts.get((m, n)) if kind == "text" else None


def _signed(part: Any, blob: str | None, issuer: str, key: str) -> Any:
    if blob is None:
        return part
    extras = dict(part.get("extras") or {})
    mine = dict(extras.get(issuer) or {})
    mine.setdefault(key, blob)
    extras[issuer] = mine
    return {**part, "extras": extras}
