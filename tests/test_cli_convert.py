"""``interlingua convert``: stdin in one format, stdout in another, as a user runs it (a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest

ANTHROPIC_REQUEST = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 256,
    "system": "Answer briefly.",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
}
OPENAI_RESPONSE = {
    "id": "chatcmpl-cli",
    "object": "chat.completion",
    "created": 1_750_000_000,
    "model": "gpt-4.1",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Paris."},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ],
    "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14},
}
_STREAM_EVENTS: list[dict[str, Any]] = [
    {
        "type": "message_start",
        "message": {
            "id": "msg_cli",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {"input_tokens": 12, "output_tokens": 1},
        },
    },
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Par"}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "is."}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": 3},
    },
    {"type": "message_stop"},
]
ANTHROPIC_STREAM = b"".join(
    b"event: " + str(e["type"]).encode() + b"\ndata: " + orjson.dumps(e) + b"\n\n" for e in _STREAM_EVENTS
)


def _convert(source: str, target: str, kind: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    command = [
        sys.executable,
        "-m",
        "interlingua",
        "convert",
        "--from",
        source,
        "--to",
        target,
        "--kind",
        kind,
    ]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=60, check=False)


def test_cli_convert_request_anthropic_to_openai() -> None:
    done = _convert("anthropic_messages", "openai_chat", "request", orjson.dumps(ANTHROPIC_REQUEST))
    assert done.returncode == 0, done.stderr.decode()
    body: dict[str, Any] = orjson.loads(done.stdout)
    assert body["model"] == "claude-sonnet-4-5"
    assert body["messages"][0]["role"] == "system"
    assert "Answer briefly." in orjson.dumps(body["messages"][0]).decode()
    assert "capital of France" in orjson.dumps(body["messages"][1]).decode()


def test_cli_convert_response_openai_to_anthropic() -> None:
    done = _convert("openai_chat", "anthropic_messages", "response", orjson.dumps(OPENAI_RESPONSE))
    assert done.returncode == 0, done.stderr.decode()
    body = orjson.loads(done.stdout)
    assert body["type"] == "message"
    assert body["content"] == [{"type": "text", "text": "Paris."}]
    assert body["stop_reason"] == "end_turn"


def test_cli_convert_stream_anthropic_to_openai() -> None:
    done = _convert("anthropic_messages", "openai_chat", "stream", ANTHROPIC_STREAM)
    assert done.returncode == 0, done.stderr.decode()
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [orjson.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Paris."
    assert any(c["choices"] and c["choices"][0].get("finish_reason") == "stop" for c in chunks)


@pytest.mark.parametrize(
    "stdin", [b"not json", b"[1, 2]", b'{"messages": 3}'], ids=["garbage", "array", "bad-field"]
)
def test_cli_convert_bad_input_is_a_clear_error(stdin: bytes) -> None:
    done = _convert("openai_chat", "anthropic_messages", "request", stdin)
    assert done.returncode != 0
    err = done.stderr.decode()
    assert err.startswith("interlingua convert:"), err
    assert "Traceback" not in err


def test_cli_convert_rejects_unknown_format() -> None:
    done = _convert("gopher", "openai_chat", "request", b"{}")
    assert done.returncode == 2
    assert b"invalid choice" in done.stderr
