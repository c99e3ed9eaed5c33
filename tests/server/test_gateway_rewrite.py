"""replace_model: the top-level model spliced in place, or an equivalent re-serialisation when ambiguous."""

from __future__ import annotations

import orjson
import pytest

from interlingua.server.rewrite import replace_model


def _rewrite(raw: bytes, new: str) -> bytes:
    return replace_model(raw, orjson.loads(raw), new)


def test_rewrite_same_model_returns_same_bytes() -> None:
    raw = b'{"model":"a","messages":[]}'
    assert _rewrite(raw, "a") is raw


@pytest.mark.parametrize(
    ("raw", "old_value"),
    [
        (b'{"model":"a","messages":[]}', b'"a"'),
        (b'{ "messages" : [ ],\n  "model" :\t"a" }', b'"a"'),
        (b'{"messages":[{"content":"the \\"model\\": \\"a\\" text"}],"model":"a"}', b'"a"'),
        (b'{"model":"\\u0061","x":1.50}', b'"\\u0061"'),
    ],
)
def test_rewrite_splices_in_place(raw: bytes, old_value: bytes) -> None:
    out = _rewrite(raw, 'b"c')
    head, _, tail = raw.rpartition(old_value)
    assert out == head + b'"b\\"c"' + tail


def test_rewrite_keeps_number_spelling() -> None:
    assert _rewrite(b'{"model":"a","t":1.50,"n":1e3}', "b") == b'{"model":"b","t":1.50,"n":1e3}'


@pytest.mark.parametrize(
    "raw",
    [
        b'{"model":"a","tools":[{"input_schema":{"properties":{"model":{"type":"string"}}}}]}',
        b'{"tools":[{"model":"a"}],"model":"a"}',
        b'{"a\\"model":"a","model":"a"}',
    ],
)
def test_rewrite_ambiguous_reserialises_equivalently(raw: bytes) -> None:
    out = _rewrite(raw, "b")
    assert orjson.loads(out) == {**orjson.loads(raw), "model": "b"}
