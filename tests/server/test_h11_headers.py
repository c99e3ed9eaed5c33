"""``server/h11_headers.py``: h11's header normalisation with each distinct name and value
matched once, and ``set_comma_header`` without re-validation, give exactly what h11's own
functions give (the same entries, or a refusal), remembered or not; a streamed answer
through a real h11 connection keeps every header and gets chunked framing."""

from __future__ import annotations

from typing import Any

import h11
import h11._connection as h11_connection
import pytest
from h11._headers import normalize_and_validate, set_comma_header
from hypothesis import given
from hypothesis import strategies as st

from interlingua.server import h11_headers
from interlingua.server.h11_headers import normalize_and_validate_once, set_comma_header_once

_NAMES = [
    b"content-length", b"Content-Length", b"transfer-encoding", b"connection", b"x-ratelimit-limit-requests",
    b"Server-Timing", b"bad name", b"", "content-type", b"x-request-id",
]
_VALUES = [
    b"12", b"12, 12", b"12, 13", b"abc", b"chunked", b"Chunked", b"gzip", b"close", b"keep-alive, Upgrade",
    b"6m0s", b"gateway;dur=1.5", b"bad\r\nvalue", b" padded", b"", "text/plain", b"\xe9t\xe9",
]
_PAIRS = st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES)), max_size=8)


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)._full_items
    except h11.LocalProtocolError:
        return h11.LocalProtocolError


@given(pairs=_PAIRS)
def test_normalize_matches_h11(pairs: list[tuple[Any, Any]]) -> None:
    expected = _outcome(normalize_and_validate, pairs)
    assert _outcome(normalize_and_validate_once, pairs) == expected
    assert _outcome(normalize_and_validate_once, pairs) == expected  # remembered names and values


@given(
    pairs=st.lists(st.tuples(st.sampled_from(_NAMES[:6]), st.sampled_from(_VALUES[:10])), max_size=8),
    name=st.sampled_from([b"content-length", b"transfer-encoding", b"connection"]),
    new=st.lists(st.sampled_from([b"chunked", b"close", b"keep-alive"]), max_size=2, unique=True),
)
def test_set_comma_header_matches_h11(pairs: list[tuple[bytes, bytes]], name: bytes, new: list[bytes]) -> None:
    try:
        headers = normalize_and_validate(pairs)
    except h11.LocalProtocolError:
        return
    assert _outcome(set_comma_header_once, headers, name, new) == _outcome(set_comma_header, headers, name, new)


def test_refusals_still_happen_after_a_valid_sight() -> None:
    normalize_and_validate_once([(b"x-a", b"ok")])
    with pytest.raises(h11.LocalProtocolError):
        normalize_and_validate_once([(b"x-a", b"bad\r\nvalue")])
    with pytest.raises(h11.LocalProtocolError):
        normalize_and_validate_once([(b"x-a", b"1"), (b"content-length", b"1"), (b"content-length", b"2")])
    headers = normalize_and_validate([(b"content-type", b"text/event-stream")])
    with pytest.raises(h11.LocalProtocolError):
        set_comma_header_once(headers, b"connection", [b"bad\r\nvalue"])


def test_streamed_response_keeps_every_header() -> None:
    h11_headers.install()
    h11_headers.install()  # idempotent
    assert vars(h11_connection)["set_comma_header"] is set_comma_header_once
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
    assert isinstance(conn.next_event(), h11.Request)
    conn.next_event()  # EndOfMessage
    sent = [(b"content-type", b"text/event-stream"), (b"x-ratelimit-remaining-tokens", b"99")]
    for _ in range(2):  # the second time from remembered names and values
        head = conn.send(h11.Response(status_code=200, headers=sent))
        assert head is not None
        assert head.split(b"\r\n")[1:-2] == [
            b"content-type: text/event-stream",
            b"x-ratelimit-remaining-tokens: 99",
            b"Transfer-Encoding: chunked",
        ]
        conn.send(h11.EndOfMessage())
        conn.start_next_cycle()
        conn.receive_data(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        conn.next_event()
        conn.next_event()
