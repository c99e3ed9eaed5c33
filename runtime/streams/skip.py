"""Which events a passthrough tap may leave unparsed: those that only carry content.

Most events of a stream are content deltas, which say nothing about usage, the stop or the
end. :attr:`Skipping.content` tells them apart after the SSE parser (by event name, or for
OpenAI chat by a chunk that says ``"finish_reason":null`` and carries no usage object or
error); anything it cannot rule out is parsed.

:attr:`Skipping.raw` goes one step earlier, for the common shape of a stream (LF line ends,
each event one ``data:`` line, or an ``event:`` line and one ``data:`` line): it drops
content events from the raw SSE text with a few byte searches over the whole text, so a
content delta costs neither the SSE parser nor a Python call. It only drops what
``content`` would skip; whatever does not have that shape is left for the parser.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from interlingua.streams.spec import ChunkedSpec, ItemsSpec, StreamSpec, TypedBlocksSpec

__all__ = ["Skipping", "skipping"]

# Typed-block events that only carry content (Anthropic's, and Bedrock's event-stream names).
_CONTENT_EVENTS = frozenset(
    {
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "ping",
        "contentBlockStart",
        "contentBlockDelta",
        "contentBlockStop",
    }
)
# Their ``event:`` lines as servers write them (other spellings are left to the parser).
_CONTENT_LINES = frozenset(prefix + name.encode() for name in _CONTENT_EVENTS for prefix in (b"event: ", b"event:"))
_FINISH_NULL = b'"finish_reason":null'
_FINISH_NULL_END = b'"finish_reason":null}]}'  # where the chunk ends when OpenAI adds nothing after it
_LF = 10  # ord("\n"): ``in`` takes an int needle as one byte (memchr), with no TypeError
_NEXT_EVENT = b"\n\ndata:"  # between two one-line data: events
_KEEP_MARKERS = (b'"usage":{', b'"error"')  # a chunk with either is parsed, whatever else it says
# Where a run of content chunks ends: the markers above, a finish reason, the terminal event.
# Inside JSON strings quotes are escaped, so only ``[DONE]`` can also occur in content text;
# the run then ends early and the rest is judged event by event, which is only slower.
_RUN_ENDS = (*_KEEP_MARKERS, b'"finish_reason":"', b"[DONE]")


def _never(name: str | None, data: bytes) -> bool:
    return False


def _chunked_content(name: str | None, data: bytes) -> bool:
    # An ``error`` event is the upstream's error whatever its data says (the decoder's rule).
    # find() rather than ``in``: CPython's bytes ``in`` first tries its operand as an int
    # and raises and clears a TypeError for a bytes one, which costs more than the search.
    return (
        name != "error"
        and data.find(_FINISH_NULL) >= 0
        and data.find(b'"usage":{') < 0
        and data.find(b'"error"') < 0
    )


def _blocks_content(name: str | None, data: bytes) -> bool:
    return name in _CONTENT_EVENTS


def _items_content(name: str | None, data: bytes) -> bool:
    # Deltas only: added/done items say what was produced (a function call means tool_use).
    return name is not None and name.endswith(".delta")


def _sse(events: list[bytes]) -> bytes:
    return b"\n\n".join(events) + b"\n\n" if events else b""


def _chunked_raw(text: bytes) -> bytes:
    if _LF not in text:  # one event, as upstreams flush them
        return b"" if text[:5] == b"data:" and _chunked_content(None, text) else text + b"\n\n"
    # The events before the first thing that ends a run of content chunks (usage and error
    # markers are rare and the finish chunk comes last) are checked as one piece, with no
    # Python step per event.
    found = [at for at in map(text.find, _RUN_ENDS) if at >= 0]
    end = text.rfind(b"\n\n", 0, min(found)) if found else len(text)
    if end > 0 and _content_run(text[:end]):
        return _chunked_lines(text[end + 2 :])
    return _chunked_lines(text)


def _content_run(events: bytes) -> bool:
    """Whether LF-framed SSE ``events``, holding none of :data:`_RUN_ENDS`, are all content
    chunks: one-line ``data:`` events, one blank line apart (no other line break), with one
    ``"finish_reason":null`` each. Counted over the whole text (four C-level searches), so
    the field order does not matter (real OpenAI chunks end with ``"usage":null`` and an
    ``obfuscation`` pad). What the counts cannot tell apart: one event with two null finish
    reasons (two choices in one chunk, which OpenAI does not send: each choice streams in
    chunks of its own) beside one with none; that other event holds no usage, finish reason,
    error or end marker either, so the tap would miss at most its being malformed."""
    if events[:5] != b"data:":
        return False
    n = events.count(_NEXT_EVENT) + 1
    return events.count(b"\n") == 2 * (n - 1) and events.count(_FINISH_NULL) == n


def _chunked_lines(text: bytes) -> bytes:
    if not text:
        return b""
    lines = text.split(b"\n")
    if any(lines[1::2]):  # not one-line events, one blank line apart: the parser judges them
        return text + b"\n\n"
    events = lines[::2]  # each one line: a data: line's text is its data with a prefix of no quote
    found = [at for at in map(text.find, _KEEP_MARKERS) if at >= 0]
    plain = text.count(b"\n", 0, min(found)) // 2 if found else len(events)
    # Slices and ``find`` rather than startswith/endswith and ``in``: the same test without a
    # method call or a raised TypeError (see _chunked_content) per content event.
    tail = -len(_FINISH_NULL_END)
    kept = [
        event
        for event in events[:plain]
        if not (event[:5] == b"data:" and (event[tail:] == _FINISH_NULL_END or event.find(_FINISH_NULL) >= 0))
    ]
    kept += [event for event in events[plain:] if not (event[:5] == b"data:" and _chunked_content(None, event))]
    return _sse(kept)


def _named_raw(text: bytes, content_line: Callable[[bytes], bool]) -> bytes:
    """Events of an ``event:`` line and a ``data:`` line; ``content_line``: an ``event:``
    line ``content`` skips."""
    lines = text.split(b"\n")
    if len(lines) == 2:  # one event, as upstreams flush them
        keep = not (content_line(lines[0]) and lines[1].startswith(b"data:"))
        return text + b"\n\n" if keep else b""
    if len(lines) % 3 != 2 or any(lines[2::3]):  # not all two-line events: the parser judges them
        return text + b"\n\n"
    names, datas = lines[::3], lines[1::3]
    kept = [
        name + b"\n" + data
        for name, data in zip(names, datas, strict=True)
        if not (content_line(name) and data.startswith(b"data:"))
    ]
    return _sse(kept)


def _blocks_raw(text: bytes) -> bytes:
    return _named_raw(text, _CONTENT_LINES.__contains__)


def _items_line(line: bytes) -> bool:
    return line.startswith(b"event:") and line.endswith(b".delta")


def _items_raw(text: bytes) -> bytes:
    return _named_raw(text, _items_line)


class Skipping(NamedTuple):
    """How a format's content events are told apart."""

    content: Callable[[str | None, bytes], bool]  # a parsed event (name, data) that can be skipped
    # Complete LF-framed SSE events (the text up to their last blank line, exclusive) -> the
    # SSE text of those that may matter; None where the format skips nothing.
    raw: Callable[[bytes], bytes] | None


def skipping(spec: StreamSpec) -> Skipping:
    """The format's own grammar for what carries only content."""
    if isinstance(spec, ChunkedSpec):
        return Skipping(_chunked_content, _chunked_raw)
    if isinstance(spec, TypedBlocksSpec):
        return Skipping(_blocks_content, _blocks_raw)
    if isinstance(spec, ItemsSpec):
        return Skipping(_items_content, _items_raw)
    return Skipping(_never, None)
