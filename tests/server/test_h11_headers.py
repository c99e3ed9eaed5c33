"""``server/h11_headers.py``: h11's ``set_comma_header`` without re-validating headers it
already validated gives exactly what the original gives, and still refuses bad added values;
a streamed answer through a real h11 connection keeps every header and chunked framing."""

from __future__ import annotations

import h11
import h11._connection as h11_connection
import pytest
from h11._headers import normalize_and_validate, set_comma_header
from hypothesis import given
from hypothesis import strategies as st

from interlingua.server import h11_headers
from interlingua.server.h11_headers import set_comma_header_once

_NAMES = [b"content-length", b"transfer-encoding", b"connection", b"x-ratelimit-limit-requests", b"Server-Timing"]
_VALUES = [b"12", b"chunked", b"Chunked", b"close", b"keep-alive, Upgrade", b"100", b"6m0s", b"gateway;dur=1.5"]


def _valid(pairs: list[tuple[bytes, bytes]]) -> bool:
    try:
        normalize_and_validate(pairs)
    except h11.LocalProtocolError:
        return False
    return True


@given(
    pairs=st.lists(st.tuples(st.sampled_from(_NAMES), st.sampled_from(_VALUES)), max_size=8).filter(_valid),
    name=st.sampled_from([b"content-length", b"transfer-encoding", b"connection"]),
    new=st.lists(st.sampled_from([b"chunked", b"close", b"keep-alive"]), max_size=2, unique=True),
)
def test_same_headers_as_h11(pairs: list[tuple[bytes, bytes]], name: bytes, new: list[bytes]) -> None:
    headers = normalize_and_validate(pairs)
    try:
        expected = set_comma_header(headers, name, new)
    except h11.LocalProtocolError:  # e.g. transfer-encoding: close
        with pytest.raises(h11.LocalProtocolError):
            set_comma_header_once(headers, name, new)
        return
    got = set_comma_header_once(headers, name, new)
    assert got._full_items == expected._full_items


def test_added_values_are_still_validated() -> None:
    headers = normalize_and_validate([(b"content-type", b"text/event-stream")])
    with pytest.raises(h11.LocalProtocolError):
        set_comma_header_once(headers, b"connection", [b"bad\r\nvalue"])


def test_streamed_response_keeps_every_header() -> None:
    h11_headers.install()
    h11_headers.install()  # idempotent
    assert h11_connection.set_comma_header is set_comma_header_once  # type: ignore[attr-defined]
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
    assert isinstance(conn.next_event(), h11.Request)
    conn.next_event()  # EndOfMessage
    sent = [(b"content-type", b"text/event-stream"), (b"x-ratelimit-remaining-tokens", b"99")]
    head = conn.send(h11.Response(status_code=200, headers=sent))
    assert head is not None
    assert head.split(b"\r\n")[1:-2] == [
        b"content-type: text/event-stream",
        b"x-ratelimit-remaining-tokens: 99",
        b"Transfer-Encoding: chunked",
    ]
