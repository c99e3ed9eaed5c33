"""The Vercel AI SDK (``ai`` 6 with ``@ai-sdk/openai``, ``/anthropic``, ``/google``) as a judge,
through the gateway to every upstream format: the node project in ``vercel/`` runs every
case in one process (``judge.mjs``) and each test here judges one outcome.

Skips, naming the binary, when node or npm is missing (``.ci/run`` installs Debian's).
``npm ci`` installs the locked versions from the registry the first time.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import pytest_asyncio

from interlingua.server.fake_upstream import FakeUpstream

from .routes import CLIENT_KEY, ECHO, SLOW, THOUGHT, UPSTREAM_ROUTES, is_final

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROJECT = Path(__file__).parent / "vercel"
PROVIDERS = ("openai_chat", "openai_responses", "anthropic", "google")
SCENARIOS = ("text", "stream", "multi_turn", "tool", "tool_stream", "structured", "thinking_tool")
# Chat Completions has no field for reasoning text in its answer.
NO_THINKING = {"openai_chat"}
Outcomes = dict[str, dict[str, Any]]


async def _node(*args: str) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        "node", "judge.mjs", *args, cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    assert out.startswith(b"{"), out[:2000]
    return out


async def _npm_ci() -> None:
    if (PROJECT / "node_modules" / ".package-lock.json").exists():
        return
    proc = await asyncio.create_subprocess_exec(
        "npm", "ci", "--no-audit", "--no-fund", "--registry=https://registry.npmjs.org", cwd=PROJECT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=300)
    assert proc.returncode == 0, out.decode()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def outcomes(gateway: str, upstream: FakeUpstream) -> Outcomes:
    for binary in ("node", "npm"):
        if shutil.which(binary) is None:
            pytest.skip(f"{binary} is not installed (Debian: apt-get install nodejs npm)")
    await _npm_ci()
    cases = [[p, r, s] for p in PROVIDERS for r in UPSTREAM_ROUTES.values() for s in SCENARIOS]
    results: Outcomes = orjson.loads(await _node(gateway, orjson.dumps(cases).decode(), CLIENT_KEY))
    # Every 429 case in a second run, each taking one fault from the queue.
    limited = [[p, r, "text"] for p in PROVIDERS for r in UPSTREAM_ROUTES.values()]
    upstream.fault_next(SLOW, times=len(limited))
    out = orjson.loads(await _node(gateway, orjson.dumps(limited).decode(), CLIENT_KEY))
    results.update({key.replace("|text", "|429"): value for key, value in out.items()})
    return results


@pytest.fixture(params=PROVIDERS)
def provider(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(UPSTREAM_ROUTES))
def route(request: pytest.FixtureRequest) -> str:
    return UPSTREAM_ROUTES[request.param]


def _outcome(outcomes: Outcomes, provider: str, route: str, scenario: str) -> dict[str, Any]:
    outcome = outcomes[f"{provider}|{route}|{scenario}"]
    assert "error" not in outcome, outcome
    return outcome


async def test_text(outcomes: Outcomes, provider: str, route: str) -> None:
    outcome = _outcome(outcomes, provider, route, "text")
    assert outcome == {"text": ECHO + "hi there", "outputTokens": 9}


async def test_streamed_text(outcomes: Outcomes, provider: str, route: str) -> None:
    assert _outcome(outcomes, provider, route, "stream")["text"] == ECHO + "stream please"


async def test_multi_turn(outcomes: Outcomes, provider: str, route: str) -> None:
    """For ``openai_responses`` the assistant turn goes back as an ``item_reference``."""
    assert _outcome(outcomes, provider, route, "multi_turn")["text"] == ECHO + "tell me more"


@pytest.mark.parametrize("scenario", ["tool", "tool_stream"], ids=["plain", "streamed"])
async def test_tool_round_trip(outcomes: Outcomes, provider: str, route: str, scenario: str) -> None:
    assert is_final(_outcome(outcomes, provider, route, scenario)["text"])


async def test_native_structured_output(outcomes: Outcomes, provider: str, route: str) -> None:
    """Each provider's own structured-output field, which the fake model fills with the
    schema's minimal instance after the gateway translated it to the upstream's own."""
    assert _outcome(outcomes, provider, route, "structured")["output"] == {"location": "Paris"}


async def test_thinking_with_tools(outcomes: Outcomes, provider: str, route: str) -> None:
    outcome = _outcome(outcomes, provider, route, "thinking_tool")
    assert is_final(outcome["text"])
    if provider not in NO_THINKING:
        assert outcome["reasoning"] == THOUGHT.format(n=len("What is the weather in Paris?"))


async def test_upstream_429_is_the_sdks_api_call_error(outcomes: Outcomes, provider: str, route: str) -> None:
    error = outcomes[f"{provider}|{route}|429"]["error"]
    assert error["name"] == "APICallError"
    assert error["statusCode"] == 429
    assert "slow down please" in error["message"]
