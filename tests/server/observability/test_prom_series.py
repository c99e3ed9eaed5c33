"""The one-process series expose exactly what prometheus-client's own instruments would."""

from __future__ import annotations

import re

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from interlingua.server.observability.prom import OVERHEAD_BUCKETS, GatewayMetrics
from interlingua.server.observability.semconv import TOKEN_BUCKETS
from interlingua.server.observability.series import LocalCounter, LocalHistogram

_CREATED = re.compile(r"(_created(?:\{[^}]*\})?) \S+")


def _text(registry: CollectorRegistry) -> str:
    return _CREATED.sub(r"\1 T", generate_latest(registry).decode())


def test_series_exposition_equals_prometheus_client() -> None:
    ours, theirs = CollectorRegistry(), CollectorRegistry()
    kinds = [
        (LocalCounter("c", "help c", ("a", "b"), ours), Counter("c", "help c", ("a", "b"), registry=theirs)),
        (
            LocalHistogram("h", "help h", ("a",), ours, TOKEN_BUCKETS),
            Histogram("h", "help h", ("a",), buckets=TOKEN_BUCKETS, registry=theirs),
        ),
    ]
    (our_c, their_c), (our_h, their_h) = kinds
    for family in (our_c, their_c):
        family.labels("x", "y").inc(3)
        family.labels("x", "y").inc(0.5)
        family.labels("x", "z")  # a series at zero
    for family in (our_h, their_h):  # type: ignore[assignment]
        for amount in (0, 1, 1.5, 4, 4.0001, 3e9, 10**12, -2):  # bounds, between them, past the last
            family.labels("m").observe(amount)  # type: ignore[attr-defined]
        family.labels("n")  # type: ignore[attr-defined]
    our_o = LocalHistogram("o", "help o", (), ours, OVERHEAD_BUCKETS)
    their_o = Histogram("o", "help o", buckets=OVERHEAD_BUCKETS, registry=theirs)
    for series in (our_o.one(), their_o):
        series.observe(0.0003)
    assert _text(ours) == _text(theirs)


def test_series_refuse_what_prometheus_client_refuses() -> None:
    registry = CollectorRegistry()
    counter = LocalCounter("c", "help", ("a",), registry)
    with pytest.raises(ValueError, match="non-negative"):
        counter.labels("x").inc(-1)  # counters never go backwards
    with pytest.raises(ValueError, match="1 label values expected, got 2"):
        counter.labels("x", "y")
    with pytest.raises(ValueError, match="has labels"):
        counter.inc()  # a family with labels has no series of its own


def test_gateway_metrics_one_process_families_render() -> None:
    m = GatewayMetrics()
    m.child(m.tokens, "input", "k").inc(5)
    m.overhead.observe(0.0004)
    text = m.render().decode()
    assert 'interlingua_tokens_total{key="k",type="input"} 5.0' in text
    assert 'interlingua_overhead_seconds_bucket{le="0.0005"} 1.0' in text
    assert "# TYPE interlingua_tokens_total counter" in text
