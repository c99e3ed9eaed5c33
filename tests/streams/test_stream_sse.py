"""The incremental SSE parser (WHATWG event-stream interpretation, leniently)."""

from __future__ import annotations

import pytest

from interlingua.streams.sse import EventTooLarge, SSEParser, frame

from .judges import ANTHROPIC, OPENAI, StreamErrorEvent, anthropic_final, translate


def _parse(*pieces: bytes) -> list[tuple[str | None, bytes]]:
    parser = SSEParser()
    events = [event for piece in pieces for event in parser.feed(piece)]
    return events + parser.finish()


def test_stream_sse_events_data_lines_and_names() -> None:
    raw = b"event: a\ndata: 1\n\ndata: x\ndata: y\n\nevent: lonely\n\ndata:z\n\n"
    assert _parse(raw) == [("a", b"1"), (None, b"x\ny"), (None, b"z")]


def test_stream_sse_comments_ids_retry_and_unknown_fields_are_ignored() -> None:
    raw = b": keep-alive\nid: 7\nretry: 100\nfoo: bar\ndata: 1\n: mid-event comment\n\n"
    assert _parse(raw) == [(None, b"1")]


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_stream_sse_any_line_ending_split_anywhere(newline: bytes) -> None:
    raw = newline.join([b"event: e", b"data: {\"a\": \"\xc3\xa9\"}", b"", b"data: 2", b"", b""])
    expected = [("e", b'{"a": "\xc3\xa9"}'), (None, b"2")]
    assert _parse(raw) == expected
    for cut in range(len(raw) + 1):
        assert _parse(raw[:cut], raw[cut:]) == expected, cut


def test_stream_sse_events_come_out_as_soon_as_complete() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: 1\n") == []
    assert parser.feed(b"\ndata: 2") == [(None, b"1")]
    assert parser.finish() == [(None, b"2")]  # an unterminated last event still counts


def test_stream_sse_byte_order_mark_and_padding() -> None:
    assert _parse(b"\xef\xbb\xbfdata:   {\"x\": 1}   \n\n") == [(None, b'  {"x": 1}   ')]


def test_stream_sse_event_size_is_bounded() -> None:
    parser = SSEParser(max_event_bytes=64)
    for _ in range(6):
        parser.feed(b"x" * 10)
    with pytest.raises(EventTooLarge):
        parser.feed(b"x" * 10)
    parser = SSEParser(max_event_bytes=64)
    with pytest.raises(EventTooLarge):
        parser.feed(b"data: " + b"y" * 40 + b"\ndata: " + b"y" * 40 + b"\n")


def test_stream_sse_oversized_upstream_event_becomes_client_error() -> None:
    raw = b"event: message_start\ndata: " + b"a" * (17 * 1024 * 1024)
    with pytest.raises(StreamErrorEvent, match="exceeds"):
        anthropic_final(translate([raw[:1000], raw[1000:]], ANTHROPIC, ANTHROPIC))


def test_stream_sse_frame() -> None:
    assert frame(b"{}") == b"data: {}\n\n"
    assert frame(b"{}", "ping") == b"event: ping\ndata: {}\n\n"
    assert translate(b"", OPENAI, OPENAI).startswith(b"data: {\"error\"")
