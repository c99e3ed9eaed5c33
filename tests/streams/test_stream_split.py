"""feed() accepts bytes split anywhere (mid line, mid CRLF, mid UTF-8 character) with identical output."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .judges import translate
from .samples import SAMPLES

_CREATED = re.compile(rb'"created":\d+')


def _translate(raw: bytes | list[bytes], source: str, target: str) -> bytes:
    """Output with the clock-derived ``created`` (Anthropic upstreams have none) pinned."""
    return _CREATED.sub(b'"created":0', translate(raw, source, target))


def _split(raw: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(raw) + 1) for c in cuts})
    return [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]


@pytest.mark.parametrize("name", sorted(SAMPLES))
@pytest.mark.parametrize("target", ["openai_chat", "anthropic_messages"])
def test_stream_split_byte_by_byte_equals_whole(name: str, target: str) -> None:
    source, raw = SAMPLES[name]
    pieces = [raw[i : i + 1] for i in range(len(raw))]
    assert _translate(pieces, source, target) == _translate(raw, source, target)


@given(
    name=st.sampled_from(sorted(SAMPLES)),
    target=st.sampled_from(["openai_chat", "anthropic_messages"]),
    cuts=st.lists(st.integers(min_value=0, max_value=100_000), max_size=40),
    crlf=st.booleans(),
)
def test_stream_split_anywhere_gives_identical_output(name: str, target: str, cuts: list[int], crlf: bool) -> None:
    source, raw = SAMPLES[name]
    if crlf:
        raw = raw.replace(b"\n", b"\r\n")
    assert _translate(_split(raw, cuts), source, target) == _translate(raw, source, target)

