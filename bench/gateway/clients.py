"""The bench's clients: each scenario's client format and model, its request and the check
of a sample answer (the fast upstream's canned text must come through)."""

from __future__ import annotations

import json
from typing import Any

from fast_upstream import TEXT
from loadgen import build_request

__all__ = ["SCENARIOS", "check_answer", "client_request"]

SYSTEM = "You are a helpful assistant."
USER = "Say hello."
SCENARIOS: dict[str, tuple[str, str]] = {  # name -> (client format, model)
    "s1": ("openai", "mock-openai"),
    "s2": ("anthropic", "mock-openai"),
    "s3": ("openai", "mock-anthropic"),
    "s4": ("anthropic", "mock-anthropic"),
    # s1 and s2 on a route with two targets, retries and cooldowns (issue 9's CPU budget).
    "s5": ("openai", "mock-openai-ha"),
    "s6": ("anthropic", "mock-openai-ha"),
    # A Gemini client (the model in the URL) to the OpenAI upstream, translated.
    "s7": ("gemini", "mock-openai"),
}


def _body(fmt: str, model: str, stream: bool) -> bytes:
    if fmt == "openai":
        body: dict[str, Any] = {
            "model": model,
            "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}],
            "max_tokens": 64,
            "temperature": 0.7,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = {"include_usage": True}
    elif fmt == "gemini":
        body = {
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": USER}]}],
            "generationConfig": {"maxOutputTokens": 64, "temperature": 0.7},
        }
    else:
        body = {
            "model": model,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": USER}],
            "max_tokens": 64,
            "temperature": 0.7,
            "stream": stream,
        }
    return json.dumps(body, separators=(",", ":")).encode()


def client_request(fmt: str, model: str, stream: bool, port: int, key: str = "sk-bench") -> bytes:
    path = "/v1/chat/completions" if fmt == "openai" else "/v1/messages"
    headers = (
        {"authorization": f"Bearer {key}"}
        if fmt == "openai"
        else {"x-api-key": key, "anthropic-version": "2023-06-01"}
    )
    if fmt == "gemini":
        method = "streamGenerateContent?alt=sse" if stream else "generateContent"
        path, headers = f"/v1beta/models/{model}:{method}", {"x-goog-api-key": key}
    return build_request("127.0.0.1", port, path, _body(fmt, model, stream), headers)


def check_answer(fmt: str, stream: bool, body: bytes) -> str | None:
    """Why a sample answer is wrong, or None."""
    text = body.decode(errors="replace")
    if stream:
        end = {"openai": "data: [DONE]", "anthropic": "message_stop", "gemini": '"finishReason"'}[fmt]
        pieces = "".join(
            _text_of(fmt, json.loads(line[5:]))
            for line in text.splitlines()
            if line.startswith("data:") and line != "data: [DONE]"
        )
        return None if end in text and pieces == TEXT else f"stream wrong: {text[:300]}"
    return None if TEXT in text else f"answer wrong: {text[:300]}"


def _text_of(fmt: str, event: dict[str, Any]) -> str:
    """The text a stream event of ``fmt`` carries."""
    if fmt == "anthropic":
        return str(event.get("delta", {}).get("text", ""))
    if fmt == "gemini":
        parts = [p for c in event.get("candidates", []) for p in c.get("content", {}).get("parts", [])]
        return "".join(p.get("text", "") for p in parts)
    return "".join(c.get("delta", {}).get("content") or "" for c in event.get("choices", []))
