"""Budget periods: when the current one started and when it resets (UTC).

``1h`` and ``1d`` follow the clock (top of the hour, midnight UTC); ``7d`` and ``30d``
are back-to-back windows counted from the key's creation; ``month`` is the calendar month.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["period_bounds"]

_FIXED = {"7d": timedelta(days=7), "30d": timedelta(days=30)}


def period_bounds(period: str, now: datetime, anchor: datetime) -> tuple[datetime, datetime]:
    """``(start, end)`` of the period containing ``now``."""
    now = now.astimezone(UTC)
    if period == "1h":
        start = now.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    if period == "1d":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start, start + timedelta(days=1)
    if period == "month":
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
        return start, end
    length = _FIXED[period]
    elapsed = (now - anchor) // length
    start = anchor + elapsed * length
    return start, start + length
