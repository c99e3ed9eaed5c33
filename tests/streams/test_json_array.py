"""The JSON-array stream parser (Gemini without ``alt=sse``): elements as they complete, and
how many bytes follow the last whole one (what a passthrough relay holds back)."""

from __future__ import annotations

import pytest

from interlingua.streams.json_array import JsonArrayParser

STREAM = b'[{"a": "x}],{"},\r\n{"b": [1, {"c": "\\"}"}]},\r\n{"d": 2}]'
ELEMENTS = [b'{"a": "x}],{"}', b'{"b": [1, {"c": "\\"}"}]}', b'{"d": 2}']


@pytest.mark.parametrize("piece", [1, 2, 3, 7, len(STREAM)])
def test_json_array_elements_and_pending_at_every_split(piece: int) -> None:
    parser, seen, relayed = JsonArrayParser(), [], 0
    for start in range(0, len(STREAM), piece):
        seen += [data for _, data in parser.feed(STREAM[start : start + piece])]
        fed = min(start + piece, len(STREAM))
        whole = STREAM[: fed - parser.pending]  # what a relay may pass on now
        assert len(whole) >= relayed  # never takes back what it passed on
        relayed = len(whole)
        if seen:
            assert whole.endswith(seen[-1])  # ends exactly after the last whole element
        else:
            assert whole == b""
    assert seen == ELEMENTS
    assert STREAM[relayed:] == b"]"  # the array's end waits for the stream's end
