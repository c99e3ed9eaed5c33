"""LangChain as a judge: ``ChatOpenAI`` (Chat Completions and ``use_responses_api``) and
``ChatAnthropic`` through the gateway to every upstream format.

LangChain parses the answer its own way (message chunks merged by index, tool calls
rebuilt from argument pieces, content blocks for Responses and Anthropic), so a
gateway answer the official SDK tolerates can still break it here.
"""

from __future__ import annotations

from typing import Any

import anthropic
import openai
import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_openai import ChatOpenAI

from interlingua.server.fake_upstream import FakeUpstream

from .routes import CLIENT_KEY, ECHO, PROMPT, SLOW, THOUGHT, UPSTREAM_ROUTES, Weather, get_weather, is_final

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENTS = ("chat_completions", "responses", "anthropic")
RATE_LIMIT: dict[str, type[BaseException]] = {
    "chat_completions": openai.RateLimitError,
    "responses": openai.RateLimitError,
    "anthropic": anthropic.RateLimitError,
}


def make_model(client: str, gateway: str, route: str, **extra: Any) -> BaseChatModel:
    if client == "google":  # in its own session (nox -s langchain-gemini): test_langchain_google.py
        from langchain_google_genai import ChatGoogleGenerativeAI

        return ChatGoogleGenerativeAI(
            model=route, base_url=gateway, google_api_key=CLIENT_KEY, max_retries=0, timeout=60, **extra
        )
    if client == "anthropic":
        return ChatAnthropic(
            model_name=route, base_url=gateway, api_key=CLIENT_KEY, max_retries=0,
            timeout=60, stop=None, **extra,
        )
    return ChatOpenAI(
        model=route, base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=60,
        use_responses_api=client == "responses", **extra,
    )


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    return UPSTREAM_ROUTES[request.param]


async def _stream(model: Any, messages: list[BaseMessage] | str) -> AIMessageChunk:
    total: AIMessageChunk | None = None
    async for chunk in model.astream(messages):
        total = chunk if total is None else total + chunk
    assert total is not None
    return total


async def test_text(client: str, gateway: str, route: str) -> None:
    out = await make_model(client, gateway, route).ainvoke("hi there")
    assert out.text == ECHO + "hi there"
    assert isinstance(out, AIMessage)
    assert out.usage_metadata is not None
    assert out.usage_metadata["output_tokens"] == 9


async def test_streamed_text(client: str, gateway: str, route: str) -> None:
    out = await _stream(make_model(client, gateway, route), "stream please")
    assert out.text == ECHO + "stream please"


async def test_multi_turn(client: str, gateway: str, route: str) -> None:
    history: list[BaseMessage] = [
        HumanMessage("hi"), AIMessage("Hello! How can I help?"), HumanMessage("tell me more"),
    ]
    out = await make_model(client, gateway, route).ainvoke(history)
    assert out.text == ECHO + "tell me more"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_tool_round_trip(client: str, gateway: str, route: str, stream: bool) -> None:
    model = make_model(client, gateway, route).bind_tools([get_weather])
    history: list[BaseMessage] = [HumanMessage(PROMPT)]
    call = await _stream(model, history) if stream else await model.ainvoke(history)
    assert [(c["name"], c["args"]) for c in call.tool_calls] == [("get_weather", {"location": "Paris"})]
    tool_call = call.tool_calls[0]
    history += [call, ToolMessage(get_weather(**tool_call["args"]), tool_call_id=tool_call["id"] or "")]
    final = await _stream(model, history) if stream else await model.ainvoke(history)
    assert is_final(final.text)


async def test_structured_output(client: str, gateway: str, route: str) -> None:
    # Through tool calling: the fake model fills a schema it is handed as a tool.
    model = make_model(client, gateway, route).with_structured_output(Weather, method="function_calling")
    assert await model.ainvoke(PROMPT) == Weather(location="Paris")


async def test_native_structured_output(client: str, gateway: str, route: str) -> None:
    """The provider's own field (Chat ``response_format``, Responses ``text.format``, Anthropic
    ``output_config.format``, Gemini ``responseJsonSchema``), translated to each upstream's own
    field, which the fake model fills with the schema's minimal instance."""
    model = make_model(client, gateway, route).with_structured_output(Weather, method="json_schema")
    assert await model.ainvoke(PROMPT) == Weather(location="Paris")


THINKING: dict[str, dict[str, Any]] = {
    "anthropic": {"thinking": {"type": "enabled", "budget_tokens": 1024}, "max_tokens": 4096},
    "responses": {"reasoning": {"effort": "low", "summary": "auto"}},
    # ``reasoning`` would switch ChatOpenAI to the Responses API.
    "chat_completions": {"reasoning_effort": "low"},
    "google": {"thinking_budget": 1024, "include_thoughts": True},
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_thinking_with_tools(client: str, gateway: str, route: str, stream: bool) -> None:
    model = make_model(client, gateway, route, **THINKING[client]).bind_tools([get_weather])
    history: list[BaseMessage] = [HumanMessage(PROMPT)]
    call = await _stream(model, history) if stream else await model.ainvoke(history)
    if client != "chat_completions":  # Chat Completions has no field for reasoning text
        assert THOUGHT.format(n=len(PROMPT)) in str(call.content)
    assert [c["name"] for c in call.tool_calls] == ["get_weather"]
    history += [call, ToolMessage("21C", tool_call_id=call.tool_calls[0]["id"] or "")]
    final = await _stream(model, history) if stream else await model.ainvoke(history)
    assert final.text.startswith("The tool get_weather returned: ")
    assert "21C" in final.text


async def test_upstream_429_is_the_librarys_rate_limit_error(
    client: str, gateway: str, route: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next(SLOW)
    with pytest.raises(RATE_LIMIT[client], match="slow down please"):
        await make_model(client, gateway, route).ainvoke("hi")
