"""Cooldowns shared by gateway instances through Redis (``redis.url``).

Without Redis each process decides alone (:mod:`.health`). With it, the instances decide
together, and a request that finds its target healthy never waits for Redis:

- every failure that counts toward a cooldown is also counted in Redis, by one Lua script
  run in the background (failover does not wait for it): when the instances' failures
  together reach ``cooldown.failures`` within ``window_s``, the target cools for all of
  them. A cooldown one instance decided alone (its own count, or a failed probe) is
  published the same way. A success after failures resets the shared count, as it resets
  the local one (one write, only after a failure).
- each instance reads the cooling targets every :data:`POLL_S` (one script: Redis's clock and
  the cooling hash, in the background) and adopts them, measured on Redis's clock, so a
  target cooled anywhere gets no traffic here after at most one poll; a target this
  process meets for the first time starts from the last poll's view. A cooldown of this
  process the fleet does not know (its publication failed) is published again.
- when a cooldown ends, instances race for the probe (``SET NX``): one request of the whole
  fleet probes; the others skip the target as if a probe of their own were in flight. The
  probe's success clears the target in Redis (every instance puts it back at its next
  poll), its failure cools it again everywhere.

Redis unreachable: each instance decides alone, logged once (and once when it is back);
after a failure Redis is left alone for a second, so a probe never waits on a dead Redis
twice in a row. Redis keys: ``{interlingua:routing}:cooling`` (a hash of target -> cooling
until, ms on Redis's clock), ``{interlingua:routing}:fail:<target>`` (recent failures),
``{interlingua:routing}:probe:<target>`` (the probe's claim); the hash tag keeps a script's
keys in one slot of a Redis Cluster. Targets are named ``provider/upstream-model``: no
secret reaches Redis.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from itertools import count
from typing import TYPE_CHECKING, Any

from interlingua.server.background import cancel_and_wait
from interlingua.server.redis_client import REDIS_ERRORS
from interlingua.server.redis_outage import Outage

if TYPE_CHECKING:
    from interlingua.server.config.routing import CooldownConfig
    from interlingua.server.redis_client import RedisClient
    from interlingua.server.resilience.health import TargetHealth

__all__ = ["POLL_S", "SharedCooldowns"]

log = logging.getLogger("interlingua.server")

POLL_S = 0.25
_PREFIX = "{interlingua:routing}:"  # the hash tag: a script's keys share one slot (a cluster)
_COOLING = _PREFIX + "cooling"

# KEYS: the target's failures, the cooling hash, the target's probe claim. ARGV: target, a
# unique member, window ms, failures, cooldown ms, 1 to cool at once (an instance decided).
# Returns cooling-until ms (Redis's clock), or 0 while the target is not cooling.
_FAILED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[6] == '0' then
  local cooling = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
  if cooling > now then return cooling end
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then return 0 end
end
local cooling = now + tonumber(ARGV[5])
redis.call('HSET', KEYS[2], ARGV[1], cooling)
redis.call('DEL', KEYS[1], KEYS[3])
return cooling
"""

# Redis's clock and the cooling targets, in one round trip.
_POLL = """
local t = redis.call('TIME')
return {tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), redis.call('HGETALL', KEYS[1])}
"""


def _adopt(health: TargetHealth, until: float) -> None:
    """The fleet cools ``health`` until ``until`` (this process's monotonic clock)."""
    if until > health.cooling_until:
        health.cooling_until, health.probe_started = until, None
        health.failures.clear()


class SharedCooldowns:
    """One process's link to the fleet's cooldowns (see the module's docstring)."""

    def __init__(self, client: RedisClient, clock: Callable[[], float] = time.monotonic) -> None:
        self._client = client
        self._clock = clock
        self._failed_script = client.register_script(_FAILED)
        self._poll_script = client.register_script(_POLL)
        self._ids = count()
        self._me = f"{os.getpid()}-{id(self):x}"
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._outage = Outage(
            log,
            "routing: Redis unreachable (%s): cooldowns are decided per instance until it is back",
            "routing: Redis reachable again; cooldowns are shared again",
            clock=clock,
        )
        self.cooling: dict[str, float] = {}  # the last poll: target -> until (monotonic)

    # -- from the request path: scheduled, never awaited ------------------------------

    def failed(self, health: TargetHealth, cfg: CooldownConfig, *, cooled: bool) -> None:
        """A failure of ``health`` (``cooled``: this process cooled it; publish that)."""
        self._spawn(self._report(health, cfg, cooled))

    def reset(self, name: str) -> None:
        """A success after failures: the shared count starts again."""
        self._spawn(self._call(lambda: self._client.delete(_PREFIX + "fail:" + name)))

    def recovered(self, name: str) -> None:
        """A probe of ``name`` succeeded: up everywhere."""
        keys = (_PREFIX + "probe:" + name, _PREFIX + "fail:" + name)
        self._spawn(self._call(lambda: self._client.hdel(_COOLING, name), lambda: self._client.delete(*keys)))

    def released(self, name: str) -> None:
        """This process's probe ended saying nothing about the target: another may probe."""
        self._spawn(self._call(lambda: self._client.delete(_PREFIX + "probe:" + name)))

    async def take_probe(self, name: str, cooldown_s: float) -> bool:
        """Whether this process may probe ``name`` (no other instance does). Awaited only
        when a cooldown ended; True while Redis is unreachable (each decides alone)."""
        if self._outage.waiting():
            return True
        try:
            taken = await self._client.set(_PREFIX + "probe:" + name, self._me, nx=True, px=int(cooldown_s * 1000))
        except REDIS_ERRORS as exc:
            self._down(exc)
            return True
        self._up()
        return bool(taken)

    # -- the poll ---------------------------------------------------------------------

    def start(self, targets: Mapping[str, TargetHealth]) -> None:
        """Poll in the background, adopting the fleet's view into ``targets`` (by name)."""
        if self._poller is None:
            self._poller = asyncio.get_running_loop().create_task(self._poll_forever(targets))

    async def poll(self, targets: Mapping[str, TargetHealth]) -> None:
        if self._outage.waiting():
            return
        try:
            now_ms, flat = await self._poll_script(keys=[_COOLING])
        except REDIS_ERRORS as exc:
            self._down(exc)
            return
        self._up()
        now = self._clock()
        fleet = {flat[i].decode(): int(flat[i + 1]) for i in range(0, len(flat), 2)}
        self.cooling = {name: now + (ms - now_ms) / 1000 for name, ms in fleet.items() if ms > now_ms}
        for name, until in self.cooling.items():
            if (health := targets.get(name)) is not None:
                _adopt(health, until)
        unknown: list[str | int] = []  # name, until (ms on Redis's clock), ...
        for name, health in targets.items():
            if name in fleet or not health.cooling_until:
                continue
            if now >= health.cooling_until:  # up in the fleet: a probe elsewhere succeeded
                health.cooling_until, health.probe_started = 0.0, None
            else:  # cooled here, but its publication was lost (Redis was down or slow)
                unknown += [name, now_ms + int((health.cooling_until - now) * 1000)]
        if unknown:
            await self._call(lambda: self._client.hset(_COOLING, items=unknown))

    def first_seen(self, health: TargetHealth) -> None:
        """A target this process has not used yet starts from the last poll's view."""
        until = self.cooling.get(health.name)
        if until is not None:
            _adopt(health, until)

    async def _poll_forever(self, targets: Mapping[str, TargetHealth]) -> None:
        while True:
            await self.poll(targets)
            await asyncio.sleep(POLL_S)

    async def close(self) -> None:
        await cancel_and_wait(self._poller)
        self._poller = None
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1)

    # -- internals --------------------------------------------------------------------

    async def _report(self, health: TargetHealth, cfg: CooldownConfig, cooled: bool) -> None:
        name = health.name
        keys = [_PREFIX + "fail:" + name, _COOLING, _PREFIX + "probe:" + name]
        args: list[str | int] = [name, f"{self._me}-{next(self._ids)}", int(cfg.window_s * 1000),
                                 cfg.failures, int(cfg.cooldown_s * 1000), int(cooled)]
        try:
            until_ms = int(await self._failed_script(keys=keys, args=args))
        except REDIS_ERRORS as exc:
            self._down(exc)
            return
        self._up()
        if until_ms and not cooled:  # the fleet's failures together cooled it
            _adopt(health, self._clock() + cfg.cooldown_s)

    async def _call(self, *commands: Callable[[], Awaitable[Any]]) -> None:
        try:
            for command in commands:
                await command()
        except REDIS_ERRORS as exc:
            self._down(exc)
        else:
            self._up()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._outage.waiting():
            work.close()
            return
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _down(self, exc: BaseException) -> None:
        self._outage.failed(exc)

    def _up(self) -> None:
        self._outage.recovered()
