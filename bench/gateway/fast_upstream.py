"""A canned, fast fake upstream for the benchmark: raw asyncio HTTP/1.1, keep-alive.

It answers ``POST /v1/chat/completions`` (OpenAI) and ``POST /v1/messages``
(Anthropic) with fixed bodies rendered once by the demo renderers (so the wire
format is FakeUpstream's), JSON or SSE depending on ``"stream": true`` in the
request body. OpenAI's stream chunks are rewritten into the field order real
OpenAI sends (``"usage":null`` and ``"obfuscation"`` after ``choices``, as in
``fixtures/openai_chat/*/stream.sse``): the passthrough usage tap has a faster
path for chunks that end with ``"finish_reason":null}]}``, which real chunks do
not take. SSE goes out chunked, one chunk per event, all at once,
like the shared harness's nginx mock: the gateway's per-event cost is measured,
not a model's pace. Costs a few microseconds per request, so it is never the
bottleneck in front of a Python gateway.
"""

from __future__ import annotations

import asyncio

import orjson

from interlingua.server.fake_upstream.anthropic_messages import anthropic_json, anthropic_sse
from interlingua.server.fake_upstream.openai_chat import openai_json, openai_sse
from interlingua.server.fake_upstream.plan import Plan

TEXT = (
    "Hello! This is a fixed benchmark response from the mock upstream, "
    "streamed in twenty small pieces for testing."
)


def _plan() -> Plan:
    return Plan(text=TEXT, input_tokens=24, output_tokens=20)


def _json(body: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body)
    return head + body


def _real_openai_order(events: list[bytes]) -> list[bytes]:
    """Each ``data:`` chunk with ``usage`` moved after ``choices`` and an ``obfuscation``
    pad last, as OpenAI writes them (``[DONE]`` unchanged)."""
    out = []
    for event in events:
        data = event.removeprefix(b"data: ").removesuffix(b"\n\n")
        if data == b"[DONE]":
            out.append(event)
            continue
        chunk = orjson.loads(data)
        usage = chunk.pop("usage", None)
        chunk |= {"usage": usage, "obfuscation": "kQ3vX"}
        out.append(b"data: " + orjson.dumps(chunk) + b"\n\n")
    return out


def _sse(events: list[bytes]) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
    return head + chunks + b"0\r\n\r\n"


ANSWERS = {
    (b"/v1/chat/completions", False): _json(orjson.dumps(openai_json(_plan(), "mock-openai", "bench"))),
    (b"/v1/chat/completions", True): _sse(
        _real_openai_order(openai_sse(_plan(), "mock-openai", "bench", include_usage=True))
    ),
    (b"/v1/messages", False): _json(orjson.dumps(anthropic_json(_plan(), "mock-anthropic", "bench"))),
    (b"/v1/messages", True): _sse(anthropic_sse(_plan(), "mock-anthropic", "bench")),
}
# An OTLP/HTTP collector's answer (empty ExportTraceServiceResponse), for benches with tracing on.
ANSWERS[(b"/v1/traces", False)] = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n"
)
NOT_FOUND = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].lower()
            at = head.find(b"content-length:")
            length = (
                int(head[at + 15 : head.find(b"\r\n", at) if head.find(b"\r\n", at) > 0 else None])
                if at >= 0
                else 0
            )
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            path = head.split(b" ", 2)[1].split(b"?")[0]
            stream = b'"stream":true' in body or b'"stream": true' in body
            assert self.transport is not None
            self.transport.write(ANSWERS.get((path, stream), NOT_FOUND))


async def serve(host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(_Protocol, host, port, backlog=1024)
