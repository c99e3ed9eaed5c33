"""pydantic-ai as a judge: its OpenAI Chat, OpenAI Responses and Anthropic models
through the gateway to every upstream format, the agent loop running the tools."""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import pytest
import pytest_asyncio
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from interlingua.server.fake_upstream import FakeUpstream

from .routes import CLIENT_KEY, ECHO, PROMPT, SLOW, UPSTREAM_ROUTES, Weather, get_weather, is_final

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENTS = ("chat_completions", "responses", "anthropic")


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    return UPSTREAM_ROUTES[request.param]


@pytest_asyncio.fixture(params=CLIENTS, loop_scope="module")
async def model(request: pytest.FixtureRequest, gateway: str, route: str) -> AsyncIterator[Model]:
    if request.param == "anthropic":
        async with anthropic.AsyncAnthropic(
            base_url=gateway, api_key=CLIENT_KEY, max_retries=0, timeout=10
        ) as ant:
            yield AnthropicModel(route, provider=AnthropicProvider(anthropic_client=ant))
        return
    async with openai.AsyncOpenAI(
        base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10
    ) as oai:
        kind = OpenAIResponsesModel if request.param == "responses" else OpenAIChatModel
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


async def test_upstream_429_is_the_librarys_rate_limit_error(model: Model, upstream: FakeUpstream) -> None:
    upstream.fault_next(SLOW)
    with pytest.raises(ModelHTTPError) as info:
        await Agent(model).run("hi")
    assert info.value.status_code == 429
    assert isinstance(info.value.__cause__, openai.RateLimitError | anthropic.RateLimitError)
    assert "slow down please" in str(info.value)
