"""Shared stream runtime: provider SSE -> IR stream events -> provider SSE."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from interlingua.errors import GatewayError

if TYPE_CHECKING:
    from interlingua.translate import Format, Policy

__all__ = ["StreamTranslator", "render_stream_error"]


def render_stream_error(err: GatewayError, target: Format) -> bytes:
    """The client-format SSE error frame for ``err`` (no block bookkeeping)."""
    raise NotImplementedError


class StreamTranslator:
    """Translates one upstream SSE stream into the client's SSE stream. Per request; not thread-safe."""

    def __init__(
        self,
        *,
        source: Format,
        target: Format,
        policy: Policy | None = None,
        model: str | None = None,
        include_usage: bool = True,
    ) -> None:
        """``include_usage``: OpenAI clients get a usage chunk only if they asked
        (``stream_options.include_usage``)."""
        raise NotImplementedError

    def feed(self, data: bytes) -> bytes:
        raise NotImplementedError

    def finish(self) -> bytes:
        raise NotImplementedError

    def fail(self, err: GatewayError) -> bytes:
        raise NotImplementedError

    @property
    def usage(self) -> Mapping[str, int]:
        """IR usage seen so far (input_tokens, output_tokens, cache_read_tokens, ...)."""
        raise NotImplementedError
