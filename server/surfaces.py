"""Client surfaces: one record per client format of what the server needs to know about it.

Everything the gateway's request path needs to know about a client format, in one
place (envoy's ``endpointspec``): where the model and the stream flag live, which
conversation field must be there and with which JSON type, how the client presents its
key, which path prefixes belong to it, what its count-tokens answer looks like, how its
streams are framed, and the status it expects for the gateway's own overload. The
converters (``generated/``) know the wire bodies; this table knows the HTTP surface.

Adding a client format means one :class:`ClientSurface` row here, a blueprint in
``server/api/`` and its upstream adapter (``docs/adding-a-format.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from interlingua.translate import Format

__all__ = ["SURFACES", "ClientSurface", "accepts_query_key", "surface_for", "surface_of_path"]

JSONObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClientSurface:
    format: Format
    # Path prefixes that belong to this client format (error envelopes, key conventions).
    path_prefixes: tuple[str, ...]
    # The conversation field, the JSON types it may have, and the message when it has another.
    conversation: tuple[str, tuple[type, ...], str]
    # The model and stream flag come from the URL (Gemini, Bedrock) rather than the body.
    model_in_url: bool = False
    # The client may put its key in the ``?key=`` query parameter (Gemini).
    query_key: bool = False
    # (system prompt field, conversation field) for the local token estimate.
    estimate_fields: tuple[str, str] | None = None
    # The count-tokens answer for a local estimate (None: the format has no such endpoint).
    count_tokens_body: Callable[[int], JSONObject] | None = None
    # Streams are a binary framing (AWS event stream): errors are exception frames, not SSE.
    binary_stream: bool = False
    # The status of the gateway's own overload (Anthropic clients expect 529).
    overload_status: int = 503
    # Header names that mark a request as this format's on format-neutral paths (/v1/models).
    hint_headers: frozenset[bytes] = frozenset()

    def stream_usage_wanted(self, body: JSONObject) -> bool:
        """Whether the client asked for usage in its stream (only OpenAI chat must ask)."""
        if self.format is not Format.OPENAI_CHAT:
            return True
        options = body.get("stream_options")
        return isinstance(options, dict) and options.get("include_usage") is True


SURFACES: dict[Format, ClientSurface] = {
    s.format: s
    for s in (
        ClientSurface(
            Format.OPENAI_CHAT,
            path_prefixes=("/v1/chat/",),
            conversation=("messages", (list,), "must be an array"),
            estimate_fields=("system", "messages"),
        ),
        ClientSurface(
            Format.ANTHROPIC_MESSAGES,
            path_prefixes=("/v1/messages",),
            conversation=("messages", (list,), "must be an array"),
            estimate_fields=("system", "messages"),
            count_tokens_body=lambda n: {"input_tokens": n},
            overload_status=529,
            hint_headers=frozenset({b"anthropic-version", b"x-api-key"}),
        ),
        ClientSurface(
            Format.OPENAI_RESPONSES,
            path_prefixes=("/v1/responses",),
            conversation=("input", (str, list), "must be a string or an array"),
            estimate_fields=("instructions", "input"),
            count_tokens_body=lambda n: {"object": "response.input_tokens", "input_tokens": n},
        ),
        ClientSurface(
            Format.GEMINI,
            path_prefixes=("/v1beta/",),
            conversation=("contents", (list,), "must be an array"),
            model_in_url=True,
            query_key=True,
            estimate_fields=("systemInstruction", "contents"),
            count_tokens_body=lambda n: {"totalTokens": n},
            hint_headers=frozenset({b"x-goog-api-key", b"x-goog-api-client"}),
        ),
        ClientSurface(
            Format.BEDROCK_CONVERSE,
            path_prefixes=("/model/",),
            conversation=("messages", (list,), "must be an array"),
            model_in_url=True,
            binary_stream=True,
        ),
    )
}

# Checked in this order: hints are only consulted on paths no prefix claims.
_HINT_ORDER = (Format.GEMINI, Format.ANTHROPIC_MESSAGES)


def surface_for(fmt: Format) -> ClientSurface:
    return SURFACES[fmt]


def _gemini_v1(path: str) -> bool:
    # google-genai 3.x defaults to /v1/models/{model}:{method}.
    return path.startswith("/v1/models/") and ":" in path


def surface_of_path(path: str, header_names: Iterable[bytes] = ()) -> ClientSurface:
    """Which client surface a request belongs to, from its path and (lower-case) header names.

    Format-neutral paths (``/v1/models``, unknown routes) fall back on hint headers: a Gemini
    SDK's ``x-goog-*`` headers, Anthropic's ``anthropic-version``/``x-api-key``; otherwise OpenAI.
    """
    for surface in SURFACES.values():
        if path.startswith(surface.path_prefixes):
            return surface
    if _gemini_v1(path):
        return SURFACES[Format.GEMINI]
    names = set(header_names)
    for fmt in _HINT_ORDER:
        if names & SURFACES[fmt].hint_headers:
            return SURFACES[fmt]
    return SURFACES[Format.OPENAI_CHAT]


def accepts_query_key(path: str) -> bool:
    """Whether a request to ``path`` may carry its key as ``?key=`` (Gemini's convention)."""
    return path.startswith(SURFACES[Format.GEMINI].path_prefixes) or _gemini_v1(path)
