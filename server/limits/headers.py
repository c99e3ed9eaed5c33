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
# Per shown kind (in the order sent), its three header names: built once, not per response.
_OPENAI_NAMES = {
    kind: (f"x-ratelimit-limit-{kind}", f"x-ratelimit-remaining-{kind}", f"x-ratelimit-reset-{kind}")
    for kind in ("requests", "tokens")
}
_ANTHROPIC_NAMES = {
    kind: (f"anthropic-ratelimit-{kind}-limit", f"anthropic-ratelimit-{kind}-remaining", f"anthropic-ratelimit-{kind}-reset")
    for kind in ("requests", "tokens")
}


def _tightest(charges: list[Charge], kinds: list[str], decision: Decision) -> dict[str, int]:
    """Per shown kind, the index of the enforced charge with the least remaining."""
    best: dict[str, int] = {}
    remaining = decision.remaining
    for i in range(min(len(charges), len(remaining))):
        kind = kinds[i]
        if kind in _OPENAI_NAMES and charges[i].enforce:
            at = best.get(kind)
            if at is None or remaining[i] < remaining[at]:
                best[kind] = i
    return best


def rate_limit_headers(fmt: Format, charges: list[Charge], kinds: list[str], decision: Decision) -> list[tuple[str, str]]:
    # Every response to a limited request builds these: names are constants, values plain str().
    openai = fmt in _OPENAI
    if not openai and fmt is not Format.ANTHROPIC_MESSAGES:
        return []
    best = _tightest(charges, kinds, decision)
    now = None if openai else datetime.now(UTC)
    out: list[tuple[str, str]] = []
    for kind, (limit_name, left_name, reset_name) in (_OPENAI_NAMES if openai else _ANTHROPIC_NAMES).items():
        i = best.get(kind)
        if i is None:
            continue
        reset, left = decision.reset_s[i], decision.remaining[i]
        if openai:  # under a second (most resets of a roomy limit): duration's first case, inlined
            shown = f"{math.ceil(reset * 1000)}ms" if 0 <= reset < 1 else duration(reset)
        else:
            assert now is not None
            at = now + timedelta(seconds=reset)
            shown = at.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        out += [
            (limit_name, str(int(charges[i].capacity))),
            (left_name, str(math.floor(left)) if left > 0 else "0"),
            (reset_name, shown),
        ]
    return out
