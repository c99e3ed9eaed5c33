"""pydantic-ai as a judge: its OpenAI Chat, OpenAI Responses and Anthropic models
through the gateway to every upstream format, the agent loop running the tools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import pytest
import pytest_asyncio
from pydantic_ai import Agent, NativeOutput
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelResponse, ThinkingPart
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel, AnthropicModelSettings
from pydantic_ai.models.openai import (
    OpenAIChatModel,
    OpenAIChatModelSettings,
    OpenAIResponsesModel,
    OpenAIResponsesModelSettings,
)
from pydantic_ai.profiles.anthropic import anthropic_model_profile
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from interlingua.server.fake_upstream import FakeUpstream

from .routes import CLIENT_KEY, ECHO, PROMPT, SLOW, THOUGHT, UPSTREAM_ROUTES, Weather, get_weather, is_final

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENTS = ("chat_completions", "responses", "anthropic")


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    return UPSTREAM_ROUTES[request.param]


@pytest.fixture(params=CLIENTS)
def client(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(loop_scope="module")
async def model(client: str, gateway: str, route: str) -> AsyncIterator[Model]:
    if client == "anthropic":
        async with anthropic.AsyncAnthropic(
            base_url=gateway, api_key=CLIENT_KEY, max_retries=0, timeout=60
        ) as ant:
            yield AnthropicModel(route, provider=AnthropicProvider(anthropic_client=ant))
        return
    async with openai.AsyncOpenAI(
        base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=60
    ) as oai:
        kind = OpenAIResponsesModel if client == "responses" else OpenAIChatModel
        yield kind(route, provider=OpenAIProvider(openai_client=oai))


async def test_text(model: Model) -> None:
    result = await Agent(model).run("hi there")
    assert result.output == ECHO + "hi there"
    assert result.usage.output_tokens == 9


async def test_streamed_text(model: Model) -> None:
    async with Agent(model).run_stream("stream please") as result:
        pieces = [piece async for piece in result.stream_text(delta=True)]
    assert "".join(pieces) == ECHO + "stream please"


async def test_multi_turn(model: Model) -> None:
    agent = Agent(model)
    first = await agent.run("hi")
    second = await agent.run("tell me more", message_history=first.all_messages())
    assert second.output == ECHO + "tell me more"


async def test_tool_round_trip(model: Model) -> None:
    result = await Agent(model, tools=[get_weather]).run(PROMPT)
    assert is_final(result.output)


async def test_streamed_tool_round_trip(model: Model) -> None:
    async with Agent(model, tools=[get_weather]).run_stream(PROMPT) as result:
        pieces = [piece async for piece in result.stream_text(delta=True)]
    assert is_final("".join(pieces))


async def test_structured_output(model: Model) -> None:
    # pydantic-ai's default output mode hands the schema over as a tool.
    result = await Agent(model, output_type=Weather).run(PROMPT)
    assert result.output == Weather(location="Paris")


async def test_native_structured_output(model: Model) -> None:
    """The provider's own field (Chat ``response_format``, Responses ``text.format``,
    Anthropic ``output_config.format``), translated to each upstream's own field, which
    the fake model fills with the schema's minimal instance."""
    if isinstance(model, AnthropicModel):  # its profile knows structured output by Claude's names
        provider = AnthropicProvider(anthropic_client=model.client)
        model = AnthropicModel(model.model_name, provider=provider, profile=anthropic_model_profile("claude-sonnet-4-6"))
    result = await Agent(model, output_type=NativeOutput(Weather)).run(PROMPT)
    assert result.output == Weather(location="Paris")


async def test_upstream_429_is_the_librarys_rate_limit_error(model: Model, upstream: FakeUpstream) -> None:
    upstream.fault_next(SLOW)
    with pytest.raises(ModelHTTPError) as info:
        await Agent(model).run("hi")
    assert info.value.status_code == 429
    assert isinstance(info.value.__cause__, openai.RateLimitError | anthropic.RateLimitError)
    assert "slow down please" in str(info.value)


# Provider settings rather than the unified ``thinking``: pydantic-ai decides whether a model
# thinks from its profile, which knows models by their provider names, not the demo routes'.
THINKING: dict[str, ModelSettings] = {
    "chat_completions": OpenAIChatModelSettings(openai_reasoning_effort="low"),
    "responses": OpenAIResponsesModelSettings(openai_reasoning_effort="low", openai_reasoning_summary="detailed"),
    "anthropic": AnthropicModelSettings(anthropic_thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=4096),
}


def _thoughts(messages: list[ModelMessage]) -> list[str]:
    return [
        part.content
        for message in messages
        if isinstance(message, ModelResponse)
        for part in message.parts
        if isinstance(part, ThinkingPart) and part.content
    ]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_thinking_with_tools(model: Model, client: str, stream: bool) -> None:
    """Thinking on through the whole tool loop: the thought (with its signature or encrypted
    content) goes back with the tool call on the next turn, to every upstream."""
    agent = Agent(model, tools=[get_weather], model_settings=THINKING[client])
    if stream:
        async with agent.run_stream(PROMPT) as streamed:
            output = "".join([piece async for piece in streamed.stream_text(delta=True)])
        messages = streamed.all_messages()
    else:
        result = await agent.run(PROMPT)
        output, messages = result.output, result.all_messages()
    assert is_final(output)
    if client != "chat_completions":  # Chat Completions has no field for reasoning text
        assert THOUGHT.format(n=len(PROMPT)) in _thoughts(messages)
