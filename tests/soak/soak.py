"""Soak (issue 12): many mixed requests at high concurrency against ``interlingua serve`` and
the fake upstream, on 127.0.0.1, with the gateway's RSS sampled over time.

    python tests/soak/soak.py                          # 100,000 requests, concurrency 64
    python tests/soak/soak.py --requests 5000 --concurrency 16

The mix covers every client format, passthrough and translated, plain and streamed, and
client errors (unknown model, malformed JSON, a missing conversation); every answer is
checked against the status (and for streams the closing event) it must have. The gateway
runs as its own process (``interlingua serve --config``) so its RSS is its own; it is
stopped by its PID. Bounded: ``--max-seconds`` (default 900) stops the load early.
Prints requests/s, wrong answers, and RSS start/peak/end; exits 1 on any wrong answer.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson
import yaml

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream, demo_config

_HI = [{"role": "user", "content": "hi"}]
_GEMINI = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    body: bytes
    status: int
    stream_end: bytes = b""  # a stream's closing marker, which must arrive


def _json(value: object) -> bytes:
    return orjson.dumps(value)


CASES = [
    Case("chat", "/v1/chat/completions", _json({"model": "demo-gpt", "messages": _HI}), 200),
    Case("chat-stream", "/v1/chat/completions", _json({"model": "demo-gpt", "messages": _HI, "stream": True}),
         200, b"[DONE]"),
    Case("chat->anthropic", "/v1/chat/completions", _json({"model": "demo-claude", "messages": _HI}), 200),
    Case("messages", "/v1/messages", _json({"model": "demo-claude", "max_tokens": 16, "messages": _HI}), 200),
    Case("messages-stream", "/v1/messages",
         _json({"model": "demo-claude", "max_tokens": 16, "messages": _HI, "stream": True}), 200, b"message_stop"),
    Case("messages->openai-stream", "/v1/messages",
         _json({"model": "demo-gpt", "max_tokens": 16, "messages": _HI, "stream": True}), 200, b"message_stop"),
    Case("responses", "/v1/responses", _json({"model": "demo-responses", "input": "hi"}), 200),
    Case("responses->anthropic-stream", "/v1/responses",
         _json({"model": "demo-claude", "input": "hi", "stream": True}), 200, b"response.completed"),
    Case("gemini", "/v1beta/models/demo-gemini:generateContent", _json(_GEMINI), 200),
    Case("gemini->openai-stream", "/v1beta/models/demo-gpt:streamGenerateContent?alt=sse", _json(_GEMINI),
         200, b"finishReason"),
    Case("bedrock", "/model/demo-bedrock/converse",
         _json({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}), 200),
    Case("unknown-model", "/v1/chat/completions", _json({"model": "nope", "messages": _HI}), 404),
    Case("bad-json", "/v1/messages", b'{"model": "demo-claude", "messages": [', 400),
    Case("no-conversation", "/v1/chat/completions", _json({"model": "demo-gpt"}), 400),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _until_up(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("the gateway did not start")


async def _one(session: aiohttp.ClientSession, url: str, case: Case) -> str | None:
    """None when the answer is right, else what was wrong."""
    headers = {"content-type": "application/json"}
    async with session.post(url + case.path, data=case.body, headers=headers) as response:
        body = await response.read()
    if response.status != case.status:
        return f"{case.name}: HTTP {response.status} {body[:200]!r}"
    if case.stream_end and (case.stream_end not in body or b"event: error" in body or b'"error":{' in body):
        return f"{case.name}: stream without its end {body[-200:]!r}"
    return None


async def load(url: str, pid: int, requests: int, concurrency: int, max_seconds: float) -> dict[str, object]:
    cases = itertools.cycle(CASES)
    wrong: list[str] = []
    done = 0
    samples = [rss_mb(pid)]
    deadline = time.monotonic() + max_seconds
    timeout = aiohttp.ClientTimeout(total=60)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while done < requests and time.monotonic() < deadline:
            done += 1
            try:
                problem = await _one(session, url, next(cases))
            except (TimeoutError, aiohttp.ClientError) as exc:
                problem = f"transport: {exc!r}"
            if problem is not None:
                wrong.append(problem)

    async def sampler() -> None:
        while True:
            await asyncio.sleep(1.0)
            samples.append(rss_mb(pid))

    start = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        watch = asyncio.create_task(sampler())
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        watch.cancel()
    elapsed = time.monotonic() - start
    samples.append(rss_mb(pid))
    return {
        "requests": done,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(done / elapsed, 1),
        "wrong": len(wrong),
        "wrong_examples": wrong[:5],
        "rss_mb": {"start": round(samples[0], 1), "peak": round(max(samples), 1), "end": round(samples[-1], 1)},
    }


async def main(args: argparse.Namespace) -> int:
    upstream = FakeUpstream(api_key=DEMO_UPSTREAM_KEY, record=False)
    await upstream.start()
    port = _free_port()
    config = demo_config(upstream, port=port)
    config["server"]["log_level"] = "warning"  # no access log lines for 100,000 requests
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "soak.yaml"
        path.write_text(yaml.safe_dump(config))
        command = [sys.executable, "-m", "interlingua", "serve", "--config", str(path)]
        log = (Path(tmp) / "gateway.log").open("wb")
        gateway = await asyncio.create_subprocess_exec(*command, stdout=log, stderr=log)
        try:
            url = f"http://127.0.0.1:{port}"
            await _until_up(url)
            # Warm-up (imports, pools, caches) before the first RSS sample.
            await load(url, gateway.pid, len(CASES) * 20, 8, 60)
            report = await load(url, gateway.pid, args.requests, args.concurrency, args.max_seconds)
        finally:
            os.kill(gateway.pid, signal.SIGTERM)
            await asyncio.wait_for(gateway.wait(), 30)
            log.close()
            await upstream.stop()
    print(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode())
    return 1 if report["wrong"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
