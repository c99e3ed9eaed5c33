"""Microseconds of routing work per request: the attempt walk around one successful call.

Compares calling the upstream function directly (what the gateway did before routing)
with ``run_plan`` over a one-target route (defaults) and over a two-target weighted route
with a key pool, retries, cooldowns and a first-byte timeout (issue 9's CPU budget: the
happy path grows by at most 5 % of the gateway's ~0.6-0.8 ms per request).

    python bench/routing.py [--n 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from interlingua.server.config import Config
from interlingua.server.routing import Router


def _config(two: bool) -> Config:
    providers = [
        {"name": "a", "format": "openai_chat", "base_url": "http://127.0.0.1:1/v1", "api_keys": ["k1", "k2"]},
        {"name": "b", "format": "openai_chat", "base_url": "http://127.0.0.1:2/v1", "api_key": "k3"},
    ]
    if two:
        model = {"name": "m", "targets": [{"provider": "a", "weight": 3}, {"provider": "b", "weight": 1}]}
        routing = {
            "retries": {"attempts": 3, "backoff_ms": 250, "max_backoff_ms": 8000},
            "cooldown": {"failures": 3, "window_s": 30, "cooldown_s": 30},
            "timeouts": {"first_byte_ms": 30000},
        }
    else:
        model, routing = {"name": "m", "provider": "a"}, {}
    return Config.model_validate({"providers": providers, "models": [model], "routing": routing})


async def _per_call_us(n: int, two: bool | None) -> float:
    async def call(target: object, key: int) -> int:
        if two:  # the attempt stage's first-byte timeout, as a stream with first_byte_ms has it
            async with asyncio.timeout(30):  # noqa: ASYNC100 - its cost is what is measured
                return key
        return key

    if two is None:
        started = time.process_time()
        for _ in range(n):
            await call(None, 0)
        return (time.process_time() - started) / n * 1e6
    from interlingua.server.resilience.plan import run_plan

    config = _config(two)
    router = Router(config)
    resilience = router.resilience
    started = time.process_time()
    for _ in range(n):
        route = router.route("m")
        landing = await run_plan(route.legs, call, resilience.config, resilience.health)
        landing.done()
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()
    for name, two in (("direct call", None), ("one target", False), ("two targets, retries, cooldown", True)):
        best = min(asyncio.run(_per_call_us(args.n, two)) for _ in range(3))
        print(f"{name:34s} {best:6.2f} us per request")


if __name__ == "__main__":
    main()
