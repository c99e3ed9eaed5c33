"""The OpenAI Agents SDK as a judge: its Chat Completions and Responses models
through the gateway to every upstream format, ``Runner`` driving the tool loop.

Structured output: the SDK asks for it natively (``response_format`` / ``text.format``),
which the gateway translates to each upstream's own field and the fake model fills with
the schema's minimal instance."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
import pytest_asyncio
from agents import (
    Agent,
    Model,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from agents.items import ReasoningItem
from agents.result import RunResultBase
from openai.types.shared import Reasoning

from interlingua.server.fake_upstream import FakeUpstream

from .routes import CLIENT_KEY, ECHO, PROMPT, SLOW, THOUGHT, UPSTREAM_ROUTES, Weather, get_weather, is_final

pytestmark = pytest.mark.asyncio(loop_scope="module")

# The SDK would export traces to api.openai.com; the tests never leave loopback.
set_tracing_disabled(True)

CLIENTS = ("chat_completions", "responses")
WEATHER_TOOL = function_tool(get_weather)


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    return UPSTREAM_ROUTES[request.param]


@pytest_asyncio.fixture(params=CLIENTS, loop_scope="module")
async def model(request: pytest.FixtureRequest, gateway: str, route: str) -> AsyncIterator[Model]:
    async with openai.AsyncOpenAI(
        base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=60
    ) as oai:
        if request.param == "responses":
            yield OpenAIResponsesModel(route, openai_client=oai)
        else:
            yield OpenAIChatCompletionsModel(route, openai_client=oai)


def _agent(model: Model, **extra: object) -> Agent[None]:
    return Agent(name="judge", instructions="Be brief.", model=model, **extra)  # type: ignore[arg-type]


async def test_text(model: Model) -> None:
    result = await Runner.run(_agent(model), "hi there")
    assert result.final_output == ECHO + "hi there"


async def test_streamed_text(model: Model) -> None:
    result = Runner.run_streamed(_agent(model), "stream please")
    async for _ in result.stream_events():
        pass
    assert result.final_output == ECHO + "stream please"


async def test_multi_turn(model: Model) -> None:
    agent = _agent(model)
    first = await Runner.run(agent, "hi")
    second = await Runner.run(agent, [*first.to_input_list(), {"role": "user", "content": "tell me more"}])
    assert second.final_output == ECHO + "tell me more"


async def _run(agent: Agent[None], stream: bool) -> RunResultBase:
    """The agent on :data:`PROMPT`, streamed (every event consumed) or not."""
    if not stream:
        return await Runner.run(agent, PROMPT)
    result = Runner.run_streamed(agent, PROMPT)
    async for _ in result.stream_events():
        pass
    return result


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_tool_round_trip(model: Model, stream: bool) -> None:
    agent = _agent(model, tools=[WEATHER_TOOL])
    result = await _run(agent, stream)
    assert is_final(result.final_output)


async def test_structured_output(model: Model) -> None:
    result = await Runner.run(_agent(model, output_type=Weather), PROMPT)
    assert result.final_output == Weather(location="Paris")


async def test_upstream_429_is_the_librarys_rate_limit_error(model: Model, upstream: FakeUpstream) -> None:
    upstream.fault_next(SLOW)
    with pytest.raises(openai.RateLimitError, match="slow down please"):
        await Runner.run(_agent(model), "hi")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_thinking_with_tools(model: Model, stream: bool) -> None:
    """Reasoning on through the tool loop: the Responses model sends its reasoning items back
    with the tool call on the next turn (the Chat model has no field for reasoning text)."""
    settings = ModelSettings(reasoning=Reasoning(effort="low", summary="detailed"))
    agent = _agent(model, tools=[WEATHER_TOOL], model_settings=settings)
    result = await _run(agent, stream)
    assert is_final(result.final_output)
    if isinstance(model, OpenAIResponsesModel):
        summaries = [
            part.text for item in result.new_items if isinstance(item, ReasoningItem) for part in item.raw_item.summary
        ]
        assert THOUGHT.format(n=len(PROMPT)) in summaries
