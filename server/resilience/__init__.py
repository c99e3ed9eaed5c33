"""Routing that survives upstream failure: balancing, retries, failover, cooldowns, key pools.

Design and behaviour: ``docs/design/routing.md``. The modules are small and framework-free
(no Quart, no HTTP client), so each is unit-tested alone; the attempt stage drives them.

- :mod:`.verdict`: what a failed attempt means (retry elsewhere, bench a key, give up).
- :mod:`.backoff`: jittered exponential backoff that honours ``retry-after``.
- :mod:`.health`: per-target failures, cooldown, probe, in-flight count and latency.
- :mod:`.keys`: a provider's key pool (benched and resting keys).
- :mod:`.balance`: the order in which a route's targets are tried.
- :mod:`.memory`: health and key pools kept across config reloads.
- :mod:`.first_byte`: holding a stream back until its first event.
- :mod:`.plan`: one request's walk over targets and passes.
"""
