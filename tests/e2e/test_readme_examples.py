"""The README's curl examples, run against ``interlingua serve --demo`` in a subprocess.

The examples are read from README.md, between the ``curl-examples`` markers, so
what a newcomer pastes is what is tested; every ``sh`` block is run with curl and
its output checked.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
# Heading -> substrings the example's output must contain.
EXPECT: dict[str, list[str]] = {
    "Start the gateway with its built-in fake upstream": [],
    "OpenAI Chat Completions, served by an OpenAI-format upstream (passthrough)": [
        '"object":"chat.completion"',
        "Hello from the demo upstream! You said: Hello!",
    ],
    "Anthropic Messages, served by an OpenAI-format upstream (translated)": [
        '"type":"message"',
        "You said: Hello from Anthropic land",
        '"stop_reason":"end_turn"',
    ],
    "OpenAI streaming, served by an Anthropic-format upstream (translated event by event)": [
        "chat.completion.chunk",
        '"finish_reason":"stop"',
        '"usage":{',
        "data: [DONE]",
    ],
    "Anthropic streaming with a tool, served by an OpenAI-format upstream": [
        "event: message_start",
        '"type":"tool_use"',
        "input_json_delta",
        '"stop_reason":"tool_use"',
        "event: message_stop",
    ],
    "OpenAI tool call answered, served by an Anthropic-format upstream": [
        "The tool get_weather returned: 21 degrees and sunny.",
    ],
    "Extended thinking, served by an OpenAI-format upstream (budget becomes reasoning_effort)": [
        '"type":"thinking"',
        "thinking_delta",
        '"stop_reason":"end_turn"',
    ],
    "Count tokens (the upstream counts; a local estimate only toward OpenAI Chat)": ['"input_tokens":'],
    "List models (OpenAI shape; send anthropic-version for Anthropic's)": [
        '"object":"list"',
        '"display_name":"Demo Claude"',
    ],
    "Errors come back in the client's own format": ['"type":"error"', "no-such-model"],
    "Health and readiness": [],
}


def _examples() -> list[tuple[str, str]]:
    readme = README.read_text(encoding="utf-8")
    start, end = readme.index("<!-- curl-examples:start -->"), readme.index("<!-- curl-examples:end -->")
    text = readme[start:end]
    found = re.findall(r"^### (.+?)\n\n```sh\n(.*?)```", text, flags=re.S | re.M)
    return [(title.strip(), script) for title, script in found]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def demo_port() -> Iterator[int]:
    port = _free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "interlingua", "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout and proc.poll() is not None else ""
                pytest.fail(f"interlingua serve --demo did not become ready (exit {proc.poll()}): {out}")
            time.sleep(0.1)
        yield port
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def test_readme_examples_all_have_expectations() -> None:
    titles = [title for title, _ in _examples()]
    assert titles == list(EXPECT), "README.md curl examples and EXPECT disagree"


@pytest.mark.parametrize(("title", "script"), _examples(), ids=[t for t, _ in _examples()])
def test_readme_example_runs_against_demo(demo_port: int, title: str, script: str) -> None:
    if script.startswith("interlingua serve"):
        return  # the fixture runs it
    script = script.replace("127.0.0.1:8080", f"127.0.0.1:{demo_port}")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, timeout=20, check=False
    )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert out, "no output"
    compact = out.replace('": ', '":').replace(", ", ",")
    for expected in EXPECT[title]:
        assert expected in compact, f"{expected!r} not in output of {title!r}:\n{out[:2000]}"
