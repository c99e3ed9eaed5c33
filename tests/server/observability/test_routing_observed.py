"""What routing does is what observability reports: every attempt counted by target and
outcome in the metrics, the answering target and the attempt count in the access log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import orjson

from interlingua.server.config import Config
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

from .test_gateway_observability import metric

CHAT: Any = [{"role": "user", "content": "hi"}]


def _provider(name: str, up: FakeUpstream, **extra: Any) -> dict[str, Any]:
    return {"name": name, "format": "openai_chat", "base_url": up.openai_base_url, **extra}


async def test_failover_and_key_rotation_are_counted_and_logged(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    bad, good = FakeUpstream(), FakeUpstream()
    await bad.start()
    await good.start()
    try:
        bad.default_fault = "status:503"
        good.fault_next("status:429")  # its first key rests; the second answers
        cfg = Config.model_validate(
            {
                "providers": [_provider("bad", bad), _provider("good", good, api_keys=["sk-a", "sk-b"])],
                "models": [
                    {
                        "name": "gpt-ha",
                        "balance": "round_robin",
                        "targets": [
                            {"provider": "bad", "upstream_model": "gpt-4o-mini"},
                            {"provider": "good", "upstream_model": "gpt-4o-mini", "priority": 1},
                        ],
                    }
                ],
                "observability": {"metrics": {}, "access_log": {"path": str(log)}},
            }
        )
        async with running_gateway(cfg) as url:
            client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
            raw = await client.chat.completions.with_raw_response.create(model="gpt-ha", messages=CHAT)
            async with httpx.AsyncClient(base_url=url) as http:
                text = (await http.get("/metrics")).text
    finally:
        await bad.stop()
        await good.stop()
    assert raw.headers["x-interlingua-target"] == "good/gpt-4o-mini"
    assert raw.headers["x-interlingua-attempts"] == "3"
    attempts = "interlingua_upstream_attempts_total"
    assert metric(text, attempts, target="bad", outcome="failover", error_type="overloaded") == 1
    assert metric(text, attempts, target="good", outcome="retry", error_type="rate_limit") == 1
    assert metric(text, attempts, target="good", outcome="ok") == 1
    assert metric(text, "interlingua_requests_total", target="good", status="200") == 1
    (line,) = [orjson.loads(line) for line in log.read_text().splitlines()]
    assert (line["target"], line["upstream_model"], line["attempts"]) == ("good", "gpt-4o-mini", 3)
    assert line["outcome"] == "ok"
