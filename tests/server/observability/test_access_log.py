"""The access log: one line per request with the issue's fields, JSON or text, logrotate-safe."""

from __future__ import annotations

from pathlib import Path

import orjson

from interlingua.errors import UpstreamTimeout
from interlingua.server.config.limits import PriceRule
from interlingua.server.config.observability import AccessLogConfig
from interlingua.server.features.access_log import AccessLog
from interlingua.server.features.server_timing import server_timing
from interlingua.server.limits.pricing import Pricing

from .contexts import finished

USAGE = {"input_tokens": 3, "output_tokens": 2, "cache_read_tokens": 9}


async def test_access_log_json_fields(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    # USD per million tokens: input 3 x 2 + output 2 x 10 + cache reads 9 x 1 = 35 micro-USD
    pricing = Pricing([PriceRule(model="claude-*", input=2, output=10, cache_read=1)])
    log = AccessLog(AccessLogConfig(format="json", path=str(path)), pricing)
    cached = finished(usage=USAGE, attempts=2)
    cached.extras["cache"] = "miss"  # what pipeline.cached sets on a route with a cache
    await log.complete(cached)
    await log.complete(finished(error=UpstreamTimeout("slow"), status=504))
    await log.stop()
    ok, failed = (orjson.loads(line) for line in path.read_text().splitlines())
    assert ok == {
        "time": "2023-11-14T22:13:20.000Z",
        "request_id": "req_test",
        "key": "team-a",
        "client_format": "openai_chat",
        "operation": "generate",
        "model": "claude-x",
        "stream": False,
        "target": "anthropic",
        "upstream_model": "claude-x-upstream",
        "upstream_format": "anthropic_messages",
        "status": 200,
        "outcome": "ok",
        "error_type": None,
        "attempts": 2,
        "tokens": {
            "input_tokens": 3,
            "output_tokens": 2,
            "cache_read_tokens": 9,
            "cache_creation_tokens": 0,
            "reasoning_tokens": 0,
        },
        "finish_reason": "end_turn",
        "latency_ms": 1000.0,
        "ttfb_ms": 312.0,
        "gateway_ms": 12.0,  # sent at 100.112 s, minus the failed first attempt's 100 ms
        "cost_usd": 35 / 1_000_000,
        "cache": "miss",
    }
    assert failed["status"] == 504
    assert failed["cost_usd"] is None
    assert failed["cache"] is None
    assert failed["error_type"] == "timeout"
    assert failed["tokens"] is None


async def test_access_log_text_line(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(AccessLogConfig(format="text", path=str(path)))
    await log.complete(finished(usage=USAGE, key="my key"))
    await log.stop()
    line = path.read_text().strip()
    assert line.startswith('2023-11-14T22:13:20.000Z req_test key="my key" client_format=openai_chat ')
    assert " status=200 " in line
    assert " tokens.input=3 tokens.output=2 tokens.cache_read=9 " in line
    assert "error_type" not in line  # absent fields are left out


async def test_access_log_reopens_after_logrotate_moves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(AccessLogConfig(path=str(path)))
    await log.complete(finished())
    log.flush()  # lines are written in batches (at least every 0.2 s)
    path.rename(tmp_path / "access.log.1")  # what logrotate does (no copytruncate)
    await log.complete(finished())
    await log.stop()
    assert len((tmp_path / "access.log.1").read_text().splitlines()) == 1
    assert len(path.read_text().splitlines()) == 1


async def test_access_log_holds_no_secret_or_content(tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    log = AccessLog(AccessLogConfig(path=str(path)))
    ctx = finished(usage=USAGE)
    ctx.principal = ctx.principal.__class__("virtual_key", "team-a", "k1", {"secret": "sk-live-123"})
    await log.complete(ctx)
    await log.stop()
    assert "sk-live-123" not in path.read_text()


def test_server_timing_plain_and_stream() -> None:
    plain = finished(usage=USAGE)
    assert server_timing(plain) == "gateway;dur=11.0, upstream;dur=200.0"
    streamed = finished(usage=USAGE, stream=True)
    assert server_timing(streamed) == "gateway;dur=11.0"
    unrouted = finished(routed=False)
    assert server_timing(unrouted).startswith("gateway;dur=")
