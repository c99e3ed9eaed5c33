"""Routing and cache facts in /metrics: target state and recent failures (read at scrape
time, as GET /admin/targets), cache lookups by result."""

from __future__ import annotations

import httpx
from test_gateway_routing import CHAT, closed_port_url, provider, upstreams

from interlingua.server.config import Config
from interlingua.server.testing import running_gateway

from .test_gateway_observability import metric


async def test_metrics_show_target_state_and_cache_lookups() -> None:
    async with upstreams(1) as (good,):
        cfg = Config.model_validate(
            {
                "providers": [provider("bad", closed_port_url()), provider("good", good)],
                "models": [
                    {
                        "name": "gpt-ha",
                        "targets": [
                            {"provider": "bad", "upstream_model": "gpt-4o-mini"},
                            {"provider": "good", "upstream_model": "gpt-4o-mini", "priority": 1},
                        ],
                        "cache": {"ttl_s": 300},
                    }
                ],
                "routing": {"cooldown": {"failures": 1, "window_s": 60, "cooldown_s": 60}},
                "observability": {"metrics": {}},
            }
        )
        async with running_gateway(cfg) as url, httpx.AsyncClient(base_url=url, timeout=10) as http:
            for _ in range(3):  # a miss (failed over from the refused target), then two hits
                sent = await http.post("/v1/chat/completions", json={"model": "gpt-ha", **CHAT})
                assert sent.status_code == 200
            text = (await http.get("/metrics")).text
    assert metric(text, "interlingua_target_state", target="bad/gpt-4o-mini", state="cooling") == 1
    assert metric(text, "interlingua_target_state", target="bad/gpt-4o-mini", state="up") == 0
    assert metric(text, "interlingua_target_state", target="good/gpt-4o-mini", state="up") == 1
    assert 'interlingua_target_recent_failures{target="bad/gpt-4o-mini"}' in text  # 0: cooling cleared them
    assert metric(text, "interlingua_cache_lookups_total", model="gpt-ha", result="miss") == 1
    assert metric(text, "interlingua_cache_lookups_total", model="gpt-ha", result="hit") == 2
