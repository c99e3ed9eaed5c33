"""Bedrock fixtures' ``stream.jsonl`` as binary event streams.

The frame encoder is the runtime's (:mod:`interlingua.streams.eventstream`, also what the
fake upstream's Bedrock writes); it is checked against botocore's ``EventStreamBuffer`` and
the real recordings in tests/streams/test_stream_bedrock.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from interlingua.streams.eventstream import encode_event, encode_exception

__all__ = ["encode_jsonl"]


def encode_jsonl(lines: Iterable[str]) -> bytes:
    """``{"contentBlockDelta": {...}}`` per line (vercel-ai fixtures, fixtures/bedrock_converse/*/stream.jsonl)
    as a binary stream; a member ending in ``Exception`` becomes an exception frame."""
    out = bytearray()
    for line in lines:
        if not line.strip():
            continue
        ((name, payload),) = orjson.loads(line).items()
        if name.endswith("Exception"):
            out += encode_exception(name, str(payload.get("message", "")))
        else:
            out += encode_event(name, payload)
    return bytes(out)
