"""Every client format x every upstream format, through the real gateway, judged
by the official SDKs: OpenAI chat (openai), Anthropic (anthropic), Gemini
(google-genai), OpenAI Responses (openai ``responses``) against the fake
upstream's OpenAI chat, Anthropic, Gemini, Responses and Bedrock Converse (and
Azure OpenAI, the OpenAI chat dialect with its own URL, query and key header).

The matrix is data: :data:`UPSTREAM_ROUTES` (a demo model name per upstream
format) x :data:`CLIENTS` (a driver per client format, ``clients.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import orjson
import pytest
import pytest_asyncio

from interlingua.convert.blobs import original_call_id
from interlingua.convert.ids import unwrap
from interlingua.server.config import load_config_text
from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream, demo_config_yaml
from interlingua.server.fake_upstream.anthropic_messages import SIGNATURE as ANTHROPIC_SIGNATURE
from interlingua.server.fake_upstream.bedrock_converse import SIGNATURE as BEDROCK_SIGNATURE
from interlingua.server.fake_upstream.gemini import GEMINI_SIGNATURE
from interlingua.server.fake_upstream.openai_responses import ENCRYPTED_PREFIX
from interlingua.server.testing import running_gateway

from .clients import AnthropicDriver, Driver, GeminiDriver, OpenAIChatDriver, ResponsesDriver
from .payloads import CLIENT_KEY, ECHO, UPSTREAM_ROUTES, genai_client

# One fake upstream and one gateway for the whole module (hundreds of cases; each
# test gets a clean fake, see _clean_upstream), all on the module's event loop.
pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENTS = ("openai_chat", "anthropic_messages", "gemini", "openai_responses")
# Tool call id prefix each client sees (Gemini has no id style of its own).
_TOOL_ID_STYLE = {"OpenAIChatDriver": "call_", "ResponsesDriver": "call_", "AnthropicDriver": "toolu_"}
# Pairs known not to work yet: (client, upstream) -> the missing piece (xfail strict).
KNOWN_GAPS: dict[tuple[str, str], str] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def upstream() -> AsyncIterator[FakeUpstream]:
    up = FakeUpstream(api_key=DEMO_UPSTREAM_KEY)
    await up.start()
    yield up
    await up.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    config = load_config_text(demo_config_yaml(upstream), {})
    async with running_gateway(config) as url:
        yield url


@pytest.fixture(autouse=True)
def _clean_upstream(upstream: FakeUpstream) -> None:
    upstream.reset()


@pytest_asyncio.fixture(params=CLIENTS, loop_scope="module")
async def driver(request: pytest.FixtureRequest, gateway: str) -> AsyncIterator[Driver]:
    kind = request.param
    if kind == "anthropic_messages":
        async with anthropic.AsyncAnthropic(
            base_url=gateway, api_key=CLIENT_KEY, max_retries=0, timeout=10
        ) as ant:
            yield AnthropicDriver(ant)
    elif kind == "gemini":
        async with genai_client(gateway, CLIENT_KEY) as gem:
            yield GeminiDriver(gem)
    else:
        async with openai.AsyncOpenAI(
            base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10
        ) as oai:
            yield OpenAIChatDriver(oai) if kind == "openai_chat" else ResponsesDriver(oai)


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def upstream_format(request: pytest.FixtureRequest) -> str:
    client = request.node.callspec.params["driver"]
    gap = KNOWN_GAPS.get((client, request.param))
    if gap:
        request.applymarker(pytest.mark.xfail(reason=gap, strict=True))
    return str(request.param)


@pytest.fixture
def model(upstream_format: str) -> str:
    return UPSTREAM_ROUTES[upstream_format]


async def test_matrix_text_and_usage(driver: Driver, model: str) -> None:
    text, output_tokens = await driver.text(model, "hi there")
    assert text == ECHO + "hi there"
    assert output_tokens == 9


async def test_matrix_stream_text(driver: Driver, model: str) -> None:
    assert await driver.stream_text(model, "stream please") == ECHO + "stream please"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_matrix_tool_call_result_and_final_text(
    driver: Driver, model: str, upstream_format: str, stream: bool, upstream: FakeUpstream
) -> None:
    call = await driver.tool_call(model, stream)
    assert call.name == "get_weather"
    # The client sees the call id in its own provider's style (convert/ids.py) ...
    assert call.id.startswith(_TOOL_ID_STYLE.get(type(driver).__name__, "")), call.id
    assert orjson.loads(call.arguments) == {"location": "Paris"}
    if stream and upstream_format != "gemini" and not isinstance(driver, GeminiDriver):
        # The upstream streams arguments in 8-byte pieces; they reach the client as pieces too.
        assert call.deltas > 1
    final = await driver.tool_result(model, call, "21C and sunny")
    assert final.startswith("The tool get_weather returned: ")
    assert "21C and sunny" in final
    # ... and the upstream gets back the id it issued, never the client's restyled one.
    sent = upstream.requests[-1].raw
    assert _issued(call.id).encode() in sent
    assert b"_ilg_" not in sent


async def test_matrix_upstream_429_is_the_sdks_rate_limit_error(
    driver: Driver, model: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("status:429,message:slow down please")
    with pytest.raises(driver.rate_limit_error) as info:
        await driver.text(model, "hi")
    assert getattr(info.value, "status_code", getattr(info.value, "code", None)) == 429
    assert "slow down please" in str(info.value)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_matrix_thinking_when_asked(
    request: pytest.FixtureRequest, driver: Driver, model: str, upstream_format: str, stream: bool
) -> None:
    thinking, text = await driver.thinking(model, "think first", stream)
    assert thinking == "The user wrote 11 characters; I will answer briefly."
    assert text == ECHO + "think first"


# The opaque blob each fake upstream issues with its thinking (none: OpenAI chat).
BLOBS = {
    "anthropic_messages": ANTHROPIC_SIGNATURE.encode(),
    "gemini": GEMINI_SIGNATURE.encode(),
    "openai_responses": ENCRYPTED_PREFIX.encode(),
    "bedrock_converse": BEDROCK_SIGNATURE.encode(),
}


@pytest.mark.parametrize("second", list(UPSTREAM_ROUTES))
async def test_matrix_tool_episode_switching_upstream_midway(
    driver: Driver, model: str, upstream_format: str, second: str, upstream: FakeUpstream
) -> None:
    """Thinking + a tool call from one upstream, the result answered by another: opaque
    blobs (signatures, encrypted reasoning) never reach an upstream that did not issue them."""
    final = await driver.switch_upstream(model, UPSTREAM_ROUTES[second], "21C and sunny")
    assert final.startswith("The tool get_weather returned: ")
    assert "21C and sunny" in final
    blob = BLOBS.get(upstream_format)
    if blob is not None and second != upstream_format:
        assert blob not in upstream.requests[-1].raw, f"{upstream_format}'s opaque blob leaked to {second}"
    translated = not isinstance(driver, GeminiDriver)  # a Gemini client's history reaches Gemini verbatim
    if second == "gemini" and upstream_format != "gemini" and translated:  # unsigned calls: Google's dummy
        assert b'"thoughtSignature":"skip_thought_signature_validator"' in upstream.requests[-1].raw


async def test_matrix_opaque_blob_goes_back_to_its_issuer(
    request: pytest.FixtureRequest, driver: Driver, model: str, upstream_format: str, upstream: FakeUpstream
) -> None:
    """The blob an upstream issued reaches a client of any format (sealed with its issuer in
    the client's own field: convert/blobs.py) and comes back to that upstream on the next turn."""
    client = request.node.callspec.params["driver"]
    await driver.switch_upstream(model, model, "21C")
    blob = BLOBS.get(upstream_format)
    if blob is not None:  # OpenAI chat upstreams issue none; OpenAI chat clients have no field for
        # one, but for a Gemini call's own signature, which they carry in the call's id.
        assert (blob in upstream.requests[-1].raw) == (client != "openai_chat" or upstream_format == "gemini")


def _issued(call_id: str) -> str:
    """The id the upstream issued, from the one its client got: restyled (convert/ids.py), or
    for a Chat client of Gemini, sealed with the call's signature (convert/blobs.py)."""
    return str(unwrap(original_call_id(call_id)))


def _status(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None) or getattr(exc, "code", None)


# What each client format calls an upstream 503 (Anthropic's overloaded is 529).
_SERVER_STATUSES = {503, 529}


@pytest.mark.parametrize("status", [400, 503])
async def test_matrix_upstream_error_reaches_the_client_as_its_sdk_error(
    driver: Driver, model: str, upstream: FakeUpstream, status: int
) -> None:
    upstream.fault_next(f"status:{status},message:fake failure {status}")
    with pytest.raises(Exception) as info:  # noqa: PT011  (the SDK's own class, checked below)
        await driver.text(model, "hi")
    assert type(info.value).__module__.split(".")[0] in ("openai", "anthropic", "google")
    got = _status(info.value)
    assert got == status or (status == 503 and got in _SERVER_STATUSES), (got, info.value)
    assert f"fake failure {status}" in str(info.value)


async def test_matrix_error_mid_stream_is_raised_by_the_sdk(
    driver: Driver, model: str, upstream: FakeUpstream
) -> None:
    upstream.fault_next("error-after:4,message:exploded mid-stream")
    with pytest.raises(Exception, match="exploded mid-stream") as info:
        await driver.stream_text(model, "a long enough answer please")
    assert type(info.value).__module__.split(".")[0] in ("openai", "anthropic", "google")


@pytest.mark.parametrize("upstream_format", list(UPSTREAM_ROUTES))
async def test_count_tokens_from_gemini_and_anthropic_clients(gateway: str, upstream_format: str) -> None:
    model = UPSTREAM_ROUTES[upstream_format]
    async with genai_client(gateway, CLIENT_KEY) as gem:
        counted = await gem.aio.models.count_tokens(model=model, contents="how many tokens is this?")
    assert counted.total_tokens is not None
    assert counted.total_tokens > 0
    async with anthropic.AsyncAnthropic(base_url=gateway, api_key=CLIENT_KEY, max_retries=0) as ant:
        tokens = await ant.messages.count_tokens(
            model=model, messages=[{"role": "user", "content": "how many tokens is this?"}]
        )
    assert tokens.input_tokens > 0
