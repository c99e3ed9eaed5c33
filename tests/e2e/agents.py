"""Requests shaped like the real agent CLIs' (``/work/shared/reference/agent-clients.md``):
Codex (OpenAI Responses) and Gemini CLI (Gemini ``streamGenerateContent``), and an
SSE reader for their streamed answers."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

JSON = dict[str, Any]
SHELL_SCHEMA = {
    "type": "object",
    "properties": {
        "cmd": {"type": "string", "description": "Shell command to execute."},
        "yield_time_ms": {"type": "number", "description": "How long to wait for output."},
    },
    "required": ["cmd"],
    "additionalProperties": False,
}
AGENT_SCHEMA = {
    "type": "object",
    "properties": {"task": {"type": "string"}},
    "required": ["task"],
    "additionalProperties": False,
}
EXEC_OUTPUT = "Chunk ID: 4f1c2a\nWall time: 0.0104 seconds\nProcess exited with code 0\nOutput:\nhi\n"


def _message(n: int, role: str, text: str) -> JSON:
    return {
        "type": "message",
        "id": f"msg_codex{n}",
        "role": role,
        "content": [{"type": "input_text", "text": text}],
    }


def codex_request(model: str, prompt: str) -> JSON:
    """Codex 0.169's first request of a turn: developer messages, item ids, a namespace tool."""
    return {
        "model": model,
        "input": [
            _message(1, "developer", "You are Codex, a coding agent. " + "Be careful. " * 1400),
            _message(
                2, "developer", "<skills_instructions>\nNo skills are installed.\n</skills_instructions>"
            ),
            _message(
                3,
                "user",
                "<environment_context>\n  <cwd>/work</cwd>\n  <shell>bash</shell>\n</environment_context>",
            ),
            _message(4, "user", prompt),
        ],
        "tools": [
            {
                "type": "function",
                "name": "exec_command",
                "description": "Runs a command in a PTY.",
                "strict": False,
                "parameters": SHELL_SCHEMA,
            },
            {
                "type": "namespace",
                "name": "multi_agent_v1",
                "description": "Sub-agents.",
                "tools": [
                    {
                        "type": "function",
                        "name": "spawn_agent",
                        "description": "Start a helper agent.",
                        "strict": False,
                        "parameters": AGENT_SCHEMA,
                    },
                    {
                        "type": "function",
                        "name": "list_agents",
                        "description": "List helper agents.",
                        "strict": False,
                        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
                    },
                ],
            },
        ],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": {"summary": "auto"},
        "store": False,
        "stream": True,
        "include": ["reasoning.encrypted_content"],
        "prompt_cache_key": "019a8c2e-5f0b-7d31-9c4e-2b6a1f8d3e70",
        "client_metadata": {"x-codex-installation-id": "5b0e6f2a-8c1d-4e7b-9a3f-0d2c6e8b1a47"},
    }


GEMINI_CLI_TOOLS = [
    {
        "name": "run_shell_command",
        "description": "Executes a shell command.",
        "parametersJsonSchema": {
            "type": "object",
            "properties": {
                "command": {"type": "string", "description": "Exact bash command."},
                "description": {"type": "string"},
                "dir_path": {"type": ["string", "null"]},
            },
            "required": ["command"],
            "additionalProperties": False,
            "$schema": "http://json-schema.org/draft-07/schema#",
        },
    },
    {
        "name": "read_file",
        "description": "Reads a file.",
        "parametersJsonSchema": {
            "type": "object",
            "properties": {"absolute_path": {"type": "string"}, "offset": {"type": "number", "minimum": 0}},
            "required": ["absolute_path"],
        },
    },
]


def gemini_cli_request(contents: list[JSON]) -> JSON:
    """Gemini CLI 0.61's body: ~32 KB systemInstruction, parametersJsonSchema, includeThoughts."""
    return {
        "contents": contents,
        "systemInstruction": {
            "role": "user",
            "parts": [{"text": "You are an interactive CLI agent. " * 1000}],
        },
        "tools": [{"functionDeclarations": GEMINI_CLI_TOOLS}],
        "generationConfig": {
            "temperature": 1,
            "topP": 0.95,
            "topK": 64,
            "thinkingConfig": {"includeThoughts": True},
        },
    }


async def sse_events(response: httpx.Response) -> list[tuple[str | None, JSON]]:
    """(event name, data) of every SSE event of a streamed answer."""
    events: list[tuple[str | None, JSON]] = []
    name: str | None = None
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:") and line[5:].strip() != "[DONE]":
            events.append((name, orjson.loads(line[5:].strip())))
            name = None
    return events
