"""The output a stream delivered to its client, estimated from the bytes it was sent: what
a stream cut before the upstream reported its usage is charged (the client hung up, or
the upstream died mid-stream).

The relay hands every chunk it sends the client to :class:`DeliveredText` (only for
requests whose token limits or budget need it: the limits feature asks in ``admit``). It
sums the JSON string values of the client format's generated-text fields (text, thinking,
tool-call arguments), one regular-expression scan per chunk; the fields that repeat the
whole text at the end (OpenAI Responses' ``*.done`` events) are not counted. The estimate
is a quarter of those bytes, and at least one token per non-empty piece (every delta
carries a token or more).
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


class DeliveredText:
    """Called with each chunk a stream's client is sent; :attr:`tokens` is the estimate."""

    __slots__ = ("_pattern", "pieces", "size")

    def __init__(self, fmt: Format) -> None:
        self._pattern = _TEXT[fmt]
        self.size = 0  # bytes of generated text (as JSON-escaped in the stream)
        self.pieces = 0  # non-empty text values

    def __call__(self, chunk: bytes) -> None:
        # A few C calls per chunk, however many pieces it holds (every chunk of the stream).
        found = self._pattern.findall(chunk)
        if found:
            self.size += sum(map(len, found))
            self.pieces += len(found) - found.count(b"")

    @property
    def tokens(self) -> int:
        return max(self.pieces, -(-self.size // 4))
