"""The delivered-output estimate of a cut stream: the same whether its chunks are scanned
as they are kept or in batches once they pass the bound on kept bytes."""

from __future__ import annotations

from interlingua.server.limits import delivered
from interlingua.server.limits.delivered import DeliveredText
from interlingua.translate import Format

_DELTA = b'data: {"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'


def test_delivered_scans_long_streams_in_batches_with_the_same_estimate() -> None:
    texts = [b"abc" * (i % 7) for i in range(5000)]  # ~450 KB sent, some pieces empty
    counted = DeliveredText(Format.OPENAI_CHAT)
    for text in texts:
        counted(_DELTA % text)
        assert counted._kept_size <= delivered._SCAN_AT  # never more kept than the bound
    pieces = sum(1 for t in texts if t)
    size = sum(len(t) for t in texts)
    assert counted.tokens == max(pieces, -(-size // 4))
    assert counted.tokens == counted.tokens  # reading it twice counts nothing twice


def test_delivered_counts_nothing_for_chunks_without_generated_text() -> None:
    counted = DeliveredText(Format.ANTHROPIC_MESSAGES)
    counted(b'event: ping\ndata: {"type":"ping"}\n\n')
    assert counted.tokens == 0
    counted(b'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"text":"Hello"}}\n\n')
    assert counted.tokens == 2
