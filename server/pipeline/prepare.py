"""What one attempt sends to one target: the client's bytes (same format) or a translation.

Same format: the client's bytes go upstream with only the model name changed (Gemini
and Bedrock clients name it in the URL, which is rebuilt anyway), unless they hold a blob
another format issued, sealed for the client (``convert/blobs.py``): those are translated
to their own format, which opens the envelope and drops the foreign blob. Another format: the
body is translated for the target's format and policy (and validated when that fails, for a
precise message), and made ready by the target's adapter (model and stream flags where that format wants them).

Also here, what applies only when translating for a client format: an OpenAI Responses
call is translated as resolved from the gateway's stored responses (``pipeline/stateful.py``);
references nothing resolved are refused, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from interlingua.convert.blobs import carries_envelope
from interlingua.convert.gemini import camel_keys
from interlingua.errors import InvalidRequest
from interlingua.server.pipeline.attempt import Outgoing
from interlingua.server.pipeline.ingress import ClientCall
from interlingua.server.responses.resolve import references_refused
from interlingua.server.rewrite import replace_model
from interlingua.server.routing import Target
from interlingua.server.upstream import Upstream
from interlingua.translate import Format, Translated, translate_request
from interlingua.validation import validate

__all__ = ["Prepared", "count_tokens_payload", "prepare_generate", "refuse_unresolved", "translated_for_count"]


@dataclass(slots=True)
class Prepared:
    outgoing: Outgoing
    # Notes for x-interlingua-warning: the gateway's, then the converter's.
    warnings: list[str] = field(default_factory=list)
    # The gateway asked the upstream for stream usage the client did not ask for: the
    # usage-only chunk is taken out of the relayed stream.
    strip_usage_chunk: bool = False


def prepare_generate(call: ClientCall, target: Target, upstream: Upstream) -> Prepared:
    model = target.upstream_model
    if upstream.format is call.fmt and not carries_envelope(call.raw):
        if call.stream and not call.surface.stream_usage_wanted(call.body):
            return _asking_for_usage(call, model)
        payload = replace_model(call.raw, call.body, model) if call.model_in_body else call.raw
        return Prepared(
            Outgoing("generate", payload, same_format=True, model=model, stream=call.stream, sse=call.sse)
        )
    notes = _translation_notes(call, upstream.format)
    _require_turns(call)
    out = _translate(call, upstream.format, target)
    body = upstream.adapter.prepare(out.body, model, call.stream)
    try:
        payload = orjson.dumps(body)
    except orjson.JSONEncodeError as exc:  # ingress bounds the depth; translation may add a level or two
        raise InvalidRequest(f"the translated request could not be serialised: {exc}") from None
    outgoing = Outgoing("generate", payload, same_format=False, model=model, stream=call.stream)
    return Prepared(outgoing, _merge_warnings(call, notes, out.warnings))


def _asking_for_usage(call: ClientCall, model: str) -> Prepared:
    """An OpenAI chat stream whose client did not ask for usage: the upstream is asked anyway
    (``stream_options.include_usage``), since limits and metrics need the tokens of every
    request; the extra usage chunk is removed before the client sees it."""
    options = call.body.get("stream_options")
    options = {**(options if isinstance(options, dict) else {}), "include_usage": True}
    payload = orjson.dumps({**call.body, "model": model, "stream_options": options})
    outgoing = Outgoing("generate", payload, same_format=True, model=model, stream=True, sse=call.sse)
    return Prepared(outgoing, strip_usage_chunk=True)


def _translate(call: ClientCall, upstream: Format, target: Target, body: dict[str, Any] | None = None) -> Translated:
    """The request in the target's format. The generated converters check what they read,
    so the body is schema-validated only when a conversion fails: then the validator's
    message, which names the offending field precisely, is the one the client gets (a
    second validation of every request cost more than the conversion itself).
    ``body``: what to translate instead of the call's own (a count-tokens request)."""
    body = call.translation_body if body is None else body
    if "previous_response_id" in body:  # resolved (into input); kept only for the answer's echo
        body = {k: v for k, v in body.items() if k != "previous_response_id"}
    try:
        return translate_request(
            body,
            source=call.fmt,
            target=upstream,
            policy=target.policy,
            model=target.upstream_model,
            stream=call.stream,
        )
    except InvalidRequest:
        validate(call.fmt, "request", body)  # raises the more precise error, if there is one
        raise


def count_tokens_payload(call: ClientCall, target: Target) -> bytes:
    """A same-format count-tokens body naming the upstream's model."""
    model = target.upstream_model
    if call.model_in_body:
        return replace_model(call.raw, call.body, model)
    body = camel_keys(call.body, "count_tokens_request")  # proto3 JSON: snake_case spellings too
    inner = body.get("generateContentRequest")  # Gemini: the nested request names it too
    if inner is not None and not isinstance(inner, dict):
        raise InvalidRequest("generateContentRequest: must be an object", param="generateContentRequest")
    if inner is not None and "model" in inner and model != call.model:
        return orjson.dumps({**body, "generateContentRequest": {**inner, "model": f"models/{model}"}})
    return call.raw


def translated_for_count(call: ClientCall, target: Target, upstream: Format, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (the client's count request as a generation request of its format) in the
    target's format, checked and refused like a generation request translated there."""
    _translation_notes(call, upstream)  # references nothing resolved are refused; notes are moot
    _require_turns(call)
    return _translate(call, upstream, target, body).body


def _require_turns(call: ClientCall) -> None:
    """An empty conversation is refused naming the client's field (fuzz finding, issue 12):
    translated, it reached the upstream as an empty one of *its* format, whose 400 named a
    field the client never sent (a Gemini client read "Missing required parameter: 'input'")."""
    key = call.surface.conversation[0]
    value = call.body.get(key)
    if isinstance(value, list | str) and not value:
        raise InvalidRequest(f"{key}: must not be empty", param=key)


def refuse_unresolved(call: ClientCall, upstream: str) -> None:
    """The 400 for a Responses request whose references nothing resolved (no store, or an id
    of a Responses upstream's), when it is to be translated for ``upstream`` (or estimated)."""
    if call.resolved is None:
        refused = references_refused(
            call.body,
            "the gateway holds no such stored response for this key (unknown, expired, deleted, another "
            "key's, or no store: store and responses.store in the config) and this model's upstream "
            f"({upstream}) cannot resolve it; send the whole conversation in input",
        )
        if refused is not None:
            raise refused


def _translation_notes(call: ClientCall, upstream: Format) -> list[str]:
    """Checks and warnings that apply only when ``call`` is translated for ``upstream``."""
    if call.fmt is not Format.OPENAI_RESPONSES:
        return []
    refuse_unresolved(call, upstream.value)
    if call.body.get("store") is not False and call.translation_body.get("store") is False:
        return [f"store ignored: the gateway keeps no responses toward {upstream.value} upstreams (no store)"]
    return []


def _merge_warnings(call: ClientCall, notes: list[str], converter: list[str]) -> list[str]:
    """The gateway's notes, then the converter's, minus the converter's generic note on
    ``store`` (the gateway's own says what happened, and ``store: false``, which Codex
    sends on every request, loses nothing and deserves no warning)."""
    if call.fmt is Format.OPENAI_RESPONSES:
        converter = [w for w in converter if not w.startswith("store dropped")]
    return [*notes, *converter]
