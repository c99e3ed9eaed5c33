"""Observing a stream without changing it: usage, stop reason and whether it completed.

Passthrough streams (client and upstream speak the same format) are relayed byte for
byte, but the gateway still needs what a translated stream tells it: the usage the
upstream reported, the stop reason, and whether the stream reached its terminal event
(or the upstream's own error event). :class:`StreamTap` feeds the bytes to the format's
own stream decoder (the same one translation uses) with a sink that only records, so
completion is decided by the format's grammar, not by scanning for byte markers.

Most events of a stream are content deltas, which say nothing about usage, the stop or the
end. The tap skips them before parsing their JSON (:mod:`.skip`: by event name, or for
OpenAI chat by a chunk that says ``"finish_reason":null`` and carries no usage object),
which makes observing a stream several times cheaper than translating it; anything it
cannot rule out is parsed. When a chunk starts at an event boundary (as upstreams flush
them) and is plain LF-framed SSE, content events are dropped from its raw text and the
events left are read from it as the SSE parser would read them, straight to the decoder:
no parser runs for the common stream. Tests check, over every stream fixture, that skipping
changes nothing and that the raw reading is the parser's (tests/streams/test_tap_fast_paths.py).

What the tap parses it also judges (:attr:`StreamTap.failed`: an event that is not a JSON
object, a frame failing its checksum), so a passthrough relay can end a broken stream with
its own error; a skipped content delta is not judged, which is the price of not parsing it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import TYPE_CHECKING, Any, NamedTuple

from interlingua.streams.decode_chunked import ChunkedDecoder
from interlingua.streams.events import Block, Extras, IRError, IRSink, StartInfo, Usage
from interlingua.streams.eventstream import EventStreamParser
from interlingua.streams.json_array import JsonArrayParser
from interlingua.streams.registry import load_spec
from interlingua.streams.skip import Kept, skipping
from interlingua.streams.spec import ChunkedSpec, TypedBlocksSpec
from interlingua.streams.sse import MAX_EVENT_BYTES, EventTooLarge, SSEParser
from interlingua.streams.translator import Decoder, make_decoder

if TYPE_CHECKING:
    from interlingua.translate import Format, Policy

__all__ = ["StreamTap"]

Raw = Callable[[bytes], Kept]
_CR = 13  # an int needle: ``in`` searches bytes for it with memchr (see .sse)

class _Recorder:
    """An IR sink that keeps only what accounting needs."""

    __slots__ = ("ended", "failure", "invalid", "reported", "stop_reason")

    def __init__(self) -> None:
        self.reported: Usage = {}
        self.stop_reason: str | None = None
        self.ended = False
        self.failure: IRError | None = None
        self.invalid = False  # the decoder failed the stream itself (not the upstream's error event)

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
        self.invalid = "format" not in error


class _Setup(NamedTuple):
    """What a tap of one format needs from its spec, looked up once per format, not per stream."""

    decoder: Callable[[IRSink], Decoder]
    frames: bool  # AWS event-stream framed
    skip: Callable[[str | None, bytes], bool] | None  # the parsed-event skip
    raw: Raw | None  # the raw SSE filter


@cache
def _setup(fmt: str, skip_content: bool, reasoning_field: str) -> _Setup:
    spec = load_spec(fmt)
    frames = isinstance(spec, TypedBlocksSpec) and spec.framing == "aws_eventstream"
    skips = skipping(spec)
    decoder: Callable[[IRSink], Decoder]
    if isinstance(spec, ChunkedSpec):
        # Without the start info (id, model, extras): a tap's sink keeps none of it.
        decoder = partial(ChunkedDecoder, spec, reasoning_field=reasoning_field, start_info=False)
    else:
        decoder = partial(make_decoder, fmt)
    if not skip_content:
        return _Setup(decoder, frames, None, None)
    return _Setup(decoder, frames, skips.content, skips.raw)


class StreamTap:
    """Per stream; not thread-safe. ``feed`` every chunk as it is relayed, ``finish`` at the end."""

    __slots__ = ("_clean", "_decoder", "_parser", "_raw", "_sink", "_skip", "_sse", "broken")

    def __init__(
        self, fmt: Format, policy: Policy | None = None, *, sse: bool = True, skip_content: bool = True
    ) -> None:
        self._sink = sink = _Recorder()
        reasoning = "reasoning_content" if policy is None else policy.reasoning_field
        decoder, frames, self._skip, raw = _setup(str(fmt), skip_content, reasoning)
        self._decoder = decoder(sink)
        # The raw filter works on SSE text only: event-stream frames and array elements are parsed.
        self._sse: SSEParser | None = None
        self._parser: SSEParser | EventStreamParser | JsonArrayParser
        if frames:
            self._parser = EventStreamParser()
        elif not sse:
            self._parser = JsonArrayParser()
        else:
            self._parser = parser = SSEParser()
            self._sse = parser if raw is not None else None
        self._raw = raw if self._sse is not None else None
        # The SSE parser has been fed nothing since it was last at an event start: the next
        # chunk is one too, if it has no CR and fits the limit (what at_event_start checks
        # besides), and the common stream (every chunk whole events) costs no call for it.
        self._clean = False  # the first chunk: at_event_start also skips a byte order mark
        self.broken = False  # the bytes stopped making sense as this format's stream

    def feed(self, data: bytes) -> bool:
        """Observe the next chunk; whether the stream has :attr:`failed` (returned so that a
        relay checks it per chunk without a second call)."""
        decoder = self._decoder
        if decoder.done or self.broken:
            return self.broken or self._sink.invalid
        raw, sse = self._raw, self._sse
        if raw is not None and sse is not None:
            clean = _CR not in data and len(data) <= MAX_EVENT_BYTES if self._clean else sse.at_event_start(data)
            end = data.rfind(b"\n\n") if clean else -1
            if end >= 0:  # the complete events first, content dropped from their raw text
                events, text = raw(data[:end])
                for name, payload in events:  # already read as the parser would: no second parse
                    decoder.event(name, payload)
                data = data[end + 2 :]
                self._clean = not text and not data
                if text:
                    self._parse(text)
                if not data or decoder.done or self.broken:
                    return self.broken or self._sink.invalid
        self._clean = False
        self._parse(data)
        return self.broken or self._sink.invalid

    def _parse(self, data: bytes) -> None:
        try:
            events = self._parser.feed(data)
        except EventTooLarge:
            self.broken = True
            return
        decoder, skip = self._decoder, self._skip
        for name, payload in events:
            if skip is None or not skip(name, payload):
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
    def failed(self) -> bool:
        """The bytes fed so far stopped being this format's stream (an event that is not JSON,
        a frame failing its checksum, an event over the size limit): a relay ends the stream
        with its own error there rather than pass on what the client could not parse."""
        return self.broken or self._sink.invalid

    @property
    def pending(self) -> int:
        """AWS event streams and JSON arrays: bytes fed since the last whole valid frame or
        element, which a relay holds back so that an error of its own never lands inside
        one. 0 for SSE (a relay finds event ends itself)."""
        parser = self._parser
        return 0 if isinstance(parser, SSEParser) else parser.pending

    @property
    def complete(self) -> bool:
        """The stream reached its terminal event, or the upstream's own error event: the client
        has a proper ending. False for a stream cut short or one that stopped parsing."""
        if self.broken:
            return False
        error = self._sink.failure  # upstream_error, inline: the relay asks once per stream
        return self._sink.ended or (error is not None and "format" in error)
