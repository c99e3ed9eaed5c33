"""``server/limits/headers.py``: the rate-limit headers' values, built as bytes from the
slot plan's shown kinds: the tightest enforced charge of each kind, OpenAI's durations,
Anthropic's RFC 3339 resets (to the second, UTC)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from interlingua.server.limits.buckets import Decision
from interlingua.server.limits.headers import rate_limit_headers, shown_kinds
from interlingua.translate import Format

_ROWS = [("requests", 60.0, True), ("tokens", 10_000.0, True), ("tokens", 500.0, True), ("tokens", 5.0, False)]


def _decision() -> Decision:
    return Decision(True, remaining=[59.0, 9_000.7, 120.2, -3.0], reset_s=[1.0, 0.25, 90.5, 2.0])


def test_openai_headers_show_the_tightest_enforced_charge() -> None:
    headers = rate_limit_headers(Format.OPENAI_CHAT, shown_kinds(_ROWS), _decision())
    assert headers == [
        (b"x-ratelimit-limit-requests", b"60"),
        (b"x-ratelimit-remaining-requests", b"59"),
        (b"x-ratelimit-reset-requests", b"1s"),
        (b"x-ratelimit-limit-tokens", b"500"),  # 120 left of 500: tighter than 9,000 of 10,000
        (b"x-ratelimit-remaining-tokens", b"120"),
        (b"x-ratelimit-reset-tokens", b"1m30.5s"),
    ]


def test_anthropic_resets_are_rfc3339_seconds() -> None:
    before = int(time.time())
    headers = dict(rate_limit_headers(Format.ANTHROPIC_MESSAGES, shown_kinds(_ROWS), _decision()))
    assert headers[b"anthropic-ratelimit-tokens-limit"] == b"500"
    assert headers[b"anthropic-ratelimit-requests-remaining"] == b"59"
    reset = headers[b"anthropic-ratelimit-tokens-reset"].decode()
    at = datetime.strptime(reset, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    assert before + 90 <= at <= time.time() + 91


def test_no_headers_in_other_conventions_or_without_shown_kinds() -> None:
    assert rate_limit_headers(Format.GEMINI, shown_kinds(_ROWS), _decision()) == []
    assert rate_limit_headers(Format.OPENAI_CHAT, shown_kinds([("parallel", 3.0, True)]), _decision()) == []


def test_debt_shows_zero_remaining() -> None:
    decision = Decision(True, remaining=[-2.5], reset_s=[3.0])
    assert rate_limit_headers(Format.OPENAI_CHAT, shown_kinds(_ROWS[:1]), decision)[1] == (
        b"x-ratelimit-remaining-requests", b"0",
    )
