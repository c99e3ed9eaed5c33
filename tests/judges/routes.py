"""What the judges share: the demo route of each upstream format and the expected answers."""

from __future__ import annotations

from e2e.payloads import CLIENT_KEY, ECHO, UPSTREAM_ROUTES
from pydantic import BaseModel

__all__ = ["CLIENT_KEY", "ECHO", "PROMPT", "SLOW", "THOUGHT", "UPSTREAM_ROUTES", "Weather", "get_weather", "is_final"]

PROMPT = "What is the weather in Paris?"
SLOW = "status:429,message:slow down please"
THOUGHT = "The user wrote {n} characters; I will answer briefly."


class Weather(BaseModel):
    """Structured output the fake model fills by calling the schema as a tool."""

    location: str


def get_weather(location: str) -> str:
    """Current weather for a place."""
    return f"21C and sunny in {location}"


def is_final(text: str) -> bool:
    """The fake model's summary of :func:`get_weather`'s result (a Gemini upstream
    gets a string result wrapped as ``{"output": ...}`` and echoes it so)."""
    return text.startswith("The tool get_weather returned: ") and "21C and sunny in Paris" in text
