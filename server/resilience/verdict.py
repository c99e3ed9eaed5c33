"""What a failed upstream attempt means for the rest of the request.

=================================================  ===========  ==================================
failure (before the first byte reached the client)  verdict     effect
=================================================  ===========  ==================================
connect error, timeout, no first byte in time       RETRY       counts toward the target's cooldown
HTTP 500, 502, 503, 504, 529                        RETRY       counts toward the target's cooldown
in-band ``overloaded`` error as the first event     RETRY       counts toward the target's cooldown
HTTP 429                                            KEY_LIMITED the key rests for ``retry-after``
HTTP 401, 403                                       KEY_REFUSED the key is benched
"input too long" (400/413 naming the context)       CONTEXT     ``context_window_fallbacks``
HTTP 400, 404, 413, 422, any other 4xx              FINAL       the client gets the error
=================================================  ===========  ==================================

Every verdict but FINAL lets the request go on to another key, target or route; the
client's own cancellation never reaches here (it cancels the whole request).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import Enum

from interlingua.errors import GatewayError

__all__ = ["Verdict", "parse_retry_after", "verdict_for"]


class Verdict(Enum):
    RETRY = "retry"
    KEY_LIMITED = "key_limited"
    KEY_REFUSED = "key_refused"
    CONTEXT = "context"
    FINAL = "final"

    @property
    def target_failed(self) -> bool:
        """Whether this counts as a failure of the target (toward its cooldown)."""
        return self is Verdict.RETRY


_RETRY_STATUSES = frozenset({500, 502, 503, 504, 529})
# How providers word "the input does not fit the model's context" (OpenAI's code is
# context_length_exceeded; Anthropic says "prompt is too long"; Gemini "exceeds the maximum
# number of tokens"; Bedrock "Input is too long"/"too many input tokens").
_CONTEXT = re.compile(
    r"context[_ ](length|window)|prompt is too long|input is too long|too many (input )?tokens"
    r"|maximum context|exceeds the maximum number of tokens|reduce the length",
    re.IGNORECASE,
)


def verdict_for(err: GatewayError) -> Verdict:
    """The verdict for an attempt that failed with ``err`` (its status is the upstream's, or
    502/504 for transport failures made by the gateway)."""
    status = err.status
    if status == 429:
        return Verdict.KEY_LIMITED
    if status in (401, 403):
        return Verdict.KEY_REFUSED
    if status in (400, 413) and _CONTEXT.search(f"{err.code or ''} {err.message}"):
        return Verdict.CONTEXT
    return Verdict.RETRY if status in _RETRY_STATUSES else Verdict.FINAL


def parse_retry_after(value: str | None, value_ms: str | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` (OpenAI, Anthropic) or ``retry-after``
    (seconds or an HTTP date); None when absent or unreadable."""
    if value_ms:
        try:
            ms = float(value_ms)
        except ValueError:
            ms = -1.0
        if ms >= 0:
            return ms / 1000
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value.removesuffix("s"))  # Gemini's RetryInfo says "7s"
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable
