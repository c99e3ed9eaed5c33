"""``interlingua_cost_usd_total``: spend at the pricing table's prices, by key and model,
equal to the usage the clients saw (passthrough and translated, plain and streamed)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from keys_helpers import keys_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

from .history_helpers import PRICING, Seen, issue_key, openai_traffic
from .test_gateway_observability import metric


async def test_cost_counter_by_key_and_model(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = keys_config(upstream, tmp_path / "c.db", pricing=PRICING, observability={"metrics": {}})
    async with running_gateway(config) as url:
        key = await issue_key(url, name="team-c")
        seen = Seen()
        await openai_traffic(url, key["key"], 8, seen)
        async with httpx.AsyncClient(base_url=url) as c:
            text = (await c.get("/metrics")).text
    assert metric(text, "interlingua_cost_usd_total") == pytest.approx(seen.cost_usd, abs=1e-9)
    by_model = {m: metric(text, "interlingua_cost_usd_total", key="team-c", model=m) for m in seen.by_model}
    assert all(v > 0 for v in by_model.values())
    assert sum(by_model.values()) == pytest.approx(seen.cost_usd, abs=1e-9)
    assert key["key"] not in text
