"""Sealed blobs in streams: another format's signature reaches the client in an envelope.

The stream counterpart of ``interlingua.convert.blobs``: an :class:`IRSink` in front of
the encoder. A thinking block another format signed is passed on as the client format's
own; its signature (``signature`` deltas, or a Gemini upstream's ``thoughtSignature`` raw
delta) is held until the block stops and then written as one sealed delta, since an
envelope cannot be cut into the pieces the upstream sent. A blob is a few hundred bytes:
holding it delays nothing the client reads. Redacted thinking carries its blob in
``block_start`` and is sealed there. Other events go straight to the encoder.

A Gemini function call's own signature is in its block's start (``extras``, as the
converters keep it on the call): for a client that can carry it (``carries_call_signatures``)
a thinking block with the sealed signature and no text is written first, under index
``-1 - index`` (decoders number blocks from 0), then the call, so nothing is held; a Chat
client's call has the sealed signature in its id instead.

A Gemini *text* part may carry a signature of its own too (Gemini 3 signs a step that calls
no function, often in a last empty text piece): on a text block, the upstream's raw
signature delta is held (a few hundred bytes, never the text) and, when the block stops,
a carrier block like a call's follows it, naming the text before it (``carry_text_signature``
with side "prev"); a Chat client's text has no carrier (the encoder drops the raw delta).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interlingua.convert.blobs import (
    carries_text_signatures,
    carry_call_signature,
    carry_text_signature,
    seal,
    seal_part,
)
from interlingua.streams.events import Block, IRSink

__all__ = ["SealedBlobs"]


class _Held:
    __slots__ = ("extras", "issuer", "pieces")

    def __init__(self, issuer: str, extras: Any) -> None:
        self.issuer = issuer
        self.extras = extras
        self.pieces: list[str] = []


class SealedBlobs:
    """Seals, for a ``target`` client, the blobs other formats' upstreams issued."""

    def __init__(
        self, sink: IRSink, target: str, raw_in: str | None, raw_out: str | None, calls: bool = False
    ) -> None:
        """``raw_in`` / ``raw_out``: the raw delta key of a signature in the upstream's /
        client's format (Gemini's ``thoughtSignature``), or ``None`` where it is a
        ``signature`` delta. ``calls``: the client gets tool calls' own signatures."""
        self._sink = sink
        self._target = target
        self._raw_in = raw_in
        self._raw_out = raw_out
        self._held: dict[int, _Held] = {}
        self._texts: dict[int, str] = {}  # open text blocks -> their own signature (held)
        self._calls = calls
        self._text_issuer = ""
        self._text_signatures = calls and raw_in is not None and carries_text_signatures(target)
        self._delta = sink.delta
        # Deltas go straight to the encoder while no blob is held (nearly always): the decoder
        # looks ``delta`` up on every event, so the held-blob check costs nothing until needed.
        self.delta: Callable[[int, str, Any], None] = sink.delta
        self.start = sink.start
        self.usage = sink.usage
        self.stop = sink.stop
        self.end = sink.end
        self.error = sink.error

    def block_start(self, index: int, block: Block) -> None:
        issuer = block.get("signature_format")
        if block.get("type") == "thinking" and issuer not in (None, self._target):
            self._held[index] = _Held(str(issuer), (block.get("extras") or {}).get(issuer))
            self.delta = self._held_delta
            block = {**block, "signature_format": self._target}
        elif block.get("type") == "redacted_thinking":
            block = seal_part(self._target, block)
        elif block.get("type") == "text" and self._text_signatures:
            self._texts[index] = ""  # its own signature may come as a raw delta (Gemini)
            self.delta = self._held_delta
        elif block.get("type") == "tool_call" and self._calls and block.get("extras"):
            carried = carry_call_signature(self._target, block)
            if carried is not None:
                if carried[0] is not None:  # (a Chat client: the call's id carries it)
                    self._carry(-1 - index, carried[0])
                block = carried[1]
        self._sink.block_start(index, block)

    def _carry(self, index: int, part: Block) -> None:
        """The thinking block carrying a call's signature (sealed: written as the client's own)."""
        self._sink.block_start(index, {k: v for k, v in part.items() if k != "signature"})
        self._signature_delta(index, part["signature"])
        self._sink.block_stop(index)

    def _held_delta(self, index: int, kind: str, value: Any) -> None:
        held = self._held.get(index)
        if held is None and index in self._texts and kind == "raw" and type(value) is dict:
            signature = (value.get("delta") or {}).get(self._raw_in)
            if type(signature) is str and signature and value.get("format") != self._target:
                self._texts[index] = signature  # a text part's own (the last one, as Gemini's parts)
                self._text_issuer = str(value.get("format"))
            else:
                self._delta(index, kind, value)
        elif held is None:
            self._delta(index, kind, value)
        elif kind == "signature" and type(value) is str:
            held.pieces.append(value)
        elif kind == "raw" and type(value) is dict:
            # A Gemini upstream's thoughtSignature; any other raw delta is the issuer's alone.
            signature = (value.get("delta") or {}).get(self._raw_in) if self._raw_in else None
            if value.get("format") == held.issuer and type(signature) is str:
                held.pieces.append(signature)
        else:
            self._delta(index, kind, value)

    def block_stop(self, index: int) -> None:
        held = self._held.pop(index, None)
        signature = self._texts.pop(index, None)
        if not self._held and not self._texts:
            self.delta = self._delta
        if held is not None and held.pieces:
            self._signature_delta(index, seal(held.issuer, "".join(held.pieces), held.extras))
        self._sink.block_stop(index)
        if signature:
            text = {"type": "text", "extras": {self._text_issuer: {self._raw_in: signature}}}
            carried = carry_text_signature(self._target, text, "prev")
            if carried is not None:
                self._carry(-1 - index, carried[0])

    def _signature_delta(self, index: int, envelope: str) -> None:
        if self._raw_out is None:
            self._delta(index, "signature", envelope)
        else:
            self._delta(index, "raw", {"format": self._target, "delta": {self._raw_out: envelope}})
