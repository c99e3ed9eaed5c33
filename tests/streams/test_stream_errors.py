"""Stream error frames, judged by the official SDK clients reading from a real local server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anthropic
import openai
import orjson
import pytest

from interlingua.errors import (
    GatewayError,
    InvalidRequest,
    Overloaded,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
)
from interlingua.streams import render_stream_error

from .judges import ANTHROPIC, OPENAI, translate
from .samples import ANTHROPIC_SAMPLES, OPENAI_SAMPLES


class _SSEServer:
    """A real HTTP server on 127.0.0.1 answering every POST with ``body`` as an event stream."""

    def __init__(self) -> None:
        self.body = b""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)


@pytest.fixture(scope="module")
def server() -> Iterator[_SSEServer]:
    srv = _SSEServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _openai_stream(server: _SSEServer, body: bytes) -> list[Any]:
    server.body = body
    with openai.OpenAI(base_url=server.url + "/v1", api_key="test", max_retries=0) as client:
        stream = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}], stream=True)
        return list(stream)


def _anthropic_stream(server: _SSEServer, body: bytes) -> anthropic.types.Message:
    server.body = body
    with anthropic.Anthropic(base_url=server.url, api_key="test", max_retries=0) as client, client.messages.stream(
        model="m", max_tokens=10, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        return stream.get_final_message()


@pytest.mark.parametrize(
    ("err", "anthropic_type"),
    [
        (RateLimited("slow down"), "rate_limit_error"),
        (Overloaded("busy"), "overloaded_error"),
        (UpstreamTimeout("upstream read timed out"), "timeout_error"),
        (InvalidRequest("bad field", param="messages[0]"), "invalid_request_error"),
        (UpstreamError("boom", status=500), "api_error"),
    ],
)
def test_stream_error_frame_in_each_client_format(err: GatewayError, anthropic_type: str) -> None:
    frame = render_stream_error(err, ANTHROPIC)
    head, data = frame.split(b"\n", 1)
    assert head == b"event: error"
    assert data.startswith(b"data: ")
    assert frame.endswith(b"\n\n")
    assert orjson.loads(data[6:]) == {
        "type": "error", "error": {"type": anthropic_type, "message": err.message}, "request_id": None}
    frame = render_stream_error(err, OPENAI)
    assert frame.startswith(b"data: {")
    assert frame.endswith(b"\n\n")
    assert orjson.loads(frame[6:])["error"]["message"] == err.message


def test_stream_error_openai_sdk_raises_api_error(server: _SSEServer) -> None:
    with pytest.raises(openai.APIError, match="busy"):
        _openai_stream(server, render_stream_error(Overloaded("busy"), OPENAI))


def test_stream_error_anthropic_sdk_raises_with_the_error_body(server: _SSEServer) -> None:
    with pytest.raises(anthropic.APIStatusError) as caught:
        _anthropic_stream(server, render_stream_error(Overloaded("busy"), ANTHROPIC))
    assert caught.value.body == {
        "type": "error", "error": {"type": "overloaded_error", "message": "busy"}, "request_id": None}


def test_stream_error_upstream_error_event_reaches_openai_sdk(server: _SSEServer) -> None:
    with pytest.raises(openai.APIError, match="Overloaded"):
        _openai_stream(server, translate(ANTHROPIC_SAMPLES["error"], ANTHROPIC, OPENAI))


def test_stream_error_truncated_upstream_reaches_anthropic_sdk(server: _SSEServer) -> None:
    with pytest.raises(anthropic.APIStatusError, match="ended before completion"):
        _anthropic_stream(server, translate(OPENAI_SAMPLES["truncated"], OPENAI, ANTHROPIC))


def test_stream_sdk_clients_read_translated_streams(server: _SSEServer) -> None:
    message = _anthropic_stream(server, translate(OPENAI_SAMPLES["reasoning_then_tools"], OPENAI, ANTHROPIC))
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert message.content[3].input == {"city": "Oslo"}  # type: ignore[union-attr]
    assert (message.stop_reason, message.usage.input_tokens, message.usage.output_tokens) == ("tool_use", 50, 20)
    chunks = _openai_stream(server, translate(ANTHROPIC_SAMPLES["thinking_text_tool"], ANTHROPIC, OPENAI))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Voilà 👍"
    assert chunks[-1].usage.prompt_tokens == 10
