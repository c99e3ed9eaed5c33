"""Incremental Server-Sent Events parsing and framing.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

The parser takes bytes split anywhere (mid line, mid CRLF, mid UTF-8
character) and returns each event as soon as its blank line arrives. It works
on bytes: line breaks are ASCII, so a split inside a multi-byte character is
simply kept in the buffer, and ``orjson`` parses the bytes directly.
"""

from __future__ import annotations

__all__ = ["MAX_EVENT_BYTES", "EventTooLarge", "SSEEvent", "SSEParser", "frame"]

# (event name or None, data bytes: the data lines joined with "\n")
SSEEvent = tuple[str | None, bytes]

_DATA = b"data:"
_EVENT = b"event:"
# Line breaks as int needles: ``in`` searches bytes for an int with memchr, while a bytes
# needle first fails as an int (CPython 3.11 raises and clears a TypeError on every call).
_LF, _CR = 10, 13
_COLON = 58  # ord(":"): a line starting with it is a comment (": keep-alive")
_BOM = b"\xef\xbb\xbf"  # a UTF-8 byte order mark may open the stream; the spec ignores it


MAX_EVENT_BYTES = 16 * 1024 * 1024  # a parser's default limit on one event


class EventTooLarge(ValueError):
    """One SSE event (or line) is larger than the parser's limit."""


class SSEParser:
    """One stream's parser. ``feed`` returns the events completed so far.

    A partial line waits in a ``bytearray`` (amortised appends; only new bytes
    are scanned for line breaks), and one event may hold at most ``max_event_bytes``:
    beyond that :class:`EventTooLarge` is raised rather than buffering without bound.
    """

    __slots__ = ("_buffer", "_data", "_event", "_max", "_skip_lf", "_started")

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self._buffer = bytearray()
        self._event: str | None = None
        self._data: bytes | None = None
        self._max = max_event_bytes
        # The previous chunk ended with CR: a LF starting this one belongs to it.
        self._skip_lf = False
        self._started = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if not self._started:
            self._started = True
            chunk = chunk.removeprefix(_BOM)
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if _LF not in chunk and _CR not in chunk:
            self._buffer += chunk
            self._check_size(len(self._buffer))
            return []
        buffer = bytes(self._buffer) + chunk if self._buffer else chunk
        if _CR in buffer:
            self._skip_lf = buffer.endswith(b"\r")
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        self._buffer = bytearray(lines.pop())
        self._check_size(len(self._buffer))
        return self._lines(lines)

    def at_event_start(self, chunk: bytes) -> bool:
        """Whether ``chunk`` can be split into events without parsing: nothing is buffered
        (the last event ended), and ``chunk`` has no CR, no BOM and fits the size limit.
        Then each ``\n\n`` in ``chunk`` ends an event, and feeding the pieces between them
        (each followed by its ``\n\n``) one at a time is the same as feeding ``chunk``,
        so a caller may drop pieces it knows it does not need."""
        if self._buffer or self._data is not None or self._event is not None or self._skip_lf:
            return False
        if _CR in chunk or len(chunk) > self._max:
            return False
        if not self._started:
            if chunk.startswith(_BOM):
                return False
            self._started = True  # what feed would do: no BOM to remove
        return True

    def finish(self) -> list[SSEEvent]:
        """The end of the body: an unterminated last line or event still counts
        (lenient: some servers omit the final blank line)."""
        if not self._buffer and self._data is None:  # the last event ended: nothing to read
            self._event = None
            return []
        lines = [bytes(self._buffer)] if self._buffer else []
        self._buffer = bytearray()
        lines.append(b"")
        return self._lines(lines)

    def _check_size(self, size: int) -> None:
        if size + (len(self._data) if self._data else 0) > self._max:
            raise EventTooLarge(f"an upstream stream event exceeds {self._max} bytes")

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data is not None:
                    events.append((self._event, data))
                    data = None
                self._event = None
            elif line[0] == _COLON:
                continue
            elif line.startswith(_DATA):
                value = line[6:] if line[5:6] == b" " else line[5:]
                data = value if data is None else data + b"\n" + value
                if len(data) > self._max:
                    raise EventTooLarge(f"an upstream stream event exceeds {self._max} bytes")
            elif line.startswith(_EVENT):
                self._event = line[6:].strip().decode("utf-8", "replace")
            # id:, retry: and unknown fields carry nothing a translator needs.
        self._data = data
        return events


def frame(data: bytes, event: str | None = None) -> bytes:
    """One SSE event: optional ``event:`` line, one ``data:`` line, blank line."""
    if event is None:
        return b"data: " + data + b"\n\n"
    return b"event: " + event.encode() + b"\ndata: " + data + b"\n\n"
