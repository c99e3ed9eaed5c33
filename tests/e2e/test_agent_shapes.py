"""Codex-shaped Responses requests and Gemini-CLI-shaped Gemini requests, sent
raw (as the CLIs send them) through the gateway to every upstream format: a
whole tool-using episode (the call, then the result and the final text), with
every streamed event judged by the official SDK's types."""

from __future__ import annotations

from typing import Any, get_args

import httpx
import orjson
import pytest
from google.genai import types as genai_types
from openai.types.responses import ResponseStreamEvent

from .agents import EXEC_OUTPUT, JSON, codex_request, gemini_cli_request, sse_events
from .payloads import CLIENT_KEY
from .test_matrix import UPSTREAM_ROUTES

# A Responses upstream runs namespace tools itself (passthrough): no flattening to test there.
CODEX_CASES = [
    (fmt, target)
    for fmt in UPSTREAM_ROUTES
    for target in ("exec_command", "namespaced")
    if (fmt, target) != ("openai_responses", "namespaced")
]
# The openai SDK's event models by their ``type`` (validating the union names every member on failure).
_EVENTS = {
    get_args(cls.model_fields["type"].annotation)[0]: cls
    for cls in get_args(get_args(ResponseStreamEvent)[0])
}
SKIP_SIGNATURE = "skip_thought_signature_validator"


async def _codex_turn(http: httpx.AsyncClient, body: JSON) -> JSON:
    headers = {
        "authorization": f"Bearer {CLIENT_KEY}",
        "accept": "text/event-stream",
        "originator": "codex_exec",
    }
    async with http.stream("POST", "/v1/responses", json=body, headers=headers) as response:
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {(await response.aread()).decode()}")
        events = await sse_events(response)
    for name, data in events:
        assert name == data["type"]
        _EVENTS[data["type"]].model_validate(data)
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert events[0][1]["type"] == "response.created"
    assert events[-1][1]["type"] == "response.completed"
    final: JSON = events[-1][1]["response"]
    return final


@pytest.mark.parametrize(("upstream_format", "target"), CODEX_CASES)
async def test_codex_shaped_tool_episode(gateway: str, upstream_format: str, target: str) -> None:
    model = UPSTREAM_ROUTES[upstream_format]
    prompt = (
        "Run `echo hi` please."
        if target == "exec_command"
        else "Use multi_agent_v1__spawn_agent for `tidy up` please."
    )
    body = codex_request(model, prompt)
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as http:
        first = await _codex_turn(http, body)
        call = next(item for item in first["output"] if item["type"] == "function_call")
        if target == "exec_command":
            assert (call["name"], orjson.loads(call["arguments"])) == ("exec_command", {"cmd": "echo hi"})
        else:
            assert (call.get("namespace"), call["name"]) == ("multi_agent_v1", "spawn_agent")
            assert orjson.loads(call["arguments"]) == {"task": "tidy up"}
        # Codex sends the earlier output items back (with their ids), then the tool output.
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": EXEC_OUTPUT}
        body["input"] += [*first["output"], output]
        second = await _codex_turn(http, body)
    message = next(item for item in second["output"] if item["type"] == "message")
    text = message["content"][0]["text"]
    assert text.startswith("The tool ")
    assert "Process exited with code 0" in text


async def _gemini_cli_turn(http: httpx.AsyncClient, model: str, contents: list[JSON]) -> list[JSON]:
    url = f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
    headers = {
        "x-goog-api-key": CLIENT_KEY,
        "x-goog-api-client": "google-genai-sdk/1.30.0 gl-node/v20.20.2",
        "user-agent": f"GeminiCLI-tui/0.61.0/{model} (linux; x64; terminal)",
    }
    async with http.stream("POST", url, json=gemini_cli_request(contents), headers=headers) as response:
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {(await response.aread()).decode()}")
        chunks = [data for _, data in await sse_events(response)]
    for chunk in chunks:
        genai_types.GenerateContentResponse.model_validate(chunk)
    assert chunks[-1]["candidates"][0]["finishReason"] == "STOP"
    assert chunks[-1]["usageMetadata"]["promptTokenCount"] > 0
    candidates = [c["candidates"][0] for c in chunks if c.get("candidates")]
    return [part for c in candidates for part in c.get("content", {}).get("parts", [])]


@pytest.mark.parametrize("upstream_format", list(UPSTREAM_ROUTES))
async def test_gemini_cli_shaped_tool_episode(gateway: str, upstream_format: str) -> None:
    model = UPSTREAM_ROUTES[upstream_format]
    prompt = "Please run `echo hi` with run_shell_command."
    contents: list[Any] = [
        {
            "role": "user",
            "parts": [{"text": "<session_context>\nToday is Sunday.\n</session_context>"}, {"text": prompt}],
        }
    ]
    async with httpx.AsyncClient(base_url=gateway, timeout=10) as http:
        parts = await _gemini_cli_turn(http, model, contents)
        calls = [p for p in parts if "functionCall" in p]
        assert len(calls) == 1
        call = calls[0]["functionCall"]
        assert (call["name"], call["args"]) == ("run_shell_command", {"command": "echo hi"})
        # The CLI echoes the call (with a placeholder signature when the model gave none).
        echoed: JSON = {
            "functionCall": call,
            "thoughtSignature": calls[0].get("thoughtSignature", SKIP_SIGNATURE),
        }
        answer = {"name": call["name"], "response": {"output": "hi\n"}} | (
            {"id": call["id"]} if call.get("id") else {}
        )
        contents += [
            {"role": "model", "parts": [echoed]},
            {"role": "user", "parts": [{"functionResponse": answer}]},
        ]
        parts = await _gemini_cli_turn(http, model, contents)
    text = "".join(p.get("text", "") for p in parts if not p.get("thought"))
    assert text.startswith("The tool run_shell_command returned: ")
    assert "hi" in text.removeprefix("The tool run_shell_command returned: ")
