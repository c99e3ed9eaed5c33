"""The tap's raw filters read complete LF-framed events without the SSE parser: what they
keep goes straight to the decoder, so it must be exactly what the parser reads, in order,
and what they leave out must be what the parsed-event skip would leave out.

Checked over every stream fixture of each SSE format with a raw filter, cut at every event
boundary and in several legal SSE spellings, and over hand-made odd events (comments,
several data lines, ``event: error``, a lone ``event:`` line, an empty data field).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interlingua.streams.registry import load_spec
from interlingua.streams.skip import skipping
from interlingua.streams.sse import SSEEvent, SSEParser
from interlingua.streams.tap import StreamTap
from interlingua.translate import Format

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FILTERED = (Format.OPENAI_CHAT, Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES)  # formats with a raw filter


def _parsed(text: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    return parser.feed(text) + parser.finish()


def _assert_reads_as_the_parser(fmt: Format, text: bytes) -> None:
    """``text``: complete events, up to their last blank line (exclusive), no CR (the tap
    gives a raw filter nothing else)."""
    skips = skipping(load_spec(fmt.value))
    assert skips.raw is not None
    events, rest = skips.raw(text)
    assert not (events and rest), "events and text for the parser are never both given"
    kept = list(events) + _parsed(rest)
    expected = _parsed(text + b"\n\n")
    # kept is expected minus events the parsed-event skip would leave out too, in order.
    position = 0
    for event in expected:
        if position < len(kept) and kept[position] == event:
            position += 1
        else:
            assert skips.content(*event), f"{event!r} was dropped but matters"
    assert position == len(kept), f"{kept[position:]!r} are not what the parser reads, in order"


def _streams(fmt: Format) -> list[Path]:
    return sorted((FIXTURES / fmt.value).glob("*/stream.sse"))


def _spellings(data: bytes) -> list[bytes]:
    events = data.strip(b"\n").split(b"\n\n")
    return [
        data,
        b"".join(b": keep-alive\n\n" + event + b"\n\n" for event in events),
        b"\n\n\n".join(events) + b"\n\n",
        b"".join(event.replace(b'data: {"', b'data: {\ndata: "', 1) + b"\n\n" for event in events),
        data.replace(b"event: ", b"event:").replace(b"data: ", b"data:"),
        b"".join(b"id: 1\n" + event + b"\n\n" for event in events),
    ]


@pytest.mark.parametrize("fmt", FILTERED, ids=str)
def test_raw_filter_reads_every_fixture_as_the_parser(fmt: Format) -> None:
    for path in _streams(fmt):
        for data in _spellings(path.read_bytes()):
            ends = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\n\n"]
            starts = [0, *(end + 2 for end in ends)]
            # Runs of events as a chunk may hold them: each head, each tail, each event alone.
            runs = [(0, end) for end in ends] + [(start, ends[-1]) for start in starts]
            runs += list(zip(starts, ends, strict=False))
            for start, end in runs:
                if end > start:
                    _assert_reads_as_the_parser(fmt, data[start:end])


_CHUNK = b'data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}],"usage":null}'
_STOP = b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}'
_USAGE = (
    b'data: {"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,'
    b'"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":2}}}'
)
_ODD_OPENAI = [
    b": keep-alive",
    b"event: error\n" + _CHUNK.replace(b"data: ", b"data:"),  # an error event whatever its data says
    b'event: error\ndata: {"error":{"message":"overloaded"}}',
    b'data: {"error":{"message":"overloaded","type":"server_error"}}',
    b'data: {"choices":[{"index":0,"delta":{"content":"a"},\ndata: "finish_reason":null}]}',  # two data lines
    b"event: ping",  # a lone event: line is no event
    b"data:",  # an empty data field: an event with no data
    b"data",  # not a data: field here (the parser ignores it)
    b"id: 7",
    b"data: [DONE]",
    b"data: not JSON",
]


@pytest.mark.parametrize("odd", _ODD_OPENAI)
@pytest.mark.parametrize("where", ["alone", "first", "middle", "last"])
def test_raw_filter_reads_odd_openai_events_as_the_parser(odd: bytes, where: str) -> None:
    around = {
        "alone": [odd],
        "first": [odd, _CHUNK, _CHUNK, _STOP, _USAGE],
        "middle": [_CHUNK, _CHUNK, odd, _CHUNK, _STOP],
        "last": [_CHUNK, _CHUNK, _STOP, _USAGE, odd],
    }[where]
    _assert_reads_as_the_parser(Format.OPENAI_CHAT, b"\n\n".join(around))


_ODD_NAMED = [
    b": keep-alive",
    b'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    b'event: content_block_delta\ndata: {"type":"content_block_delta",\ndata: "index":0}',  # two data lines
    b'id: 1\nevent: message_delta\ndata: {"type":"message_delta"}',  # three lines
    b'data: {"type":"message_delta"}\nevent: message_delta',  # data first
    b"event: content_block_delta\nid: 1",
    b"event:response.output_text.delta\ndata:{}",
    b"event: response.output_text.delta \ndata: {}",
]


@pytest.mark.parametrize("fmt", [Format.ANTHROPIC_MESSAGES, Format.OPENAI_RESPONSES], ids=str)
@pytest.mark.parametrize("odd", _ODD_NAMED)
def test_raw_filter_reads_odd_named_events_as_the_parser(fmt: Format, odd: bytes) -> None:
    data = (FIXTURES / fmt.value / "text_basic" / "stream.sse").read_bytes().strip(b"\n")
    events = data.split(b"\n\n")
    for at in (0, 1, len(events) // 2, len(events)):
        _assert_reads_as_the_parser(fmt, b"\n\n".join([*events[:at], odd, *events[at:]]))


def test_tap_reads_usage_and_stop_from_one_chunk_of_a_whole_stream() -> None:
    """The bench's shape: a whole OpenAI stream in one read, the kept events decoded straight
    from the raw filter (cache and reasoning tokens included)."""
    stream = b"\n\n".join([_CHUNK] * 5 + [_STOP, _USAGE, b"data: [DONE]"]) + b"\n\n"
    for pieces in ([stream], [stream[:100], stream[100:]], [stream.replace(b"\n", b"\r\n")]):
        tap = StreamTap(Format.OPENAI_CHAT)
        for piece in pieces:
            assert not tap.feed(piece)
        tap.finish()
        assert tap.complete
        assert tap.stop_reason == "end_turn"
        assert tap.usage == {
            "input_tokens": 9,
            "output_tokens": 4,
            "cache_read_tokens": 3,
            "reasoning_tokens": 2,
        }


def test_tap_feed_reports_a_malformed_event_found_by_the_raw_path() -> None:
    tap = StreamTap(Format.OPENAI_CHAT)
    assert not tap.feed(_CHUNK + b"\n\n")
    assert tap.feed(_CHUNK + b"\n\ndata: not JSON\n\n" + _STOP + b"\n\n")
    assert tap.failed
    assert not tap.complete


def test_tap_upstream_error_event_in_a_whole_chunk_completes_the_stream() -> None:
    tap = StreamTap(Format.OPENAI_CHAT)
    assert not tap.feed(_CHUNK + b'\n\nevent: error\ndata: {"error":{"message":"overloaded"}}\n\n')
    assert tap.complete
    assert tap.upstream_error is not None


def _summary(tap: StreamTap) -> tuple[dict[str, int], str | None, bool, bool]:
    tap.finish()
    return dict(tap.usage), tap.stop_reason, tap.complete, tap.failed


@pytest.mark.parametrize(
    "odd",
    [
        [_CHUNK.replace(b"\n", b"\r\n") + b"\r\n\r\n"],  # CRLF after LF chunks
        [_CHUNK[:30], _CHUNK[30:] + b"\n\n"],  # an event split over two chunks
        [_CHUNK + b"\n\n" + _STOP[:20], _STOP[20:] + b"\n\n"],  # whole events, then a partial one
        [b": keep-alive\n\n"],
        [b"\xef\xbb\xbf" + _CHUNK + b"\n\n"],  # a BOM mid-stream is not one (the line is no data field)
        [_STOP + b"\n\n"],
    ],
    ids=["crlf", "split", "partial-tail", "comment", "bom", "stop"],
)
def test_tap_after_whole_event_chunks_reads_any_chunk_as_the_parser(odd: list[bytes]) -> None:
    """After chunks of whole events (which the tap reads without asking the parser where it
    is), a chunk of any other shape is still read as the parser reads it."""
    chunks = [_CHUNK + b"\n\n", _CHUNK + b"\n\n", *odd, _CHUNK + b"\n\n", _STOP + b"\n\n", _USAGE + b"\n\n"]
    chunks.append(b"data: [DONE]\n\n")
    fast, slow = StreamTap(Format.OPENAI_CHAT), StreamTap(Format.OPENAI_CHAT, skip_content=False)
    for chunk in chunks:
        fast.feed(chunk)
    data = b"".join(chunks)
    for start in range(0, len(data), 7):
        slow.feed(data[start : start + 7])
    assert _summary(fast) == _summary(slow)
