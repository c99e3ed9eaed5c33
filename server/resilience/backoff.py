"""How long to wait before another pass over a route's targets.

Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform draw in
``[0, min(max, base * 2**n)]`` spreads the retries of many clients that failed together,
where plain exponential backoff would send them back in lockstep. An upstream's
``retry-after`` is a floor: waiting less is pointless (it would refuse again). A
``retry-after`` longer than ``max_backoff_ms`` ends the retries instead: holding a client
connection for minutes helps nobody, and the client sees the upstream's own retry-after.
"""

from __future__ import annotations

import random

__all__ = ["backoff_s"]


def backoff_s(
    passes_done: int,
    base_ms: int,
    max_ms: int,
    retry_after_s: float | None = None,
    *,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to sleep before pass ``passes_done + 1`` (``passes_done`` >= 1); None: give up."""
    cap_s = max_ms / 1000
    if retry_after_s is not None and retry_after_s > cap_s:
        return None
    ceiling = min(cap_s, base_ms / 1000 * 2 ** (passes_done - 1))
    wait = (rng or random).uniform(0.0, ceiling)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return wait
