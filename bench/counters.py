"""CPU per reserve+settle pair of the limit counters: in process, the workers' shared
counters (parent process over a Unix socket) and Redis (Lua), at concurrency 16.

    python bench/counters.py [--redis redis://127.0.0.1:6379/0] [--n 20000]

Reports the client process's CPU µs per pair and, for the shared counters, the server
thread's (both run in this process here: the split is by thread CPU time).
"""

from __future__ import annotations

import argparse
import asyncio
import time

from interlingua.server.limits.buckets import Charge, Settle
from interlingua.server.limits.counters import Counters, LocalCounters
from interlingua.server.limits.redis_counters import RedisCounters
from interlingua.server.limits.shared import CounterServer, SocketCounters

CHARGES = [Charge("k:abc:rpm", 1, 1e9, 1e9 / 60), Charge("k:abc:tpm", 500, 1e12, 1e12 / 60)]
SETTLES = [Settle("k:abc:tpm", 400, 1e12, 1e12 / 60)]


async def _pairs(counters: Counters, n: int, concurrency: int = 16) -> float:
    async def worker(count: int) -> None:
        for _ in range(count):
            decision = await counters.reserve(CHARGES)
            await counters.settle(SETTLES, decision)

    start = time.thread_time()
    await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
    return (time.thread_time() - start) / n * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--redis")
    args = parser.parse_args()
    print(f"local:  {await _pairs(LocalCounters(), args.n):6.1f} µs CPU per reserve+settle")
    server = CounterServer()
    server.start()
    client = SocketCounters(server.path)
    server_cpu = time.clock_gettime(time.pthread_getcpuclockid(server._thread.ident))  # type: ignore[arg-type]
    cost = await _pairs(client, args.n)
    server_cost = (time.clock_gettime(time.pthread_getcpuclockid(server._thread.ident)) - server_cpu) / args.n * 1e6  # type: ignore[arg-type]
    print(f"shared: {cost:6.1f} µs CPU in the worker, {server_cost:6.1f} µs in the parent's counter thread")
    await client.close()
    server.stop()
    if args.redis:
        redis = RedisCounters(args.redis, on_error="fail_closed", timeout_s=1, fallback=LocalCounters())
        print(f"redis:  {await _pairs(redis, args.n):6.1f} µs CPU per reserve+settle (client side)")
        await redis.close()


if __name__ == "__main__":
    asyncio.run(main())
