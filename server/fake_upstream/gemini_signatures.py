"""Thought signatures at the fake Gemini: checked as Gemini 3 checks them, and stricter.

Every model: a ``thoughtSignature`` is the fake's own (:data:`GEMINI_SIGNATURE`) or Google's
documented ``skip_thought_signature_validator``; any other value (another provider's blob)
is a 400, as Gemini answers an invalid signature.

``gemini-3*`` models, as Gemini 3 does: in the current turn (after the last user text) the
first ``functionCall`` of each model step must carry a signature, or the request is a 400.
And stricter than Gemini 3, so tests can tell a real signature from a stand-in: a call the
fake itself issued (its ids are ``fc_demo<n>_<i>``) must come back with the real signature;
the dummy is accepted only for calls the fake did not issue (history from another model),
which is the case Google documents the dummy for.

Models named ``*-signed-text`` (a test opts in) also sign a step that calls no function on
its text, as Gemini 3 may (:data:`TEXT_SIGNATURE`: on the text part, or streamed in a last
empty text part), and insist it comes back where it was issued: on the last text part of each
such model step, and on no other part. (Gemini does not enforce text signatures; Google
advises sending them back, and this lets a test see they are.)
https://ai.google.dev/gemini-api/docs/thought-signatures
"""

from __future__ import annotations

import re
from typing import Any

from interlingua.server.fake_upstream.plan import BadRequest

__all__ = [
    "DUMMY_SIGNATURE",
    "GEMINI_SIGNATURE",
    "TEXT_SIGNATURE",
    "check_call_signatures",
    "check_signatures",
    "check_text_signatures",
    "signs_text",
]

JSON = dict[str, Any]
GEMINI_SIGNATURE = "ZGVtby1nZW1pbmktc2lnbmF0dXJl"
DUMMY_SIGNATURE = "skip_thought_signature_validator"
TEXT_SIGNATURE = "ZGVtby1nZW1pbmktdGV4dC1zaWduYXR1cmU="  # base64 of demo-gemini-text-signature
# The fake Gemini's own signatures and Gemini's documented bypass.
VALID_SIGNATURES = frozenset({GEMINI_SIGNATURE, TEXT_SIGNATURE, DUMMY_SIGNATURE})
_ISSUED = re.compile(r"fc_demo\d+_\d+")  # the call ids this fake issues (gemini._call_parts)


def check_signatures(parts: list[JSON], where: str) -> None:
    for i, part in enumerate(parts):
        signature = part.get("thoughtSignature")
        if signature is not None and signature not in VALID_SIGNATURES:
            raise BadRequest(
                f"Unable to submit request because Thought signature is not valid ({where}.parts[{i}]).",
                f"{where}.parts[{i}].thoughtSignature",
            )


def _current_turn(contents: list[Any]) -> int:
    """Index of the first content of the current turn: after the last user text."""
    start = 0
    for i, content in enumerate(contents):
        parts = content.get("parts") or () if isinstance(content, dict) else ()
        if content.get("role", "user") != "model" and any("text" in p for p in parts if isinstance(p, dict)):
            start = i + 1
    return start


def check_call_signatures(contents: list[Any], model: str) -> None:
    """The Gemini 3 check (and the fake's stricter one) of the current turn's function calls."""
    if not model.startswith("gemini-3"):
        return
    for i in range(_current_turn(contents), len(contents)):
        content = contents[i]
        if not isinstance(content, dict) or content.get("role") != "model":
            continue
        calls = [p for p in content.get("parts") or () if isinstance(p, dict) and "functionCall" in p]
        if not calls:
            continue
        signature, call = calls[0].get("thoughtSignature"), calls[0]["functionCall"]
        name = call.get("name") if isinstance(call, dict) else None
        issued = isinstance(call, dict) and _ISSUED.fullmatch(str(call.get("id", ""))) is not None
        if signature is None:
            raise BadRequest(
                f"Function call is missing a thought_signature in functionCall parts "
                f"(contents[{i}], function `{name}`).",
                f"contents[{i}].parts",
            )
        if issued and signature != GEMINI_SIGNATURE:
            raise BadRequest(
                f"Function call `{name}` in contents[{i}] was issued by this fake Gemini 3, which "
                f"requires its own thought_signature back, not {signature!r}.",
                f"contents[{i}].parts",
            )


def signs_text(model: str) -> bool:
    """Whether the fake signs (and checks) the text of a step that calls no function."""
    return model.endswith("-signed-text")


def check_text_signatures(contents: list[Any], model: str) -> None:
    """For a ``*-signed-text`` model: every model step without a function call has the text
    signature on its last text part, and no other part holds it."""
    if not signs_text(model):
        return
    for i, content in enumerate(contents):
        parts = [p for p in (content.get("parts") or ()) if isinstance(p, dict)] if isinstance(content, dict) else []
        if content.get("role") != "model" or any("functionCall" in p for p in parts):
            if any(p.get("thoughtSignature") == TEXT_SIGNATURE for p in parts):
                raise BadRequest(f"contents[{i}]: the text signature came back on a part it was not issued on.",
                                 f"contents[{i}].parts")
            continue
        texts = [n for n, p in enumerate(parts) if "text" in p and not p.get("thought")]
        signed = [n for n, p in enumerate(parts) if p.get("thoughtSignature") == TEXT_SIGNATURE]
        if texts and signed != texts[-1:]:
            raise BadRequest(
                f"contents[{i}]: this fake signed the step's text (thoughtSignature {TEXT_SIGNATURE!r}) and "
                f"requires it back on its last text part only (found on parts {signed}).",
                f"contents[{i}].parts",
            )
