"""Limit counters in Redis, shared by every instance: one Lua script per reserve and one
per settle (a single round trip each), with Redis's own clock, so all of a request's
buckets are checked and charged atomically. Same arithmetic as :mod:`.buckets`.

Each bucket is a hash ``{il:lim}:<name>`` (``b`` balance, ``t`` last update in ms) that
expires once it would be full again (rate buckets) or after its window (budgets,
concurrency), so idle keys cost no memory. Every counter carries the hash tag ``{il:lim}``,
so a request's counters share one hash slot and its script runs on one node of a Redis
Cluster (``redis.cluster``) as on a single server.

Redis unreachable: ``redis.on_error: local`` counts in this instance meanwhile
(:class:`~.counters.LocalCounters`, or the workers' shared counters), ``fail_closed``
refuses limited requests with 503; either way it is logged once per outage and shown
by ``/readyz``. After a failure Redis is retried at most once a second.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from interlingua.errors import Overloaded
from interlingua.server.limits.buckets import Charge, Decision, Settle
from interlingua.server.limits.counters import Counters
from interlingua.server.redis_client import REDIS_ERRORS, RedisClient, open_redis
from interlingua.server.redis_outage import Outage

__all__ = ["RedisCounters"]

log = logging.getLogger("interlingua.limits")

_PREFIX = "{il:lim}:"  # the hash tag: one slot for all counters (module docstring)
_RETRY_S = 1.0

# Shared head of both scripts: the refilled balance of bucket i (ARGV laid out per key).
_BALANCE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function balance(key, cap, rate, initial)
  local st = redis.call('HMGET', key, 'b', 't')
  if st[1] then
    local b = tonumber(st[1])
    if rate > 0 then b = b + (now - tonumber(st[2])) * rate / 1000 end
    return math.min(cap, b)
  end
  if initial >= 0 then return math.min(cap, initial) end
  return cap
end
local function store(key, b, cap, rate, window)
  redis.call('HSET', key, 'b', tostring(b), 't', now)
  local ttl = window
  if rate > 0 then ttl = (cap - b) / rate + 1 end
  redis.call('PEXPIRE', key, math.max(1000, math.ceil(ttl * 1000)))
end
"""

# ARGV per key: need, capacity, rate/s, enforce (1/0), initial (-1: none), window_s
_RESERVE = (
    _BALANCE
    + """
local n = #KEYS
local bal, allowed, retry, too_large, refused = {}, 1, 0, 0, {}
for i = 1, n do
  local a = (i - 1) * 6
  local need, cap, rate = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local b = balance(KEYS[i], cap, rate, tonumber(ARGV[a + 5]))
  bal[i] = b
  if b < need then
    refused[#refused + 1] = i - 1
    if ARGV[a + 4] == '1' then
      allowed = 0
      if need > cap then too_large = 1 end
      local wait = 1
      if rate > 0 then wait = (need - b) / rate end
      if wait > retry then retry = wait end
    end
  end
end
local out = {}
for i = 1, n do
  local a = (i - 1) * 6
  local after = bal[i]
  if allowed == 1 then after = after - tonumber(ARGV[a + 1]) end
  store(KEYS[i], after, tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 6]))
  out[i] = tostring(after)
end
return {allowed, tostring(retry), too_large, refused, out}
"""
)

# ARGV per key: delta, capacity, rate/s, initial (-1: none), window_s
_SETTLE = (
    _BALANCE
    + """
for i = 1, #KEYS do
  local a = (i - 1) * 5
  local cap, rate = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local b = balance(KEYS[i], cap, rate, tonumber(ARGV[a + 4]))
  store(KEYS[i], math.min(cap, b + tonumber(ARGV[a + 1])), cap, rate, tonumber(ARGV[a + 5]))
end
return 1
"""
)


def _reset(balance: float, c: Charge) -> float:
    return 0.0 if balance >= c.capacity or c.rate <= 0 else (c.capacity - balance) / c.rate


class RedisCounters:
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        on_error: str,
        timeout_s: float,
        fallback: Counters,
        client: RedisClient | None = None,
        cluster: bool = False,
    ) -> None:
        self.client = client or open_redis(url, cluster=cluster, timeout_s=timeout_s)
        self._reserve = self.client.register_script(_RESERVE)
        self._settle = self.client.register_script(_SETTLE)
        self.on_error = on_error
        self.fallback = fallback
        what = "refusing limited requests" if on_error == "fail_closed" else "counting per instance"
        self._outage = Outage(
            log,
            f"limits: Redis unreachable (%s): {what} until it is back",
            "limits: Redis reachable again; shared counters resume",
            _RETRY_S,
        )

    def _failed(self, exc: Exception) -> None:
        self._outage.failed(exc)

    def _recovered(self) -> None:
        self._outage.recovered()

    def _unavailable(self) -> Overloaded:
        return Overloaded("the rate-limit store is unavailable; retry shortly", retry_after="1")

    async def reserve(self, charges: Sequence[Charge]) -> Decision:
        if not self._outage.waiting():
            args: list[Any] = []
            for c in charges:
                args += [c.need, c.capacity, c.rate, int(c.enforce), -1 if c.initial is None else c.initial, c.window_s]
            try:
                allowed, retry, too_large, refused, out = await self._reserve(
                    keys=[_PREFIX + c.key for c in charges], args=args
                )
            except REDIS_ERRORS as exc:
                self._failed(exc)
            else:
                self._recovered()
                remaining = [float(v) for v in out]
                return Decision(
                    allowed=bool(allowed), retry_after_s=float(retry), too_large=bool(too_large),
                    refused=[int(i) for i in refused], remaining=remaining,
                    reset_s=[_reset(b, c) for b, c in zip(remaining, charges, strict=True)],
                )
        if self.on_error == "fail_closed":
            raise self._unavailable()
        decision = await self.fallback.reserve(charges)
        decision.fallback = True
        return decision

    async def settle(self, settles: Sequence[Settle], decision: Decision | None = None) -> None:
        if decision is not None and decision.fallback:
            await self.fallback.settle(settles)
            return
        args: list[Any] = []
        for s in settles:
            args += [s.delta, s.capacity, s.rate, -1 if s.initial is None else s.initial, 3600]
        try:
            await self._settle(keys=[_PREFIX + s.key for s in settles], args=args)
        except REDIS_ERRORS as exc:
            self._failed(exc)  # the reservation stands; its refund is lost, never doubled

    async def peek(self, charges: Sequence[Charge]) -> list[tuple[float, float]]:
        try:
            rows = [await self.client.hmget(_PREFIX + c.key, ["b", "t"]) for c in charges]
        except REDIS_ERRORS:
            return await self.fallback.peek(charges)
        # An approximation for the admin API (no refill since the last update is applied).
        out = []
        for c, (b, _t) in zip(charges, rows, strict=True):
            balance = c.capacity if b is None else min(c.capacity, float(b))
            out.append((balance, _reset(balance, c)))
        return out

    def status(self) -> dict[str, object]:
        if self._outage.error is None:
            return {"backend": self.name, "ok": True}
        mode = "refusing limited requests" if self.on_error == "fail_closed" else "per-instance fallback"
        return {"backend": self.name, "ok": False, "error": self._outage.error, "mode": mode}

    async def close(self) -> None:
        await self.client.aclose()
        await self.fallback.close()
