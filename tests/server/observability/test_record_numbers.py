"""The record's milliseconds and time stamp: the cheap arithmetic gives exactly the bytes that
``round(seconds * 1000, 3)`` and ``strftime(gmtime())`` give (the access log's format is pinned)."""

from __future__ import annotations

import random
import time

import orjson

from interlingua.server.observability.record import _iso, _ms

# Halves of a microsecond (ties to even, and their binary neighbours), zero, whole and
# large values, values beyond the fast path (negative, over 2**40 us).
EDGES = [0.0, -0.0, 1e-9, 5e-7, 1.5e-6, 2.5e-6, 0.0010005, 0.0012345, 1.0, 12.0000005, 1e6, 2e6, -1e-3]


def _seconds(rng: random.Random) -> float:
    exact = rng.randrange(10**9) / 10**7  # often exactly half a microsecond apart
    return rng.choice([exact, exact + 1e-12, exact - 1e-12, rng.random() * 10 ** rng.randint(-7, 5)])


def test_record_ms_equals_round() -> None:
    rng = random.Random(10)
    for seconds in [*EDGES, *(_seconds(rng) for _ in range(100_000))]:
        expected = round(seconds * 1000, 3)
        assert orjson.dumps(_ms(seconds)) == orjson.dumps(expected), seconds


def test_record_time_equals_strftime() -> None:
    rng = random.Random(10)
    walls = [1_700_000_000.0, 1_700_000_000.9995, 1_700_000_000.99999999, 1_700_000_001.0005]
    walls += [1_700_000_000 + rng.random() * 10**rng.randint(0, 8) for _ in range(20_000)]
    for wall in walls:
        expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(wall)) + f".{int(wall * 1000) % 1000:03d}Z"
        assert _iso(wall) == expected, wall
