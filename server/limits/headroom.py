"""Each issued key's limits and budget now: what ``/metrics/summary`` shows under ``keys``.

Rate and concurrency limits are read from the counters with ``peek`` (no reservation,
nothing changes), budgets from the settled usage records of the current period. One row
per limit: ``{"kind": rpm | tpm | concurrent | budget_usd | budget_tokens, "model": glob |
None, "limit", "used", "resets_at"}``. ``resets_at`` is when a rate window is full again
(None when nothing is used, and for concurrency), or when the budget period ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from interlingua.server.keys.model import VirtualKey
from interlingua.server.keys.periods import period_bounds
from interlingua.server.keys.repository import KeyRepository
from interlingua.server.limits.counters import Counters
from interlingua.server.limits.plan import Need, key_slots, realize

__all__ = ["key_limits", "keys_headroom"]

_KINDS = {"requests": "rpm", "tokens": "tpm", "parallel": "concurrent"}
_NOTHING = Need(0, 0.0)
# The summary lists at most this many keys (the admin API pages through all of them).
MAX_KEYS = 1000


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def key_limits(
    counters: Counters, repo: KeyRepository, key: VirtualKey, now: datetime
) -> list[dict[str, Any]]:
    slots = key_slots(key)
    peeked = await counters.peek([slot.charge(_NOTHING) for _, slot in slots])
    rows: list[dict[str, Any]] = []
    for (model, slot), (left, reset_s) in zip(slots, peeked, strict=True):
        used = max(0.0, slot.capacity - left)
        timed = slot.kind != "parallel" and used > 0 and reset_s > 0
        rows.append(
            {
                "kind": _KINDS[slot.kind],
                "model": model,
                "limit": slot.capacity,
                "used": round(used, 3),
                "resets_at": _iso(now + timedelta(seconds=reset_s)) if timed else None,
            }
        )
    if key.budget is not None:
        rows += await _budget_rows(counters, repo, key, now)
    return rows


async def _budget_rows(
    counters: Counters, repo: KeyRepository, key: VirtualKey, now: datetime
) -> list[dict[str, Any]]:
    """The budget as the limits feature enforces it: its counter (reservations of requests in
    flight included), seeded from the period's settled usage when no request made it yet."""
    assert key.budget is not None
    start, _ = period_bounds(key.budget.period, now, key.created_at)
    spent = await repo.usage(key.id, start)
    planned = realize((), key, Need(0, 0.0, spent=(int(spent["total_tokens"]), float(spent["spend_usd"]))))
    peeked = await counters.peek(planned.charges)
    resets = _iso(planned.budget_reset) if planned.budget_reset is not None else None
    return [
        {
            "kind": kind,
            "model": None,
            "limit": c.capacity,
            "used": round(max(0.0, c.capacity - left), 6),
            "resets_at": resets,
        }
        for c, kind, (left, _) in zip(planned.charges, planned.kinds, peeked, strict=True)
    ]


async def keys_headroom(counters: Counters, repo: KeyRepository) -> list[dict[str, Any]]:
    """Every key not revoked (up to :data:`MAX_KEYS`), with its limits' headroom."""
    now = datetime.now(UTC)
    out: list[dict[str, Any]] = []
    after: str | None = None
    while len(out) < MAX_KEYS:
        keys, more = await repo.list(limit=200, after=after)
        for key in keys:
            if key.revoked_at is None and len(out) < MAX_KEYS:
                out.append(
                    {
                        "name": key.name,
                        "id": key.id,
                        "enabled": key.enabled,
                        "expires_at": _iso(key.expires_at) if key.expires_at else None,
                        "limits": await key_limits(counters, repo, key, now),
                    }
                )
        if not more or not keys:
            return out
        after = keys[-1].id
    return out
