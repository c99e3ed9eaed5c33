"""Request pieces shared by the end-to-end tests, in both client formats."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
from google import genai
from google.genai import types

CLIENT_KEY = "sk-client-secret-never-upstream"
OPENAI_ROUTES = ["gpt-4o-mini", "gpt-via-anthropic"]
ANTHROPIC_ROUTES = ["claude-sonnet-4-6", "claude-via-openai"]
# For the stalled-stream tests' gateway (e2e/conftest.py) only: short enough that they are
# quick. Gateways that never stall keep the default, since a loaded CI machine can take
# longer than this to answer an ordinary call.
READ_MS = 2_000

# A 1x1 PNG.
PNG_B64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SCHEMA = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
TIME_SCHEMA = {
    "type": "object",
    "properties": {"timezone": {"type": "string", "enum": ["UTC", "CET"]}},
    "required": ["timezone"],
}


def openai_tool(name: str = "get_weather", schema: dict[str, Any] = SCHEMA) -> Any:
    return {
        "type": "function",
        "function": {"name": name, "description": f"{name} for a place", "parameters": schema},
    }


def anthropic_tool(name: str = "get_weather", schema: dict[str, Any] = SCHEMA) -> Any:
    return {"name": name, "description": f"{name} for a place", "input_schema": schema}


OPENAI_TOOLS: Any = [openai_tool(), openai_tool("get_time", TIME_SCHEMA)]
ANTHROPIC_TOOLS: Any = [anthropic_tool(), anthropic_tool("get_time", TIME_SCHEMA)]
ECHO = "Hello from the demo upstream! You said: "

# The demo route of each upstream format (server/fake_upstream/config.py).
UPSTREAM_ROUTES = {
    "openai_chat": "demo-gpt",
    "anthropic_messages": "demo-claude",
    "gemini": "demo-gemini",
    "openai_responses": "demo-responses",
    "bedrock_converse": "demo-bedrock",
    "openai_chat_azure": "demo-azure",  # a dialect, not a format: deployment URL, api-version, api-key
}


def upstream_format(model: str) -> str:
    """The wire format of the upstream a demo model routes to."""
    return "anthropic_messages" if model in ("gpt-via-anthropic", "claude-sonnet-4-6") else "openai_chat"


@contextlib.asynccontextmanager
async def genai_client(base_url: str, api_key: str) -> AsyncIterator[genai.Client]:
    """A google-genai client on httpx: its aiohttp path subclasses ClientSession,
    which aiohttp warns about (and warnings are errors here)."""
    async with httpx.AsyncClient(timeout=10) as http:
        options = types.HttpOptions(base_url=base_url, api_version="v1beta", httpx_async_client=http)
        client = genai.Client(api_key=api_key, http_options=options)
        yield client
        await client.aio.aclose()
