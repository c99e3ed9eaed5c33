"""The passthrough tap: usage, stop reason and completion of a stream, observed unchanged.

It skips content-only events before parsing them; over every stream fixture of every
format, skipping must not change what it reports, and what it reports must match what the
full translator sees.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from interlingua.streams.eventstream import encode_event, encode_frame
from interlingua.streams.sse import SSEParser
from interlingua.streams.tap import StreamTap
from interlingua.translate import Format, StreamTranslator, response_summary, translate_response

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
STREAMS = sorted(
    (fmt, path)
    for fmt in Format
    for path in (FIXTURES / fmt.value).glob("*/stream.*")
    if path.suffix in (".sse", ".bin")
)


def _pieces(data: bytes, piece: int | None) -> list[bytes]:
    """``data`` in ``piece``-byte pieces; None: whole events, one per piece, as upstreams
    flush them."""
    if piece is not None:
        return [data[start : start + piece] for start in range(0, len(data), piece)]
    events = data.split(b"\n\n")
    return [event + b"\n\n" for event in events[:-1]] + [events[-1]]


def _observe(
    fmt: Format, data: bytes, *, skip: bool, piece: int | None = 7
) -> tuple[dict[str, int], str | None, bool]:
    tap = StreamTap(fmt, skip_content=skip)
    for chunk in _pieces(data, piece):
        tap.feed(chunk)
    tap.finish()
    return dict(tap.usage), tap.stop_reason, tap.complete


@pytest.mark.parametrize("piece", [7, None, 1 << 30], ids=["7-bytes", "events", "whole"])
@pytest.mark.parametrize(("fmt", "path"), STREAMS, ids=[f"{f.value}/{p.parent.name}" for f, p in STREAMS])
def test_tap_skipping_content_changes_nothing(fmt: Format, path: Path, piece: int | None) -> None:
    data = path.read_bytes()
    assert _observe(fmt, data, skip=True, piece=piece) == _observe(fmt, data, skip=False, piece=7)


@pytest.mark.parametrize(
    "prefix",
    [b"", b"\xef\xbb\xbf", b": keep-alive\n\n", b"event: ping\ndata: {}\n\n\n"],
    ids=["plain", "bom", "comment", "blank-lines"],
)
def test_tap_skipping_keeps_the_grammar_around_events(prefix: bytes) -> None:
    data = prefix + (FIXTURES / "anthropic_messages" / "text_basic" / "stream.sse").read_bytes()
    expected = _observe(Format.ANTHROPIC_MESSAGES, data, skip=False)
    assert expected[2]
    assert _observe(Format.ANTHROPIC_MESSAGES, data, skip=True, piece=None) == expected
    assert _observe(Format.ANTHROPIC_MESSAGES, data, skip=True, piece=len(data)) == expected


@pytest.mark.parametrize(("fmt", "path"), STREAMS, ids=[f"{f.value}/{p.parent.name}" for f, p in STREAMS])
def test_tap_reports_what_the_translator_sees(fmt: Format, path: Path) -> None:
    data = path.read_bytes()
    usage, stop_reason, _ = _observe(fmt, data, skip=True)
    other = Format.ANTHROPIC_MESSAGES if fmt is not Format.ANTHROPIC_MESSAGES else Format.OPENAI_CHAT
    translator = StreamTranslator(source=fmt, target=other)
    translator.feed(data)
    translator.finish()
    assert usage == dict(translator.usage)
    assert stop_reason == translator.stop_reason


def test_tap_cut_stream_is_incomplete() -> None:
    data = (FIXTURES / "anthropic_messages" / "text_basic" / "stream.sse").read_bytes()
    assert _observe(Format.ANTHROPIC_MESSAGES, data, skip=True)[2]
    assert not _observe(Format.ANTHROPIC_MESSAGES, data[: len(data) // 2], skip=True)[2]


@pytest.mark.parametrize(("fmt", "path"), STREAMS, ids=[f"{f.value}/{p.parent.name}" for f, p in STREAMS])
def test_tap_never_fails_a_recorded_stream(fmt: Format, path: Path) -> None:
    """``failed`` ends a passthrough stream, so no real stream may trip it; a Bedrock stream
    fed in pieces has exactly the bytes of its unfinished frame pending."""
    data = path.read_bytes()
    tap = StreamTap(fmt)
    for start in range(0, len(data), 7):
        tap.feed(data[start : start + 7])
        assert not tap.failed
    assert tap.pending == 0


def test_tap_fails_on_an_event_that_is_not_json() -> None:
    tap = StreamTap(Format.OPENAI_CHAT)
    tap.feed(b'data: {"choices": []}\n\n')
    assert not tap.failed
    tap.feed(b'data: {"choices": [ not JSON\n\n')
    assert tap.failed
    assert not tap.complete


def test_tap_upstream_error_event_is_not_a_failure() -> None:
    tap = StreamTap(Format.ANTHROPIC_MESSAGES)
    tap.feed(b'event: error\ndata: {"type": "error", "error": {"type": "overloaded_error", "message": "x"}}\n\n')
    assert not tap.failed
    assert tap.complete


def test_tap_bedrock_bad_frame_is_pending_and_failed() -> None:
    good = encode_event("messageStart", {"role": "assistant"})
    bad = good[:-1] + bytes([good[-1] ^ 0xFF])  # message checksum wrong
    tap = StreamTap(Format.BEDROCK_CONVERSE)
    tap.feed(good + good[:5])
    assert (tap.failed, tap.pending) == (False, 5)
    tap.feed(good[5:] + bad)
    assert (tap.failed, tap.pending) == (True, len(bad))


@pytest.mark.parametrize("payload", [b"not JSON", b"[1, 2]"])
def test_tap_bedrock_frame_whose_payload_is_not_an_object_fails(payload: bytes) -> None:
    """A frame with valid checksums but a payload that is not a JSON object is malformed too
    (an event the tap parses: content deltas it skips unparsed, by name, are not judged)."""
    headers = {":event-type": "metadata", ":content-type": "application/json", ":message-type": "event"}
    tap = StreamTap(Format.BEDROCK_CONVERSE)
    tap.feed(encode_event("messageStart", {"role": "assistant"}) + encode_frame(headers, payload))
    assert tap.failed
    assert tap.pending == 0  # the frame itself is whole: a relay finds it by the failure


RESPONSES = sorted((fmt, path) for fmt in Format for path in (FIXTURES / fmt.value).glob("*/response.json"))


@pytest.mark.parametrize(("fmt", "path"), RESPONSES, ids=[f"{f.value}/{p.parent.name}" for f, p in RESPONSES])
def test_response_summary_matches_the_converter(fmt: Format, path: Path) -> None:
    """The passthrough shortcut reads the same usage and stop reason as a full conversion."""
    body = orjson.loads(path.read_bytes())
    other = Format.ANTHROPIC_MESSAGES if fmt is not Format.ANTHROPIC_MESSAGES else Format.OPENAI_CHAT
    translated = translate_response(body, source=fmt, target=other)
    assert response_summary(body, source=fmt) == (translated.usage, translated.stop_reason)


def _reshaped(data: bytes, shape: str) -> bytes:
    """A recorded stream in another legal SSE spelling, which the raw filter must leave to the
    parser (or judge exactly as the parser would)."""
    events = data.strip(b"\n").split(b"\n\n")
    if shape == "crlf":
        return data.replace(b"\n", b"\r\n")
    if shape == "comments":
        return b"".join(b": keep-alive\n\n" + event + b"\n\n" for event in events)
    if shape == "extra-blank-lines":
        return b"\n\n\n".join(events) + b"\n\n"
    if shape == "split-data":  # each data line's JSON over two data lines (joined with a newline)
        return b"".join(event.replace(b'data: {"', b'data: {\ndata: "', 1) + b"\n\n" for event in events)
    if shape == "no-space":
        return data.replace(b"event: ", b"event:").replace(b"data: ", b"data:")
    assert shape == "id-lines"
    return b"".join(b"id: 1\n" + event + b"\n\n" for event in events)


TEXT_STREAMS = [(fmt, FIXTURES / fmt.value / "text_basic" / "stream.sse") for fmt in Format]
TEXT_STREAMS = [(fmt, path) for fmt, path in TEXT_STREAMS if path.exists()]


@pytest.mark.parametrize("shape", ["crlf", "comments", "extra-blank-lines", "split-data", "no-space", "id-lines"])
@pytest.mark.parametrize(("fmt", "path"), TEXT_STREAMS, ids=[f.value for f, _ in TEXT_STREAMS])
def test_tap_raw_skipping_follows_the_sse_grammar(fmt: Format, path: Path, shape: str) -> None:
    data = _reshaped(path.read_bytes(), shape)
    expected = _observe(fmt, data, skip=False, piece=7)
    assert expected[2], "the reshaped stream is still a complete stream"
    for piece in (None, 1 << 30):
        assert _observe(fmt, data, skip=True, piece=piece) == expected


def test_tap_whole_chunk_fails_on_a_malformed_event() -> None:
    """A chunk of several events, skipped on their raw text, still finds the broken one."""
    tap = StreamTap(Format.OPENAI_CHAT)
    content = b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n'
    tap.feed(content * 3 + b'data: {"choices": [ not JSON\n\n' + content)
    assert tap.failed


def test_tap_usage_on_a_content_chunk_is_read() -> None:
    """Usage on every chunk (vLLM's continuous usage stats): such a chunk is never skipped."""
    chunk = b'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":{"prompt_tokens":%d,"completion_tokens":%d}}\n\n'
    stop = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
    tap = StreamTap(Format.OPENAI_CHAT)
    tap.feed(chunk % (5, 1) + chunk % (5, 2) + stop)
    tap.finish()
    assert (tap.usage["input_tokens"], tap.usage["output_tokens"], tap.stop_reason) == (5, 2, "end_turn")


_RUN_CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}\n\n'
_RUN_END = (
    b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"%s"}]}\n\n'
    b'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\ndata: [DONE]\n\n'
)


@pytest.mark.parametrize(
    "middle",
    [
        _RUN_CHUNK % b"b",  # the common run: all content chunks, skipped on their raw text
        b'data: {"choices":[{"index":0,"delta":{"content":"b"},\ndata: "finish_reason":null}]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]}\n\n\n',
        b'event: error\ndata: {"choices":[{"index":0,"delta":{},"finish_reason":null}]}\n\n',
        b': keep-alive\n\n',
    ],
    ids=["content", "two-data-lines", "stop-inside", "extra-blank-line", "event-line", "comment"],
)
def test_tap_openai_content_run_is_judged_as_the_parser_would(middle: bytes) -> None:
    """A whole chunk of OpenAI content chunks is dropped in one piece only when every event in
    it is a one-line content chunk; anything else in the run is left to the parser."""
    data = _RUN_CHUNK % b"a" + middle + _RUN_CHUNK % b"c" + _RUN_END % b"stop"
    expected = _observe(Format.OPENAI_CHAT, data, skip=False, piece=7)
    assert _observe(Format.OPENAI_CHAT, data, skip=True, piece=len(data)) == expected


# Real OpenAI chunks: "usage":null and an obfuscation pad after choices (fixtures/openai_chat).
_REAL_CHUNK = (
    b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"%s"},"logprobs":null,"finish_reason":null}],'
    b'"usage":null,"obfuscation":"kQ3v"}\n\n'
)


@pytest.mark.parametrize(
    "middle",
    [
        _REAL_CHUNK % b"b",
        _REAL_CHUNK % b"says [DONE] early",  # the end marker inside content text
        b'data: {"choices": [ not JSON\n\n',
        b'data: {"choices":[],"usage":null,"obfuscation":"x"}\n\n',  # no finish reason at all
        b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}],"usage":null}\n\n',
        b'data: {"choices":[{"index":0,"delta":{"content":"b"},\ndata: "finish_reason":null}],"usage":null}\n\n',
        b": keep-alive\n\n",
    ],
    ids=["content", "done-in-text", "not-json", "no-finish-reason", "stop-inside", "two-data-lines", "comment"],
)
def test_tap_real_openai_content_run_is_judged_as_the_parser_would(middle: bytes) -> None:
    data = _REAL_CHUNK % b"a" + middle + _REAL_CHUNK % b"c" + _RUN_END % b"stop"
    expected = _observe(Format.OPENAI_CHAT, data, skip=False, piece=7)
    assert _observe(Format.OPENAI_CHAT, data, skip=True, piece=len(data)) == expected
    tap = StreamTap(Format.OPENAI_CHAT)
    tap.feed(data)
    assert tap.failed == (b"not JSON" in middle)


def test_tap_real_openai_content_run_is_dropped_in_one_piece() -> None:
    """Real chunks take the whole-run path too: only the finish, usage and end events are
    kept, read as the parser reads them."""
    from interlingua.streams.skip import _chunked_raw, _content_run

    run = b"".join(_REAL_CHUNK % piece for piece in (b"a", b"b", b"c"))
    assert _content_run(run.removesuffix(b"\n\n"))
    assert not _content_run((run + _RUN_CHUNK % b"d").removesuffix(b"\n\n")[:-40])  # cut short
    text = (run + _RUN_END % b"stop").removesuffix(b"\n\n")
    assert _chunked_raw(text) == (SSEParser().feed(_RUN_END % b"stop"), b"")
