"""The output a stream delivered to its client, estimated from the bytes it was sent: what
a stream cut before the upstream reported its usage is charged (the client hung up, or
the upstream died mid-stream).

The relay hands every chunk it sends the client to :class:`DeliveredText` (only for
requests whose token limits or budget need it: the limits feature asks in ``admit``). The
estimate sums the JSON string values of the client format's generated-text fields (text,
thinking, tool-call arguments), one regular-expression scan per chunk; the fields that
repeat the whole text at the end (OpenAI Responses' ``*.done`` events) are not counted. It
is a quarter of those bytes, and at least one token per non-empty piece (every delta
carries a token or more).

The estimate is only read for a stream that was cut, which is rare: a stream that ends
normally reports its usage. So a chunk is only kept (by reference: the bytes object the
relay sent, no copy) and scanned when the estimate is read, or once the kept chunks pass
``_SCAN_AT`` bytes (a long stream then pays the scans in batches, as before, and holds at
most that much more than the chunk in flight). Per chunk that is an append and an
addition instead of a regular-expression scan, on every token-limited stream.
"""

from __future__ import annotations

import re

from interlingua.translate import Format

__all__ = ["DeliveredText"]


def _fields(*names: str) -> re.Pattern[bytes]:
    alternatives = "|".join(names)
    return re.compile(rb'"(?:' + alternatives.encode() + rb')"\s*:\s*"((?:[^"\\]|\\.)*)"')


# Per client format, the fields that carry generated output in its stream.
_TEXT = {
    Format.OPENAI_CHAT: _fields("content", "reasoning_content", "reasoning", "refusal", "arguments"),
    Format.OPENAI_RESPONSES: _fields("delta"),
    Format.ANTHROPIC_MESSAGES: _fields("text", "thinking", "partial_json"),
    Format.GEMINI: _fields("text"),
    Format.BEDROCK_CONVERSE: _fields("text", "input"),
}


# Bytes of sent chunks kept unscanned per stream: bounds the memory a long stream holds.
_SCAN_AT = 64 * 1024


class DeliveredText:
    """Called with each chunk a stream's client is sent; :attr:`tokens` is the estimate."""

    __slots__ = ("_kept", "_kept_size", "_pattern", "_pieces", "_size")

    def __init__(self, fmt: Format) -> None:
        self._pattern = _TEXT[fmt]
        self._kept: list[bytes] = []  # sent, not scanned yet
        self._kept_size = 0
        self._size = 0  # bytes of generated text (as JSON-escaped in the stream)
        self._pieces = 0  # non-empty text values

    def __call__(self, chunk: bytes) -> None:
        self._kept.append(chunk)
        self._kept_size += len(chunk)
        if self._kept_size > _SCAN_AT:
            self._scan()

    def _scan(self) -> None:
        # Chunk by chunk (not joined): a field is never matched across two chunks.
        findall = self._pattern.findall
        for chunk in self._kept:
            found = findall(chunk)
            if found:
                self._size += sum(map(len, found))
                self._pieces += len(found) - found.count(b"")
        self._kept.clear()
        self._kept_size = 0

    @property
    def tokens(self) -> int:
        self._scan()
        return max(self._pieces, -(-self._size // 4))
