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
import time
from collections.abc import Sequence
from dataclasses import dataclass

from interlingua.server.limits.buckets import Decision
from interlingua.translate import Format

__all__ = ["ShownKind", "duration", "rate_limit_headers", "shown_kinds"]


def duration(seconds: float) -> str:
    """OpenAI's reset format: ``1m30s``, ``2.5s``, ``120ms``."""
    if seconds < 1:
        return f"{max(0, math.ceil(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{rest:.3f}".rstrip("0").rstrip(".") + "s"
    return f"{int(minutes)}m{text}" if minutes else text


_OPENAI = (Format.OPENAI_CHAT, Format.OPENAI_RESPONSES)


@dataclass(frozen=True, slots=True)
class ShownKind:
    """A kind of limit clients are shown (requests, tokens), worked out once per slot plan
    (:class:`~interlingua.server.limits.plan.SlotPlan`), not per response: its header names
    in each convention, and its enforced charges with their limits, as sent."""

    openai: tuple[bytes, bytes, bytes]  # limit, remaining, reset
    anthropic: tuple[bytes, bytes, bytes]
    indices: tuple[int, ...]  # the enforced charges of this kind
    limits: tuple[bytes, ...]  # each one's limit


def shown_kinds(rows: Sequence[tuple[str, float, bool]]) -> tuple[ShownKind, ...]:
    """The kinds shown for charges of ``(kind, capacity, enforce)``, in the order sent."""
    out = []
    for kind in ("requests", "tokens"):
        indices = tuple(i for i, (k, _, enforce) in enumerate(rows) if k == kind and enforce)
        if indices:
            out.append(ShownKind(
                (b"x-ratelimit-limit-%s" % kind.encode(), b"x-ratelimit-remaining-%s" % kind.encode(),
                 b"x-ratelimit-reset-%s" % kind.encode()),
                (b"anthropic-ratelimit-%s-limit" % kind.encode(), b"anthropic-ratelimit-%s-remaining" % kind.encode(),
                 b"anthropic-ratelimit-%s-reset" % kind.encode()),
                indices,
                tuple(b"%d" % int(rows[i][1]) for i in indices),
            ))
    return tuple(out)


# Anthropic's resets, formatted once per second of wall clock: most answers within a second
# share them (a roomy limit is full again within a second).
_RFC3339: dict[int, bytes] = {}


def _rfc3339(at: float) -> bytes:
    """``at`` (Unix time) to the second, as Anthropic's reset headers (``...T07:46:53Z``)."""
    second = int(at)
    found = _RFC3339.get(second)
    if found is None:
        if len(_RFC3339) >= 64:
            _RFC3339.clear()
        found = _RFC3339[second] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)).encode()
    return found


def shows_headers(fmt: Format, shown: Sequence[ShownKind]) -> bool:
    """Whether a limited request in ``fmt`` gets rate-limit headers (the format has a
    convention and the plan shows a kind)."""
    return bool(shown) and (fmt in _OPENAI or fmt is Format.ANTHROPIC_MESSAGES)


def rate_limit_headers(fmt: Format, shown: Sequence[ShownKind], decision: Decision) -> list[tuple[bytes, bytes]]:
    """Built as bytes (as sent) on every response to a limited request; of several charges
    of a kind, the one with the least remaining."""
    if not shows_headers(fmt, shown):
        return []
    openai = fmt in _OPENAI
    remaining, resets = decision.remaining, decision.reset_s
    now = 0.0 if openai else time.time()
    out: list[tuple[bytes, bytes]] = []
    for kind in shown:
        indices = kind.indices
        at = 0
        for j in range(1, len(indices)):  # most plans have one charge per kind
            if remaining[indices[j]] < remaining[indices[at]]:
                at = j
        i = indices[at]
        reset, left = resets[i], remaining[i]
        if openai:  # under a second (most resets of a roomy limit): duration's first case, inlined
            shown_reset = b"%dms" % math.ceil(reset * 1000) if 0 <= reset < 1 else duration(reset).encode()
            limit_name, left_name, reset_name = kind.openai
        else:
            shown_reset = _rfc3339(now + reset)
            limit_name, left_name, reset_name = kind.anthropic
        out += [
            (limit_name, kind.limits[at]),
            (left_name, b"%d" % left if left > 0 else b"0"),  # %d truncates: floor, as left > 0
            (reset_name, shown_reset),
        ]
    return out
