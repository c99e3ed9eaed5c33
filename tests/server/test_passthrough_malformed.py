"""Passthrough streams whose upstream turns malformed (issue 12): the client gets every whole,
valid event the upstream sent before the bad one, then its own format's error event, and
nothing of the bad bytes.

The fake's ``burst`` flag sends the good events and the bad bytes in one write, so the relay
sees them in one chunk and must cut inside it (the fault matrix covers the ordinary pacing).
Bedrock is judged frame by frame with the gateway's own (botocore-backed) frame parser.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson
import pytest
from conformance.judges import judge_stream
from server_helpers import make_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway
from interlingua.streams.eventstream import EventStreamParser
from interlingua.streams.sse import SSEParser
from interlingua.translate import Format

GOOD_EVENTS = 2
CALLS = {  # the demo route of each format, called as a stream by a client of that format
    Format.OPENAI_CHAT: ("/v1/chat/completions", {"model": "demo-gpt", "messages": [{"role": "user", "content": "hi"}]}),
    Format.ANTHROPIC_MESSAGES: (
        "/v1/messages",
        {"model": "demo-claude", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]},
    ),
    Format.OPENAI_RESPONSES: ("/v1/responses", {"model": "demo-responses", "input": "hi", "store": False}),
    Format.GEMINI: (
        "/v1beta/models/demo-gemini:streamGenerateContent?alt=sse",
        {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]},
    ),
    Format.BEDROCK_CONVERSE: (
        "/model/demo-bedrock/converse-stream",
        {"messages": [{"role": "user", "content": [{"text": "hi"}]}]},
    ),
}


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(make_config(upstream)) as url, httpx.AsyncClient(base_url=url, timeout=10) as c:
        yield c


def _events(fmt: Format, raw: bytes) -> list[tuple[str | None, bytes]]:
    if fmt is Format.BEDROCK_CONVERSE:
        parser = EventStreamParser()
        events = parser.feed(raw)
        assert parser.pending == 0, "a partial frame reached the client"
        return events
    parser_sse = SSEParser()
    return parser_sse.feed(raw) + parser_sse.finish()


async def _stream(client: httpx.AsyncClient, upstream: FakeUpstream, fmt: Format, fault: str) -> bytes:
    path, body = CALLS[fmt]
    if fmt in (Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES):
        body = {**body, "stream": True}
    with upstream.faulty(fault):
        resp = await client.post(path, json=body)
    assert resp.status_code == 200, resp.text[:300]
    return resp.content


@pytest.mark.parametrize("fmt", list(CALLS), ids=[f.value for f in CALLS])
@pytest.mark.parametrize("fault", ["garbage-after", "truncate-after"])
async def test_passthrough_relays_the_good_events_then_its_error(
    client: httpx.AsyncClient, upstream: FakeUpstream, fmt: Format, fault: str
) -> None:
    raw = await _stream(client, upstream, fmt, f"{fault}:{GOOD_EVENTS},burst")
    events = _events(fmt, raw)
    assert len(events) == GOOD_EVENTS + 1, events
    for _, data in events:
        assert isinstance(orjson.loads(data), dict), data  # nothing of the bad bytes
    verdict = judge_stream(fmt, raw, strict=False)
    assert verdict.error is not None, raw[-300:]
    if fmt is Format.BEDROCK_CONVERSE:
        assert str(events[-1][0]).startswith("exception:"), events[-1]


@pytest.mark.parametrize("fmt", list(CALLS), ids=[f.value for f in CALLS])
async def test_passthrough_relays_the_upstream_error_event_verbatim(
    client: httpx.AsyncClient, upstream: FakeUpstream, fmt: Format
) -> None:
    """The upstream's own error event is a proper ending, not a malformed one: relayed as sent."""
    raw = await _stream(client, upstream, fmt, f"error-after:{GOOD_EVENTS},burst,message:fake overload")
    events = _events(fmt, raw)
    assert len(events) == GOOD_EVENTS + 1, events
    assert b"fake overload" in events[-1][1]


async def test_passthrough_gemini_json_array_with_a_body_that_is_not_json_stays_valid(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """Gemini without ``alt=sse`` streams one JSON array: a broken upstream body used to be
    relayed raw, then the error element spliced on (``"index": 0,,\\r\\n{"error": ...}]``)."""
    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    with upstream.faulty("bad-json"):
        resp = await client.post("/v1beta/models/demo-gemini:streamGenerateContent", json=body)
    assert resp.status_code == 200
    elements = orjson.loads(resp.content)
    assert [set(e) for e in elements] == [{"error"}], elements
    assert elements[0]["error"]["code"] == 502
