"""LangChain's Gemini client (``langchain-google-genai``) as a judge: the scenarios of
``test_langchain.py`` through the gateway to every upstream format.

langchain-google-genai caps google-genai below 3 while the dev extras are past it, so this
module runs in its own venv (``nox -s langchain-gemini``, in ``.ci/run``) and skips elsewhere.
"""

from __future__ import annotations

import pytest

pytest.importorskip(
    "langchain_google_genai", reason="langchain-google-genai runs in its own venv: nox -s langchain-gemini"
)

from langchain_google_genai.chat_models import GoogleRateLimitError

from . import test_langchain
from .test_langchain import (
    route,
    test_multi_turn,
    test_native_structured_output,
    test_streamed_text,
    test_structured_output,
    test_text,
    test_thinking_with_tools,
    test_tool_round_trip,
    test_upstream_429_is_the_librarys_rate_limit_error,
)

__all__ = [
    "route",
    "test_multi_turn",
    "test_native_structured_output",
    "test_streamed_text",
    "test_structured_output",
    "test_text",
    "test_thinking_with_tools",
    "test_tool_round_trip",
    "test_upstream_429_is_the_librarys_rate_limit_error",
]

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    # google-genai's aiohttp path subclasses ClientSession (see e2e/payloads.genai_client).
    pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning"),
]
test_langchain.RATE_LIMIT["google"] = GoogleRateLimitError


@pytest.fixture(params=["google"])
def client(request: pytest.FixtureRequest) -> str:
    return str(request.param)
