"""Ingress: read a client's call, with only the checks needed to route and relay it.

The passthrough path must not pay for schema validation, so only what routing and
relaying need is checked here, per the client's :class:`~interlingua.server.surfaces.ClientSurface`:
a JSON object no deeper than :data:`MAX_JSON_DEPTH`, the model (in the body, or in the
URL for Gemini and Bedrock) given once, the stream flag, and that the conversation field
has the right JSON type. Full validation runs on the translated path.

Why a depth limit: orjson parses up to 1,024 levels but serialises only 255, so a body
between the two parsed, then failed wherever the gateway re-serialised it (a 500). One
limit, checked before any work, turns that into a 400 in the client's envelope. Bodies
shorter than 512 bytes cannot be that deep (each level takes two bytes) and skip the check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from interlingua.errors import InvalidRequest
from interlingua.server.pipeline.inbound import Inbound
from interlingua.server.surfaces import ClientSurface
from interlingua.translate import Format

__all__ = ["MAX_JSON_DEPTH", "ClientCall", "check_depth", "read_call"]

# orjson's serialisation limit: a deeper body could not be re-serialised anywhere.
MAX_JSON_DEPTH = 255


@dataclass(slots=True)
class ClientCall:
    """One client request: its bytes, parsed body, model and stream mode."""

    surface: ClientSurface
    raw: bytes
    body: dict[str, Any]
    model: str
    stream: bool
    # Gemini streams without ?alt=sse are one JSON array rather than SSE.
    sse: bool = True
    # OpenAI Responses toward another format: the body with previous_response_id and
    # item references resolved from stored responses, ``store`` as honoured (stateful.py).
    resolved: dict[str, Any] | None = None
    # The surface's format, read by every stage (a field: a property was a call each time).
    fmt: Format = field(init=False)

    def __post_init__(self) -> None:
        self.fmt = self.surface.format

    @property
    def translation_body(self) -> dict[str, Any]:
        """What a translation reads (and a translated answer echoes): the resolved body, if any."""
        return self.body if self.resolved is None else self.resolved

    @property
    def model_in_body(self) -> bool:
        return not self.surface.model_in_url


def check_depth(raw: bytes, body: Any) -> None:
    """400 when ``body`` (parsed from ``raw``) nests deeper than :data:`MAX_JSON_DEPTH`."""
    if len(raw) < 2 * (MAX_JSON_DEPTH + 1):
        return
    try:
        orjson.dumps(body)  # C speed; raises exactly when the nesting passes 255
    except orjson.JSONEncodeError:
        raise InvalidRequest(
            f"the request body is nested more than {MAX_JSON_DEPTH} levels deep", code="json_too_deep"
        ) from None


def parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidRequest(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidRequest("the request body must be a JSON object")
    check_depth(raw, body)
    return body


def _check_routing_duplicates(raw: bytes) -> None:
    """400 when ``model`` or ``stream`` appears twice at the top level.

    orjson keeps the last value, an upstream parser may keep the first: the gateway would
    route and authorise one model while the upstream serves another. Only bodies where
    the key text occurs more than once (a tool schema with a ``model`` property, say) pay
    for the second, pair-preserving parse.
    """
    if raw.count(b'"model"') < 2 and raw.count(b'"stream"') < 2:
        return
    top: list[list[tuple[str, Any]]] = []

    def keep_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        top[:] = [pairs]  # objects close inner-first: the last one is the top level
        return dict(pairs)

    json.loads(raw, object_pairs_hook=keep_pairs)
    names = [name for name, _ in top[0]] if top else []
    for key in ("model", "stream"):
        if names.count(key) > 1:
            raise InvalidRequest(f"{key}: given more than once in the request body", param=key)


async def read_call(
    surface: ClientSurface,
    inbound: Inbound,
    *,
    model: str | None = None,
    stream: bool | None = None,
    sse: bool = True,
    conversation: bool = True,
) -> ClientCall:
    """The request as a :class:`ClientCall` (400 naming the problem otherwise).

    ``inbound``: the request (from Quart or the fast lane).
    ``model``/``stream``: given by the route when the format puts them in the URL.
    ``conversation``: whether the conversation field is required (count endpoints vary).
    """
    raw = await inbound.read_body()
    body = parse_body(raw)
    if (model is None or stream is None) and (raw.count(b'"model"') > 1 or raw.count(b'"stream"') > 1):
        _check_routing_duplicates(raw)
    if model is None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise InvalidRequest("model: a non-empty string is required", param="model")
    if conversation:
        _check_conversation(surface, body)
    if stream is None:
        flag = body.get("stream")
        if flag is not None and not isinstance(flag, bool):
            raise InvalidRequest("stream: must be a boolean", param="stream")
        stream = flag is True
    return ClientCall(surface, raw, body, model, stream, sse)


def _check_conversation(surface: ClientSurface, body: dict[str, Any]) -> None:
    key, types, expected = surface.conversation
    value = body.get(key)
    if value is None and surface.format is Format.OPENAI_RESPONSES and body.get("previous_response_id"):
        return  # a continuation may send no new input
    if not isinstance(value, types):
        what = "missing" if value is None else expected
        raise InvalidRequest(f"{key}: {what}", param=key)
