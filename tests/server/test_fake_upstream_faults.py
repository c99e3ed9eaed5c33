"""The fake upstream's fault modes, called directly (no gateway): each sends what its
documentation in ``server/fake_upstream/faults.py`` says. The gateway's handling of them is
``test_fault_matrix.py``."""

from __future__ import annotations

import httpx
import orjson
import pytest
from botocore.credentials import ReadOnlyCredentials
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from interlingua.aws_sigv4 import sign
from interlingua.server.fake_upstream import (
    DEMO_AWS_ACCESS_KEY_ID,
    DEMO_AWS_SECRET_ACCESS_KEY,
    DEMO_UPSTREAM_KEY,
    FakeUpstream,
    parse_fault,
)
from interlingua.server.fake_upstream.faults import HUGE_ERROR_BYTES

CHAT = {"model": "m", "messages": [{"role": "user", "content": "q"}]}
KEY = {"authorization": f"Bearer {DEMO_UPSTREAM_KEY}"}


async def _chat(up: FakeUpstream, fault: str, *, stream: bool = False) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(
            f"{up.openai_base_url}/chat/completions",
            json={**CHAT, "stream": stream},
            headers={**KEY, "x-fake-fault": fault},
        )


def test_fake_upstream_faults_parse_flags_and_values() -> None:
    fault = parse_fault("truncate-after:2, echo-key, huge-body:10")
    assert (fault.truncate_after, fault.echo_key, fault.huge_body, fault.cut_at()) == (2, True, 10, 2)
    with pytest.raises(ValueError, match="takes no value"):
        parse_fault("bad-json:1")
    with pytest.raises(ValueError, match="unknown fault"):
        parse_fault("bad-json-please")


async def test_fake_upstream_faults_truncate_ends_mid_line(up: FakeUpstream) -> None:
    resp = await _chat(up, "truncate-after:2", stream=True)
    assert resp.status_code == 200
    assert resp.content.count(b"\n\ndata: ") == 2  # two whole events, then part of a third
    assert not resp.content.endswith(b"\n")


async def test_fake_upstream_faults_garbage_is_an_event_that_is_not_json(up: FakeUpstream) -> None:
    resp = await _chat(up, "garbage-after:1", stream=True)
    last = resp.content.split(b"\n\n")[-2]
    assert last.startswith(b"data: ")
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(last[6:])


async def test_fake_upstream_faults_bedrock_garbage_fails_its_checksum(up: FakeUpstream) -> None:
    url = f"{up.bedrock_base_url}/model/m/converse-stream"
    body = orjson.dumps({"messages": [{"role": "user", "content": [{"text": "q"}]}]})
    headers = {"content-type": "application/json", "x-fake-fault": "garbage-after:1"}
    creds = ReadOnlyCredentials(DEMO_AWS_ACCESS_KEY_ID, DEMO_AWS_SECRET_ACCESS_KEY, None)
    headers |= sign("POST", url, headers, body, "us-east-1", creds)
    async with httpx.AsyncClient(timeout=10) as client:
        resp = await client.post(url, content=body, headers=headers)
    buffer = EventStreamBuffer()
    buffer.add_data(resp.content)
    frames = iter(buffer)
    assert next(frames).headers[":event-type"] == "messageStart"
    with pytest.raises(ChecksumMismatch):
        next(frames)


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("html-error:502", 502, "text/html"),
        ("raw-error:500", 500, "text/plain"),
        ("bad-json", 200, "application/json"),
        ("redirect:307", 307, None),
    ],
)
async def test_fake_upstream_faults_replace_the_answer(
    up: FakeUpstream, fault: str, status: int, content_type: str | None
) -> None:
    resp = await _chat(up, fault)
    assert resp.status_code == status
    if content_type:
        assert resp.headers["content-type"].startswith(content_type)
    if status == 307:
        assert resp.headers["location"] == f"{up.base_url}/moved/v1/chat/completions"
    if fault == "bad-json":
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(resp.content)


async def test_fake_upstream_faults_huge_error_is_valid_json(up: FakeUpstream) -> None:
    resp = await _chat(up, "huge-error:500")
    assert resp.status_code == 500
    assert len(resp.json()["error"]["message"]) > HUGE_ERROR_BYTES > 1 << 20


async def test_fake_upstream_faults_huge_body_pads_a_plain_answer(up: FakeUpstream) -> None:
    resp = await _chat(up, "huge-body:3000000")
    assert len(resp.json()["padding"]) == 3_000_000
    assert resp.json()["choices"][0]["message"]["content"]


async def test_fake_upstream_faults_echo_key_quotes_the_credential(up: FakeUpstream) -> None:
    resp = await _chat(up, "status:401,echo-key")
    assert DEMO_UPSTREAM_KEY in resp.json()["error"]["message"]
    assert resp.headers["x-ratelimit-limit-requests"] == DEMO_UPSTREAM_KEY


async def test_fake_upstream_faults_json_to_stream_answers_plain_json(up: FakeUpstream) -> None:
    resp = await _chat(up, "json-to-stream", stream=True)
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json()["object"] == "chat.completion"


async def test_fake_upstream_faults_faulty_block_applies_to_every_request(up: FakeUpstream) -> None:
    with up.faulty("status:503"):
        assert (await _chat(up, "")).status_code == 503
        assert (await _chat(up, "")).status_code == 503
    assert (await _chat(up, "")).status_code == 200
