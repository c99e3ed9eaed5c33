"""Elements of one streamed JSON array, as they complete (Gemini's ``streamGenerateContent``
without ``?alt=sse``: ``[{...},\\r\\n{...}]`` arriving in pieces).

Same interface as :class:`~.sse.SSEParser` (``feed`` returns ``(None, element bytes)``
for the elements completed so far), so any stream decoder can read such a stream. It
tracks only nesting depth, strings and escapes; each element is parsed later by the
decoder.
"""

from __future__ import annotations

from interlingua.streams.sse import EventTooLarge

__all__ = ["JsonArrayParser"]

_OPEN = frozenset(b"[{")
_CLOSE = frozenset(b"]}")
_QUOTE, _BACKSLASH = 0x22, 0x5C


class JsonArrayParser:
    __slots__ = ("_depth", "_element", "_escape", "_in_string", "_max", "pending")

    def __init__(self, max_event_bytes: int = 16 * 1024 * 1024) -> None:
        self._depth = 0  # 1 = inside the outer array
        self._in_string = False
        self._escape = False
        self._element = bytearray()
        self._max = max_event_bytes
        # Bytes fed since the last whole element (separators, an unfinished element), which a
        # relay holds back so that an error element of its own follows a whole one.
        self.pending = 0

    def feed(self, data: bytes) -> list[tuple[str | None, bytes]]:  # noqa: C901 -- one per-byte loop: a call per byte would cost more
        out: list[tuple[str | None, bytes]] = []
        element = self._element
        for byte in data:
            if self._depth >= 2:
                element.append(byte)
            if self._in_string:
                if self._escape:
                    self._escape = False
                elif byte == _BACKSLASH:
                    self._escape = True
                elif byte == _QUOTE:
                    self._in_string = False
            elif byte == _QUOTE:
                self._in_string = True
            elif byte in _OPEN:
                self._depth += 1
                if self._depth == 2:
                    element.append(byte)
            elif byte in _CLOSE:
                self._depth -= 1
                if self._depth == 1:
                    out.append((None, bytes(element)))
                    element.clear()
        if len(element) > self._max:
            raise EventTooLarge(f"an upstream stream element exceeds {self._max} bytes")
        self.pending = _after_last(data, len(element)) if out else self.pending + len(data)
        return out

    def finish(self) -> list[tuple[str | None, bytes]]:
        """An unfinished element is dropped; the decoder reports the truncation."""
        self._element.clear()
        return []


_AFTER_ELEMENT = frozenset(b", \t\r\n]")  # separators, and the array's own end


def _after_last(data: bytes, unfinished: int) -> int:
    """How many bytes of ``data`` (in which an element ended) follow that element: the
    separators (or the closing bracket) before the ``unfinished`` element's bytes, and those.
    Elements are objects, so the last one ends at the ``}`` this stops at."""
    end = len(data) - unfinished
    while end > 0 and data[end - 1] in _AFTER_ELEMENT:
        end -= 1
    return len(data) - end
