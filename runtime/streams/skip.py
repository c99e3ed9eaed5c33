"""Which events a passthrough tap may leave unparsed: those that only carry content.

Most events of a stream are content deltas, which say nothing about usage, the stop or the
end. :attr:`Skipping.content` tells them apart after the SSE parser (by event name, or for
OpenAI chat by a chunk that says ``"finish_reason":null`` and carries no usage object or
error); anything it cannot rule out is parsed.

:attr:`Skipping.raw` goes one step earlier, for the common shape of a stream (LF line ends,
each event one ``data:`` line, or an ``event:`` line and one ``data:`` line): it drops
content events from the raw SSE text with a few byte searches over the whole text, so a
content delta costs neither the SSE parser nor a Python call, and reads the events left as
the parser would (name, data), for the decoder directly. It only drops what ``content``
would skip; whatever does not have that shape is left for the parser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import methodcaller
from typing import NamedTuple

from interlingua.streams.spec import ChunkedSpec, ItemsSpec, StreamSpec, TypedBlocksSpec
from interlingua.streams.sse import SSEEvent

__all__ = ["Kept", "Skipping", "skipping"]

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


# What a raw filter gives back: the events that may matter, in order, as the SSE parser would
# give them (name, data), then SSE text the parser still has to judge (after those events).
Kept = tuple[Sequence[SSEEvent], bytes]
_NOTHING: Kept = ((), b"")


def _parse(text: bytes) -> Kept:
    """``text`` is not in the shape the filter reads: the parser judges all of it."""
    return (), text + b"\n\n"


def _data(line: bytes) -> bytes:
    """A ``data:`` line's value, as the SSE parser reads it (one optional space dropped)."""
    return line[6:] if line[5:6] == b" " else line[5:]


def _chunked_raw(text: bytes) -> Kept:
    if _LF not in text:  # one event, as upstreams flush them
        if text[:5] != b"data:":
            return _parse(text)
        data = _data(text)
        # _chunked_content's test, inline: this runs for every content event of a stream.
        if data.find(_FINISH_NULL) >= 0 and data.find(b'"usage":{') < 0 and data.find(b'"error"') < 0:
            return _NOTHING
        return ((None, data),), b""
    # The events before the first thing that ends a run of content chunks (usage and error
    # markers are rare and the finish chunk comes last) are checked as one piece, with no
    # Python step per event. -1 (not found) sorts first; the text's length ends the list.
    found = [*map(text.find, _RUN_ENDS), len(text)]
    found.sort()
    first = found[found.count(-1)]
    end = text.rfind(b"\n\n", 0, first) if first < len(text) else first
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


def _chunked_lines(text: bytes) -> Kept:
    """The events after a content run (the finish, usage and end events, as a rule): few, so
    one plain loop with no call per event."""
    if not text:
        return _NOTHING
    lines = text.split(b"\n")
    if any(lines[1::2]):  # not one-line events, one blank line apart: the parser judges them
        return _parse(text)
    kept: list[SSEEvent] = []
    for line in lines[::2]:
        # A one-line event that is not a data: line (a comment, a lone event: or id: line)
        # gives the parser no event. Slices and find(), not startswith and ``in``: see
        # _chunked_content.
        if line[:5] == b"data:":
            data = line[6:] if line[5:6] == b" " else line[5:]  # _data, inline: a call per event less
            if data.find(_FINISH_NULL) < 0 or data.find(b'"usage":{') >= 0 or data.find(b'"error"') >= 0:
                kept.append((None, data))
    return kept, b""


def _named_raw(text: bytes, content_line: Callable[[bytes], bool]) -> Kept:
    """Events of an ``event:`` line and a ``data:`` line; ``content_line``: whether such an
    ``event:`` line names an event ``content`` skips (a C-level test: it runs per event)."""
    lines = text.split(b"\n")
    if len(lines) == 2:  # one event, as upstreams flush them
        name, data = lines
        if name[:6] != b"event:" or data[:5] != b"data:":
            return _parse(text)
        return _NOTHING if content_line(name) else ((_named(name, data),), b"")
    if len(lines) % 3 != 2 or any(lines[2::3]):  # not all two-line events: the parser judges them
        return _parse(text)
    kept: list[SSEEvent] = []
    for name, data in zip(lines[::3], lines[1::3], strict=True):
        if name[:6] != b"event:" or data[:5] != b"data:":
            return _parse(text)
        if not content_line(name):
            kept.append(_named(name, data))
    return kept, b""


def _named(name: bytes, data: bytes) -> SSEEvent:
    """An ``event:`` line and a ``data:`` line as the SSE parser reads them."""
    return name[6:].strip().decode("utf-8", "replace"), _data(data)


def _blocks_raw(text: bytes) -> Kept:
    return _named_raw(text, _CONTENT_LINES.__contains__)


_items_line = methodcaller("endswith", b".delta")  # after _named_raw found the event: prefix


def _items_raw(text: bytes) -> Kept:
    return _named_raw(text, _items_line)


class Skipping(NamedTuple):
    """How a format's content events are told apart."""

    content: Callable[[str | None, bytes], bool]  # a parsed event (name, data) that can be skipped
    # Complete LF-framed SSE events (the text up to their last blank line, exclusive) -> the
    # events that may matter (the parser's own reading, so they go straight to the decoder)
    # and any text the parser still has to judge; None where the format skips nothing.
    raw: Callable[[bytes], Kept] | None


def skipping(spec: StreamSpec) -> Skipping:
    """The format's own grammar for what carries only content."""
    if isinstance(spec, ChunkedSpec):
        return Skipping(_chunked_content, _chunked_raw)
    if isinstance(spec, TypedBlocksSpec):
        return Skipping(_blocks_content, _blocks_raw)
    if isinstance(spec, ItemsSpec):
        return Skipping(_items_content, _items_raw)
    return Skipping(_never, None)
