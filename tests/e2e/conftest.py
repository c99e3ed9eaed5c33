"""Full stack: FakeUpstream + the real gateway on Hypercorn + the official SDKs.

Routes (from the demo config), by what the client sends:

- OpenAI client:    ``gpt-4o-mini`` (passthrough), ``gpt-via-anthropic`` (translated)
- Anthropic client: ``claude-sonnet-4-6`` (passthrough), ``claude-via-openai`` (translated)
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anthropic
import openai
import pytest

from interlingua.server.config import load_config_text
from interlingua.server.fake_upstream import FakeUpstream, demo_config_yaml
from interlingua.server.testing import running_gateway

from .payloads import CLIENT_KEY, READ_MS


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    config = load_config_text(demo_config_yaml(upstream, read_ms=READ_MS), {})
    async with running_gateway(config) as url:
        yield url


@pytest.fixture
async def oai(gateway: str) -> AsyncIterator[openai.AsyncOpenAI]:
    async with openai.AsyncOpenAI(
        base_url=f"{gateway}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10
    ) as client:
        yield client


@pytest.fixture
async def ant(gateway: str) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(
        base_url=gateway, api_key=CLIENT_KEY, max_retries=0, timeout=10
    ) as client:
        yield client
