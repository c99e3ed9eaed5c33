"""StreamTranslator: upstream stream bytes -> decoder -> IR events -> encoder -> client stream bytes
(SSE, or AWS event-stream frames for Bedrock on either side).

The decoder calls the encoder directly (the encoder *is* the decoder's
:class:`~.events.IRSink`), so no IR event objects are built on the hot path.
Which decoder/encoder pair runs is decided by each format's rules ``style``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from interlingua.convert.blobs import carries_call_signatures
from interlingua.convert.ids import NATIVE_IDS, IdStyle, native_block
from interlingua.errors import GatewayError, UpstreamError
from interlingua.streams.blobs import SealedBlobs
from interlingua.streams.decode_blocks import BlocksDecoder
from interlingua.streams.decode_chunked import ChunkedDecoder
from interlingua.streams.decode_items import ItemsDecoder
from interlingua.streams.decode_parts import PartsDecoder
from interlingua.streams.encode_blocks import BlocksEncoder
from interlingua.streams.encode_chunked import ChunkedEncoder
from interlingua.streams.encode_eventstream import ConverseEncoder
from interlingua.streams.encode_items import ItemsEncoder
from interlingua.streams.encode_parts import PartsEncoder
from interlingua.streams.events import Block, IRSink, StartInfo
from interlingua.streams.eventstream import ConverseEvents, EventStreamParser
from interlingua.streams.registry import load_spec
from interlingua.streams.spec import ChunkedSpec, ItemsSpec, PartsSpec, TypedBlocksSpec
from interlingua.streams.sse import EventTooLarge, SSEParser
from interlingua.streams.state import EncoderBase

if TYPE_CHECKING:
    from interlingua.translate import Format, Policy

__all__ = ["Decoder", "NativeIds", "StreamTranslator", "make_decoder", "make_encoder"]


class Decoder(Protocol):
    done: bool

    def event(self, name: str | None, data: bytes) -> None: ...

    def finish(self) -> None: ...


def _reasoning_field(policy: Policy | None) -> str:
    return policy.reasoning_field if policy is not None else "reasoning_content"


def make_decoder(source: str, sink: IRSink, policy: Policy | None = None) -> Decoder:
    """The decoder of ``source``'s stream style, writing IR events to ``sink``."""
    spec = load_spec(source)
    if isinstance(spec, ChunkedSpec):
        return ChunkedDecoder(spec, sink, _reasoning_field(policy))
    if isinstance(spec, ItemsSpec):
        return ItemsDecoder(spec, sink)
    if isinstance(spec, PartsSpec):
        return PartsDecoder(spec, sink)
    if isinstance(spec, TypedBlocksSpec) and spec.framing == "aws_eventstream":
        return ConverseEvents(BlocksDecoder(spec, sink))
    return BlocksDecoder(spec, sink)


def make_encoder(
    target: str,
    policy: Policy | None = None,
    *,
    model: str | None = None,
    include_usage: bool = True,
    request: dict[str, Any] | None = None,
) -> EncoderBase:
    """The encoder of ``target``'s stream style (``request``: see :class:`StreamTranslator`)."""
    spec = load_spec(target)
    if isinstance(spec, ChunkedSpec):
        return ChunkedEncoder(
            spec, reasoning_field=_reasoning_field(policy), model=model, include_usage=include_usage
        )
    if isinstance(spec, ItemsSpec):
        return ItemsEncoder(spec, model=model, request=request)
    if isinstance(spec, PartsSpec):
        return PartsEncoder(spec, model=model)
    if spec.framing == "aws_eventstream":
        return ConverseEncoder(spec)
    return BlocksEncoder(spec, model=model)


def _raw_signature_key(fmt: str) -> str | None:
    """The raw delta key a format's stream carries thinking signatures in (parts style), if any."""
    spec = load_spec(fmt)
    return spec.signature_key if isinstance(spec, PartsSpec) else None


class NativeIds:
    """An :class:`IRSink` in front of the encoder that restyles the upstream's ids for the
    client (``interlingua.convert.ids``). Only ``start`` and ``block_start`` pass through
    it; every other event goes to the encoder's own bound method, so deltas cost nothing more."""

    def __init__(self, sink: IRSink, style: IdStyle) -> None:
        self._sink = sink
        self._style = style
        self.delta = sink.delta
        self.block_stop = sink.block_stop
        self.usage = sink.usage
        self.stop = sink.stop
        self.end = sink.end
        self.error = sink.error

    def start(self, info: StartInfo) -> None:
        if info.get("id"):
            info = {**info, "id": self._style.message_id(info["id"])}
        self._sink.start(info)

    def block_start(self, index: int, block: Block) -> None:
        self._sink.block_start(index, native_block(self._style, block))


class StreamTranslator:
    """Translates one upstream SSE stream into the client's SSE stream. Per request; not thread-safe."""

    __slots__ = ("_decoder", "_encoder", "_parser")

    def __init__(
        self,
        *,
        source: Format,
        target: Format,
        policy: Policy | None = None,
        model: str | None = None,
        include_usage: bool = True,
        request: dict[str, Any] | None = None,
    ) -> None:
        """``include_usage``: OpenAI clients get a usage chunk only if they asked
        (``stream_options.include_usage``). ``model`` replaces the model name the client sees.
        ``request`` is the body the client sent (in ``target`` format): fields its provider
        echoes from the request (the OpenAI Responses object) are taken from it; ``None``
        gives the values the provider answers to a request that set none of them."""
        self._encoder = make_encoder(
            str(target), policy, model=model, include_usage=include_usage, request=request
        )
        sink: IRSink = self._encoder  # type: ignore[assignment]
        if str(source) != str(target):
            if str(target) in NATIVE_IDS:
                sink = NativeIds(sink, NATIVE_IDS[str(target)])
            # Outermost: it switches its own ``delta`` while a blob is held (ids and blobs are
            # on different blocks, so the order of the two wrappers changes nothing else).
            raw_in, raw_out = _raw_signature_key(str(source)), _raw_signature_key(str(target))
            calls = carries_call_signatures(str(target))
            sink = SealedBlobs(sink, str(target), raw_in, raw_out, calls)  # type: ignore[assignment]
        self._decoder = make_decoder(str(source), sink, policy)
        spec = load_spec(str(source))
        framed = isinstance(spec, TypedBlocksSpec) and spec.framing == "aws_eventstream"
        self._parser: SSEParser | EventStreamParser = EventStreamParser() if framed else SSEParser()

    def feed(self, data: bytes) -> bytes:
        """Upstream bytes, split anywhere -> the client bytes of the events they completed."""
        if self._decoder.done:
            return self._encoder.take()
        decoder = self._decoder
        try:
            events = self._parser.feed(data)
        except EventTooLarge as exc:
            return self.fail(UpstreamError(str(exc), status=502))
        for name, payload in events:
            decoder.event(name, payload)
        return self._encoder.take()

    def finish(self) -> bytes:
        """The upstream body ended: the client stream's proper close, or an error event
        if the upstream stopped before its terminal event."""
        if not self._decoder.done:
            try:
                events = self._parser.finish()
            except EventTooLarge as exc:
                return self.fail(UpstreamError(str(exc), status=502))
            for name, payload in events:
                self._decoder.event(name, payload)
            self._decoder.finish()
        return self._encoder.take()

    def fail(self, err: GatewayError) -> bytes:
        """A mid-stream failure (timeout, upstream died): open blocks closed, then the
        client format's error event. Nothing is written after a terminal event."""
        self._decoder.done = True
        self._encoder.fail(err)
        return self._encoder.take()

    @property
    def usage(self) -> Mapping[str, int]:
        """IR usage seen so far (input_tokens, output_tokens, cache_read_tokens, ...)."""
        return dict(self._encoder.usage_seen)

    @property
    def stop_reason(self) -> str | None:
        """The IR stop reason, once the upstream said it."""
        return self._encoder.stop_reason_seen

    @property
    def final(self) -> dict[str, Any] | None:
        """The client's finished response object, where its format has one (OpenAI Responses)."""
        return self._encoder.final

    @property
    def done(self) -> bool:
        """The client stream has its terminal event (a proper end or an error event)."""
        return self._encoder.done
