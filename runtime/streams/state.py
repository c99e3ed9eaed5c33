"""State every encoder and decoder shares: output buffering, usage, termination."""

from __future__ import annotations

from typing import Any

from interlingua.errors import GatewayError
from interlingua.streams.errors import error_frame, gateway_error, render_stream_error
from interlingua.streams.events import IRError, Usage

__all__ = ["EncoderBase", "malformed_event", "truncated_stream"]


def truncated_stream() -> IRError:
    return {"kind": "api_error", "message": "upstream stream ended before completion", "status": 502}


def malformed_event() -> IRError:
    return {"kind": "api_error", "message": "upstream sent a malformed stream event", "status": 502}


class EncoderBase:
    """Collects the client bytes of the events seen since the last :meth:`take`.

    Subclasses write frames to ``self.out``, set ``self.done`` on a terminal
    event and implement :meth:`close_blocks` so errors never leave a block open.
    """

    format: str = ""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.usage_seen: Usage = {}
        self.stop_reason_seen: str | None = None
        self.done = False
        # The finished response object, for formats whose terminal event carries one
        # (OpenAI Responses): what the gateway stores for previous_response_id.
        self.final: dict[str, Any] | None = None

    def take(self) -> bytes:
        if not self.out:
            return b""
        data = b"".join(self.out)
        self.out.clear()
        return data

    def merge_usage(self, usage: Usage) -> None:
        """Later values win per field."""
        self.usage_seen.update(usage)

    usage = merge_usage  # the sink's usage event

    def note_stop(self, stop_reason: str) -> None:
        """Keeps the first stop reason, the upstream's (``end`` may add a default later)."""
        if self.stop_reason_seen is None:
            self.stop_reason_seen = stop_reason

    def close_blocks(self) -> None:
        raise NotImplementedError

    def fail(self, err: GatewayError) -> None:
        """Close what is open, then the client format's error frame; terminal."""
        if self.done:
            return
        self.close_blocks()
        self.out.append(render_stream_error(err, self.format))
        self.done = True

    def error(self, error: IRError) -> None:
        raw = error.get("raw")
        if error.get("format") == self.format and isinstance(raw, dict) and not self.done:
            # Same format: the upstream's own error payload, verbatim (request_id and all).
            self.close_blocks()
            self.out.append(error_frame(raw, self.format))
            self.done = True
            return
        self.fail(gateway_error(error))
