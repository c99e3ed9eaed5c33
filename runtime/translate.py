"""The translation API: the one surface the server (and the CLI) uses.

Everything here is synchronous, pure and framework-free. Bodies are plain
``dict`` objects as parsed by ``orjson`` (the hot path never builds pydantic
models); the generated pydantic models are used to *validate* at the edges.

Contract (shared by the server, the CLI and the tests):

- ``translate_request(body, source=, target=, policy=)`` turns a client request
  body (``source`` format) into an upstream request body (``target`` format),
  through the IR. Raises :class:`~interlingua.errors.InvalidRequest` (with
  ``param`` naming the offending field path, e.g. ``messages[2].content[0].type``)
  for bad input and :class:`~interlingua.errors.ConversionError` where a policy
  says reject. ``source == target`` is a same-format round trip through the IR
  (the server does not call it for passthrough; it forwards the bytes).
- ``translate_response(body, source=, target=, ...)``: upstream response body
  (``source`` format) to client response body (``target`` format).
- ``parse_error`` / ``render_error``: an upstream error body becomes a
  :class:`GatewayError` (status, message, kind and retry-after kept), and any
  :class:`GatewayError` is rendered in a client format's envelope.
- :class:`StreamTranslator`: per request, not thread-safe. ``feed(raw_bytes)``
  takes upstream SSE bytes split anywhere and returns the client's SSE bytes
  for the events completed so far (incremental: never waits for the end);
  ``finish()`` is called when the upstream body ended and closes the client
  stream properly (an upstream that ended without its terminal event yields a
  client-format error event, not a silent truncation); ``fail(err)`` renders a
  mid-stream failure (timeout, upstream died) as the client format's stream
  error, closing any open blocks first.

Each result carries ``warnings``: human-readable notes about fields dropped by
documented policy; the server returns them in ``x-interlingua-warning``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

from interlingua.errors import GatewayError

__all__ = [
    "DEFAULT_POLICY",
    "Format",
    "Policy",
    "StreamTranslator",
    "Translated",
    "parse_error",
    "render_error",
    "render_stream_error",
    "translate_request",
    "translate_response",
]

JSONObject = dict[str, Any]


class Format(StrEnum):
    """Wire formats, named as in the config's ``providers[].format``."""

    OPENAI_CHAT = "openai_chat"
    ANTHROPIC_MESSAGES = "anthropic_messages"


DocumentPolicy = Literal["reject", "drop", "text"]


@dataclass(frozen=True, slots=True)
class Policy:
    """What to do where formats differ. Mirrors the config's ``policies`` section."""

    # Anthropic requires max_tokens; used when an OpenAI request has none.
    default_max_tokens: int = 4096
    # Ascending (upper bound inclusive, effort): budget_tokens -> reasoning_effort.
    thinking_budget_to_effort: tuple[tuple[int, str], ...] = (
        (4000, "low"),
        (8000, "medium"),
        (1_000_000, "high"),
    )
    # reasoning_effort -> budget_tokens, for requests going to Anthropic.
    effort_to_budget: Mapping[str, int] = field(
        default_factory=lambda: {"minimal": 1024, "low": 4000, "medium": 8000, "high": 16000, "xhigh": 32000}
    )
    # Anthropic `document` blocks toward a format without documents.
    documents: DocumentPolicy = "reject"
    allow_images: bool = True
    # OpenAI-compatible dialects stream reasoning text in this delta/message field.
    reasoning_field: str = "reasoning_content"


DEFAULT_POLICY = Policy()


@dataclass(slots=True)
class Translated:
    body: JSONObject
    warnings: list[str] = field(default_factory=list)


def translate_request(
    body: JSONObject, *, source: Format, target: Format, policy: Policy = DEFAULT_POLICY
) -> Translated:
    raise NotImplementedError  # implemented by the translator core


def translate_response(
    body: JSONObject,
    *,
    source: Format,
    target: Format,
    policy: Policy = DEFAULT_POLICY,
    model: str | None = None,
) -> Translated:
    """``model``, when given, replaces the model name the client sees."""
    raise NotImplementedError


def parse_error(
    status: int, body: bytes, *, source: Format, retry_after: str | None = None
) -> GatewayError:
    """An upstream error response (any body, even non-JSON) as a GatewayError."""
    raise NotImplementedError


def render_error(err: GatewayError, target: Format) -> JSONObject:
    """The client-format error envelope for ``err`` (status is ``err.status``)."""
    raise NotImplementedError


# The stream translator is shared runtime code (runtime/streams/), re-exported here.
from interlingua.streams import StreamTranslator, render_stream_error  # noqa: E402
