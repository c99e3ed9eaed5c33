"""Shared stream runtime: provider SSE -> IR stream events -> provider SSE.

Layout:

- :mod:`.sse`: incremental SSE parser and framing;
- :mod:`.spec`: the table types each format's generated ``<format>_stream.py`` fills in
  (from ``codegen/rules/<format>.stream.yaml``); :mod:`.registry` loads them;
- :mod:`.events`: the IR stream events as a call interface (:class:`IRSink`),
  plus :class:`EventCollector`/:func:`replay` for the dict form of specs/ir/stream.json;
- :mod:`.decode_chunked` / :mod:`.encode_chunked`: the "chunked deltas" style (OpenAI Chat);
- :mod:`.decode_blocks` / :mod:`.encode_blocks`: the "typed block events" style (Anthropic);
- :mod:`.usage`, :mod:`.errors`, :mod:`.state`: shared pieces;
- :mod:`.translator`: :class:`StreamTranslator`, wiring a decoder to an encoder.
"""

from __future__ import annotations

from interlingua.streams.errors import render_stream_error
from interlingua.streams.events import EventCollector, IRSink, replay
from interlingua.streams.translator import StreamTranslator, make_decoder, make_encoder

__all__ = [
    "EventCollector",
    "IRSink",
    "StreamTranslator",
    "make_decoder",
    "make_encoder",
    "render_stream_error",
    "replay",
]
