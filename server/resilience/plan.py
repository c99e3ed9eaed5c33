"""One request's walk over a route's targets: passes, failover, key rotation, backoff.

A pass tries every usable target of the route once, in the balancer's order, then the
targets of each ``fallbacks`` route. A failure with a RETRY verdict moves on to the next
target at once (no wait: it is another upstream); a key the upstream rate-limits or refuses
is rested and the same target is tried with its next key. Targets that are cooling, or
whose keys all rest, are skipped, unless every target is (then all are tried: "panic"). When a pass ends without an
answer, the next starts after a jittered backoff that honours the largest ``retry-after``
seen, up to ``retries.attempts`` passes. A FINAL failure (the request itself is wrong) goes
to the client at once; a CONTEXT one (the input is too long) continues with the
``context_window_fallbacks`` routes.

``call(target, key_index)`` makes one attempt and returns only once the first byte of the
answer arrived (the point after which the client has seen something and failover would
splice), or raises :class:`~interlingua.errors.GatewayError` (the attempt stage also
bounds the wait: ``timeouts.first_byte_ms``). The returned :class:`Landing` holds the
target's in-flight slot until :meth:`Landing.done` (the end of the relayed answer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from interlingua.errors import GatewayError, UpstreamError
from interlingua.server.config.routing import RoutingConfig
from interlingua.server.resilience.backoff import backoff_s
from interlingua.server.resilience.balance import Balancer, Slot
from interlingua.server.resilience.health import HealthBook, TargetHealth
from interlingua.server.resilience.keys import KeyPool
from interlingua.server.resilience.verdict import Verdict, parse_retry_after, verdict_for

__all__ = ["Landing", "Leg", "Unfit", "run_plan"]

log = logging.getLogger("interlingua.server")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True, eq=False)
class Leg(Generic[T]):
    """One model route's targets (``targets[i]`` is the target of the balancer's slot ``i``)."""

    name: str
    balancer: Balancer
    targets: tuple[T, ...]


@dataclass(slots=True, eq=False)
class Landing(Generic[T, R]):
    """The attempt that answered: its result, target and the request's attempt count."""

    result: R
    target: T
    attempts: int
    health: TargetHealth
    _book: HealthBook
    _open: bool = True

    def done(self) -> None:
        """The answer was relayed (or abandoned): the target's in-flight count drops."""
        if self._open:
            self._open = False
            self._book.left(self.health)


@dataclass(slots=True)
class _Walk(Generic[T, R]):
    call: Callable[[T, int], Awaitable[R]]
    config: RoutingConfig
    book: HealthBook
    attempts: int = 0
    error: GatewayError | None = None
    retry_after_s: float | None = None
    tried: set[TargetHealth] = field(default_factory=set)
    panic: bool = False  # every target is cooling: try them anyway
    unfit: bool = False  # a target was passed over as unfit for the request

    def usable(self, slot: Slot) -> bool:
        """Whether the slot's target is neither cooling nor out of rested keys."""
        health = slot.health
        return (not health.cooling_until or self.book.usable(health)) and slot.pool.ready()


class Unfit(Exception):
    """Raised by ``call``: this request cannot use the target (it is passed over, counted
    neither for nor against it). :func:`run_plan` raises it when no target was fit."""


class _ContextOverflow(Exception):
    def __init__(self, error: GatewayError) -> None:
        self.error = error


def run_plan(
    legs: Sequence[Leg[T]],
    call: Callable[[T, int], Awaitable[R]],
    config: RoutingConfig,
    book: HealthBook,
    *,
    context_legs: Sequence[Leg[T]] = (),
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> Coroutine[object, object, Landing[T, R]]:
    """Try ``legs`` until one target answers; raise the last failure otherwise.

    Not itself a coroutine: it hands back the walk's, so the caller awaits one coroutine
    less (each costs every await that suspends under it, once per request and attempt)."""
    return _passes(_Walk(call, config, book), legs, context_legs, sleep)


async def _passes(
    walk: _Walk[T, R],
    legs: Sequence[Leg[T]],
    context_legs: Sequence[Leg[T]],
    sleep: Callable[[float], Awaitable[object]],
) -> Landing[T, R]:
    """The passes over ``legs``; after an input too long for a target, over ``context_legs``."""
    retries = walk.config.retries
    try:
        for done in range(1, retries.attempts + 1):
            walk.tried.clear()
            walk.retry_after_s = None
            for leg, slots in _orders(walk, legs):
                for slot in slots:
                    landing = await _target(walk, leg, slot)
                    if landing is not None:
                        return landing
            if done == retries.attempts or walk.error is None:
                break
            wait = backoff_s(done, retries.backoff_ms, retries.max_backoff_ms, walk.retry_after_s)
            if wait is None:
                break
            await sleep(wait)
    except _ContextOverflow as overflow:
        if not context_legs:  # (the context legs' own pass has none: their overflow ends the walk)
            raise overflow.error from None
        log.info("input too long for %s: trying context_window_fallbacks", legs[0].name)
        walk.error, walk.retry_after_s = overflow.error, None
        return await _passes(walk, context_legs, (), sleep)
    if walk.error is None and walk.unfit:
        raise Unfit
    raise walk.error or _all_cooling(legs, walk.book)


def _orders(walk: _Walk[T, R], legs: Sequence[Leg[T]]) -> list[tuple[Leg[T], list[Slot]]]:
    """Each leg's usable targets in order; when none is usable anywhere, all of them (Envoy's
    "panic" routing: refusing every request would turn a degraded upstream into an outage)."""
    usable = walk.usable
    orders: list[tuple[Leg[T], list[Slot]]] = []
    for leg in legs:  # (a loop: a list comprehension is one more call per request)
        orders.append((leg, leg.balancer.order(usable)))
    for _, slots in orders:
        if slots:
            walk.panic = False
            return orders
    walk.panic = True
    return [(leg, leg.balancer.order(_anything)) for leg in legs]


def _anything(_: Slot) -> bool:
    return True


async def _target(walk: _Walk[T, R], leg: Leg[T], slot: Slot) -> Landing[T, R] | None:
    health = slot.health
    if health in walk.tried or not walk.book.claim(health, force=walk.panic):
        return None
    if health.probe_started is not None and not walk.panic and not await walk.book.fleet_probe(health):
        return None  # another instance probes it
    walk.tried.add(health)
    pool, target = slot.pool, leg.targets[slot.index]
    resting: set[int] = set()
    while (key := pool.pick(resting)) is not None:
        walk.attempts += 1
        started = time.perf_counter()
        try:
            result = await walk.call(target, key)
        except GatewayError as err:
            if _key_trouble(walk, pool, key, err):
                resting.add(key)
                continue
            _failed(walk, health, err)
            return None
        except Unfit:
            walk.attempts -= 1
            walk.unfit = True
            break
        except BaseException:
            walk.book.left(health, released=True)
            raise
        health.observe_latency(time.perf_counter() - started)
        walk.book.succeeded(health)
        return Landing(result, target, walk.attempts, health, walk.book)
    walk.book.left(health, released=True)
    return None


def _key_trouble(walk: _Walk[T, R], pool: KeyPool, key: int, err: GatewayError) -> bool:
    """Rest the key on 429/401/403 (True: try the target's next key)."""
    verdict = verdict_for(err)
    if verdict is Verdict.KEY_LIMITED:
        retry_after = parse_retry_after(err.retry_after)
        pool.rate_limited(key, retry_after)
        _note(walk, err, retry_after)
        return True
    if verdict is Verdict.KEY_REFUSED:
        pool.refused(key, err.status)
        _note(walk, err, None)
        return True
    return False


def _failed(walk: _Walk[T, R], health: TargetHealth, err: GatewayError) -> None:
    verdict = verdict_for(err)
    if verdict is Verdict.RETRY:
        walk.book.failed(health)
        log.warning("target %s failed (%s %s); trying the next", health.name, err.status, err.message)
        _note(walk, err, parse_retry_after(err.retry_after))
        return
    walk.book.left(health, released=True)
    if verdict is Verdict.CONTEXT:
        raise _ContextOverflow(err)
    raise err


def _note(walk: _Walk[T, R], err: GatewayError, retry_after_s: float | None) -> None:
    walk.error = err
    if retry_after_s is not None:
        walk.retry_after_s = max(walk.retry_after_s or 0.0, retry_after_s)


def _all_cooling(legs: Sequence[Leg[T]], book: HealthBook) -> GatewayError:
    return UpstreamError(
        f"every target of model {legs[0].name!r} is busy probing after failures; retry shortly",
        status=503,
        kind="overloaded",
        retry_after=str(max(1, round(book.soonest_s()))),
    )
