"""Observing a stream without changing it: usage, stop reason and whether it completed.

Passthrough streams (client and upstream speak the same format) are relayed byte for
byte, but the gateway still needs what a translated stream tells it: the usage the
upstream reported, the stop reason, and whether the stream reached its terminal event
(or the upstream's own error event). :class:`StreamTap` feeds the bytes to the format's
own stream decoder (the same one translation uses) with a sink that only records, so
completion is decided by the format's grammar, not by scanning for byte markers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlingua.streams.events import Block, Extras, IRError, StartInfo, Usage
from interlingua.streams.eventstream import EventStreamParser
from interlingua.streams.json_array import JsonArrayParser
from interlingua.streams.registry import load_spec
from interlingua.streams.spec import TypedBlocksSpec
from interlingua.streams.sse import EventTooLarge, SSEParser
from interlingua.streams.translator import make_decoder

if TYPE_CHECKING:
    from interlingua.translate import Format, Policy

__all__ = ["StreamTap"]


class _Recorder:
    """An IR sink that keeps only what accounting needs."""

    __slots__ = ("ended", "failure", "reported", "stop_reason")

    def __init__(self) -> None:
        self.reported: Usage = {}
        self.stop_reason: str | None = None
        self.ended = False
        self.failure: IRError | None = None

    def start(self, info: StartInfo) -> None:
        usage = info.get("usage")
        if usage:
            self.reported.update(usage)

    def block_start(self, index: int, block: Block) -> None:
        pass

    def delta(self, index: int, kind: str, value: Any) -> None:
        pass

    def block_stop(self, index: int) -> None:
        pass

    def usage(self, usage: Usage) -> None:
        self.reported.update(usage)

    def stop(self, stop_reason: str, stop_sequence: str | None, extras: Extras | None = None) -> None:
        self.stop_reason = stop_reason

    def end(self) -> None:
        self.ended = True

    def error(self, error: IRError) -> None:
        self.failure = error


class StreamTap:
    """Per stream; not thread-safe. ``feed`` every chunk as it is relayed, ``finish`` at the end."""

    __slots__ = ("_decoder", "_parser", "_sink", "broken")

    def __init__(self, fmt: Format, policy: Policy | None = None, *, sse: bool = True) -> None:
        self._sink = _Recorder()
        self._decoder = make_decoder(str(fmt), self._sink, policy)  # type: ignore[arg-type]
        spec = load_spec(str(fmt))
        self._parser: SSEParser | EventStreamParser | JsonArrayParser
        if isinstance(spec, TypedBlocksSpec) and spec.framing == "aws_eventstream":
            self._parser = EventStreamParser()
        else:
            self._parser = SSEParser() if sse else JsonArrayParser()
        self.broken = False  # the bytes stopped making sense as this format's stream

    def feed(self, data: bytes) -> None:
        if self._decoder.done or self.broken:
            return
        try:
            events = self._parser.feed(data)
        except EventTooLarge:
            self.broken = True
            return
        decoder = self._decoder
        for name, payload in events:
            decoder.event(name, payload)

    def finish(self) -> None:
        """The upstream body ended: the last buffered event counts (lenient, as translation is)."""
        if self._decoder.done or self.broken:
            return
        try:
            events = self._parser.finish()
        except EventTooLarge:
            self.broken = True
            return
        for name, payload in events:
            self._decoder.event(name, payload)
        self._decoder.finish()

    @property
    def usage(self) -> Usage:
        """IR usage reported so far."""
        return self._sink.reported

    @property
    def stop_reason(self) -> str | None:
        return self._sink.stop_reason

    @property
    def upstream_error(self) -> IRError | None:
        """The upstream's own in-stream error event, if it sent one."""
        error = self._sink.failure
        return error if error is not None and "format" in error else None

    @property
    def complete(self) -> bool:
        """The stream reached its terminal event, or the upstream's own error event: the client
        has a proper ending. False for a stream cut short or one that stopped parsing."""
        if self.broken:
            return False
        return self._sink.ended or self.upstream_error is not None
