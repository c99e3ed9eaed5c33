"""Rate-limit headers in each client's own convention, from a reservation's decision.

- OpenAI (Chat, Responses): ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``,
  reset as a duration (``6m0s``, ``1.5s``, ``250ms``), as api.openai.com sends them.
- Anthropic: ``anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}``, reset as
  an RFC 3339 time.
- Gemini and Bedrock clients have no such headers in their APIs; they get ``retry-after``
  on a 429 only.

With several buckets of a kind (the key's own, a per-model one, a config rule), the one
with the least remaining is shown: that is the one a client must respect.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from interlingua.server.limits.buckets import Charge, Decision
from interlingua.translate import Format

__all__ = ["duration", "rate_limit_headers"]


def duration(seconds: float) -> str:
    """OpenAI's reset format: ``1m30s``, ``2.5s``, ``120ms``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


_OPENAI = (Format.OPENAI_CHAT, Format.OPENAI_RESPONSES)
_SHOWN = ("requests", "tokens")


def _tightest(charges: list[Charge], kinds: list[str], decision: Decision) -> dict[str, int]:
    """Per shown kind, the index of the enforced charge with the least remaining."""
    best: dict[str, int] = {}
    remaining = decision.remaining
    for i in range(min(len(charges), len(remaining))):
        kind = kinds[i]
        if kind in _SHOWN and charges[i].enforce:
            at = best.get(kind)
            if at is None or remaining[i] < remaining[at]:
                best[kind] = i
    return best


def rate_limit_headers(fmt: Format, charges: list[Charge], kinds: list[str], decision: Decision) -> list[tuple[str, str]]:
    openai = fmt in _OPENAI
    if not openai and fmt is not Format.ANTHROPIC_MESSAGES:
        return []
    best = _tightest(charges, kinds, decision)
    now = None if openai else datetime.now(UTC)
    out: list[tuple[str, str]] = []
    for kind in _SHOWN:
        i = best.get(kind)
        if i is None:
            continue
        reset = decision.reset_s[i]
        limit, left = str(int(charges[i].capacity)), str(max(0, math.floor(decision.remaining[i])))
        if openai:
            out += [
                (f"x-ratelimit-limit-{kind}", limit),
                (f"x-ratelimit-remaining-{kind}", left),
                (f"x-ratelimit-reset-{kind}", duration(reset)),
            ]
        else:
            assert now is not None
            at = now + timedelta(seconds=reset)
            out += [
                (f"anthropic-ratelimit-{kind}-limit", limit),
                (f"anthropic-ratelimit-{kind}-remaining", left),
                (f"anthropic-ratelimit-{kind}-reset", at.replace(microsecond=0).isoformat().replace("+00:00", "Z")),
            ]
    return out
