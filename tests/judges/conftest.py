"""Third-party clients as judges: one fake upstream and one gateway per module.

Each module drives one library (LangChain, the OpenAI Agents SDK, pydantic-ai)
through the real gateway to every upstream format of the fake upstream, so what
those libraries parse (their own typed errors included) is checked, not only
what the official SDKs accept.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from e2e.test_matrix import _clean_upstream, upstream

from interlingua.server.config import load_config_text
from interlingua.server.fake_upstream import FakeUpstream, demo_config_yaml
from interlingua.server.testing import running_gateway

# The matrix's module-scoped fake upstream, reset before each test.
__all__ = ["_clean_upstream", "gateway", "upstream"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(upstream: FakeUpstream, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    # With a store, Responses clients may send item_reference / previous_response_id to
    # translated upstreams too (docs/design/stateful-responses.md), as the AI SDK does.
    db = tmp_path_factory.mktemp("judges") / "gateway.db"
    store = f"store:\n  url: sqlite+aiosqlite:///{db}\n  secret: judges-secret-0123456789\n"
    config = load_config_text(demo_config_yaml(upstream) + store, {})
    async with running_gateway(config) as url:
        yield url

