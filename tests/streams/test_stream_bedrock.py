"""Bedrock ConverseStream as an upstream: binary event-stream frames to every client format.

The frames come from the fixtures' ``stream.jsonl`` (encoded by the runtime's frame encoder, which
is itself checked byte for byte against real recorded frames) and from the recordings.
Judges: the client SDKs' accumulators (``conformance.judges``) against what boto3's own
reader (botocore ``EventStream``) makes of the same bytes.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from botocore.eventstream import EventStreamBuffer
from conformance import judges_bedrock
from conformance.corpus import FORMATS, cases
from conformance.digest import assert_kept, assert_usage_kept, response_digest
from conformance.judges import judge_stream
from conformance.run import may_hold
from conformance.sse import feed_in_pieces, sse_json
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from interlingua.errors import UpstreamTimeout
from interlingua.streams.eventstream import (
    EventStreamParser,
    MalformedFrame,
    encode_event,
    encode_exception,
    encode_frame,
)
from interlingua.translate import Format, StreamTranslator

from .bedrock_frames import encode_jsonl

BEDROCK = Format.BEDROCK_CONVERSE
TARGETS = [f for f in FORMATS if f is not Format.BEDROCK_CONVERSE]  # Bedrock to Bedrock is passthrough
CASES = [c for c in cases("stream.jsonl") if c.fmt is BEDROCK]
PAIRS = [pytest.param(c, t, id=f"{c.name}-to-{t.value}") for c in CASES for t in TARGETS]
RECORDINGS = Path(__file__).resolve().parents[3] / "shared" / "reference" / "recordings"


def _raw(case: Any) -> bytes:
    return encode_jsonl((case.path / "stream.jsonl").read_text("utf-8").splitlines())


def _translate(pieces: Any, target: Format) -> bytes:
    translator = StreamTranslator(source=BEDROCK, target=target)
    return b"".join([*(translator.feed(p) for p in pieces), translator.finish()])


def _recorded_streams() -> list[Any]:
    found = []
    for path in sorted(RECORDINGS.glob("pydantic-ai/**/*bedrock*.yaml")):
        for n, interaction in enumerate(yaml.safe_load(path.read_text("utf-8"))["interactions"]):
            body = (interaction["response"].get("body") or {}).get("string")
            if isinstance(body, bytes) and "converse-stream" in interaction["request"]["uri"]:
                found.append(pytest.param(body, id=f"{path.stem}#{n}"))
    return found or [pytest.param(b"", marks=pytest.mark.skip(reason="recordings absent"), id="absent")]


@pytest.mark.parametrize("raw", _recorded_streams())
def test_frame_encoder_reproduces_recorded_frames_byte_for_byte(raw: bytes) -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(raw)
    messages = list(buffer)
    assert messages
    assert b"".join(encode_frame(dict(m.headers), m.payload) for m in messages) == raw


@pytest.mark.parametrize("raw", _recorded_streams())
@pytest.mark.parametrize("target", TARGETS)
def test_recorded_stream_reaches_every_client_as_boto3_reads_it(raw: bytes, target: Format) -> None:
    message, error = judges_bedrock.judge_stream(raw)
    verdict = judge_stream(target, _translate([raw], target))
    if error is not None:
        assert verdict.error is not None
        return
    assert verdict.error is None, verdict.error
    assert message is not None
    assert verdict.message is not None
    original = response_digest(BEDROCK, message)
    converted = response_digest(target, verdict.message)
    assert_kept(original, converted)
    assert_usage_kept(original.usage, converted.usage)


@pytest.mark.parametrize(("case", "target"), PAIRS)
def test_fixture_stream_matches_snapshot(case: Any, target: Format, snapshot: SnapshotAssertion) -> None:
    out = _translate([_raw(case)], target)
    scrubbed = [{**e, "data": _scrub(e["data"])} for e in sse_json(out)]
    assert _fresh_ids(scrubbed) == snapshot.use_extension(JSONSnapshotExtension)


def _fresh_ids(events: list[Any]) -> Any:
    """A Bedrock answer has no id, so a Responses client gets a fresh one (and item ids built on it)."""
    text = orjson.dumps(events).decode()
    for fresh in set(re.findall(r"resp_([0-9a-f]{16,})", text)):
        text = text.replace(fresh, "<fresh>")
    return orjson.loads(text)


def _scrub(data: Any) -> Any:
    """OpenAI chunks and responses carry the translation time (``created``, ``created_at``,
    and ``completed_at`` once a response is finished)."""
    if isinstance(data, dict):
        return {k: f"<{k}>" if k in ("created", "created_at") or (k == "completed_at" and v) else _scrub(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_scrub(v) for v in data]
    return data


@pytest.mark.parametrize(("case", "target"), PAIRS)
def test_fixture_stream_accumulates_to_the_response(case: Any, target: Format) -> None:
    verdict = judge_stream(target, _translate([_raw(case)], target))
    if case.is_error:
        assert verdict.error is not None, "the exception frame must reach the client as an error event"
        return
    assert verdict.error is None, verdict.error
    assert verdict.message is not None
    original = response_digest(BEDROCK, case.json("response.json"))
    converted = response_digest(target, verdict.message)
    assert_kept(original, converted)
    assert_usage_kept(original.usage, converted.usage)


@pytest.mark.parametrize(("case", "target"), PAIRS)
@pytest.mark.parametrize("piece", [1, 7, 64])
def test_fixture_stream_is_independent_of_splits(case: Any, target: Format, piece: int) -> None:
    raw = _raw(case)
    whole = [{**e, "data": _scrub(e["data"])} for e in sse_json(_translate([raw], target))]
    split = [{**e, "data": _scrub(e["data"])} for e in sse_json(_translate(feed_in_pieces(raw, piece), target))]
    assert _fresh_ids(split) == _fresh_ids(whole)


@pytest.mark.parametrize(("case", "target"), PAIRS)
def test_fixture_stream_is_incremental_and_truncation_is_an_error(case: Any, target: Format) -> None:
    raw = _raw(case)
    translator = StreamTranslator(source=BEDROCK, target=target)
    half = raw[: len(raw) // 2]
    assert translator.feed(half) or may_hold(half, BEDROCK, target), "nothing emitted after half the stream"
    cut = raw[: len(raw) * 2 // 3]
    verdict = judge_stream(target, _translate([cut], target))
    if b"messageStop" not in cut:  # once the stop reason is in, only usage (metadata) is missing
        assert verdict.error is not None, "a truncated upstream must not look complete"


@pytest.mark.parametrize("target", TARGETS)
def test_fail_mid_stream_closes_blocks_and_reports(target: Format) -> None:
    raw = _raw(next(c for c in CASES if c.name == "tools_single"))
    translator = StreamTranslator(source=BEDROCK, target=target)
    out = translator.feed(raw[: len(raw) // 2]) + translator.fail(UpstreamTimeout("upstream read timed out"))
    verdict = judge_stream(target, out)
    assert verdict.error is not None
    assert "timed out" in str(verdict.error.get("message"))
    assert verdict.open_blocks_at_error == []


@pytest.mark.parametrize(
    ("exception", "kind_word"),
    [("throttlingException", "rate_limit"), ("validationException", "invalid_request"), ("modelStreamErrorException", "api_error")],
)
def test_exception_frames_become_the_clients_error(exception: str, kind_word: str) -> None:
    raw = encode_event("messageStart", {"role": "assistant"}) + encode_exception(exception, "it broke")
    out = _translate([raw], Format.ANTHROPIC_MESSAGES)
    verdict = judge_stream(Format.ANTHROPIC_MESSAGES, out)
    assert verdict.error is not None
    assert verdict.error["message"] == "it broke"
    expected = {"rate_limit": "rate_limit_error", "invalid_request": "invalid_request_error", "api_error": "api_error"}
    assert verdict.error["type"] == expected[kind_word]


def test_corrupt_frame_is_a_clean_client_error() -> None:
    good = encode_event("messageStart", {"role": "assistant"})
    bad = bytearray(encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "hi"}}))
    bad[-1] ^= 0xFF  # message CRC no longer matches
    verdict = judge_stream(Format.OPENAI_CHAT, _translate([good + bytes(bad)], Format.OPENAI_CHAT))
    assert verdict.error is not None
    assert "malformed event-stream frame" in verdict.error["message"]


def test_parser_names_events_and_exceptions() -> None:
    parser = EventStreamParser()
    raw = encode_event("metadata", {"usage": {}}) + encode_exception("throttlingException", "slow")
    events = parser.feed(raw[:5]) + parser.feed(raw[5:])
    assert [name for name, _ in events] == ["metadata", "exception:throttlingException"]
    assert orjson.loads(events[1][1]) == {"message": "slow"}
    with pytest.raises(MalformedFrame):
        EventStreamParser().feed(struct.pack(">II", 16, 0) + b"\x00" * 12)


def test_usage_after_stop_reaches_anthropic_clients() -> None:
    """Converse reports usage in ``metadata`` after ``messageStop``: the stop waits for it."""
    raw = b"".join(
        [
            encode_event("messageStart", {"role": "assistant"}),
            encode_event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
            encode_event("contentBlockStop", {"contentBlockIndex": 0}),
            encode_event("messageStop", {"stopReason": "end_turn"}),
            encode_event("metadata", {"usage": {"inputTokens": 3, "outputTokens": 1, "totalTokens": 4}, "metrics": {"latencyMs": 9}}),
        ]
    )
    verdict = judge_stream(Format.ANTHROPIC_MESSAGES, _translate([raw], Format.ANTHROPIC_MESSAGES))
    assert verdict.message is not None
    assert verdict.message["usage"]["output_tokens"] == 1
    assert verdict.message["stop_reason"] == "end_turn"
