"""A test-side AWS event-stream frame encoder (botocore only decodes).

Frame layout: total length (u32 BE), headers length (u32 BE), prelude CRC32,
headers (name length u8, name, type 7 = string: u16 length + bytes), payload,
message CRC32 over everything before it. Checked against botocore's
``EventStreamBuffer`` and the real recordings in tests/streams/test_stream_bedrock.py.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from typing import Any

import orjson

__all__ = ["encode_event", "encode_exception", "encode_jsonl", "frame"]


def _header(name: str, value: str) -> bytes:
    raw_name, raw_value = name.encode(), value.encode()
    return struct.pack("B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    head = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(head) + len(payload) + 4
    prelude = struct.pack(">II", total, len(head))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + head + payload
    return body + struct.pack(">I", zlib.crc32(body))


def encode_event(event_type: str, payload: Any) -> bytes:
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return frame(headers, orjson.dumps(payload))


def encode_exception(exception_type: str, message: str) -> bytes:
    headers = {":exception-type": exception_type, ":content-type": "application/json", ":message-type": "exception"}
    return frame(headers, orjson.dumps({"message": message}))


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
