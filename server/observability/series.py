"""Counters and histograms of one process, cheaper per request than prometheus-client's.

prometheus-client's ``Counter.inc`` and ``Histogram.observe`` check the instrument and take
a lock per value (a histogram two, after a Python loop over its buckets): ~4,500 and
~10,000 instructions, and a request makes a dozen of them. These keep plain floats
(``observe`` finds its bucket by ``bisect``), written only from the event loop's thread,
and hand prometheus-client (:class:`CollectorRegistry`, ``generate_latest``) the same
samples its own instruments would when ``/metrics`` is scraped: names, label order,
cumulative buckets with ``le`` as Go prints it, ``_count``, ``_sum`` and ``_created``
(unless prometheus-client was told to leave those out).

Worker processes (``--workers N``) must write prometheus-client's files, which only its
instruments do: :class:`~interlingua.server.observability.prom.GatewayMetrics` uses these
with one process only. Both kinds satisfy :class:`CounterFamily` / :class:`HistogramFamily`.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import Generic, Protocol, TypeVar

from prometheus_client import Counter
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import CollectorRegistry
from prometheus_client.utils import floatToGoString

__all__ = [
    "CounterFamily",
    "CounterSeries",
    "HistogramFamily",
    "HistogramSeries",
    "Labelled",
    "LocalCounter",
    "LocalHistogram",
]

_S = TypeVar("_S", covariant=True)


class Labelled(Protocol[_S]):
    def labels(self, *values: str) -> _S: ...


class CounterSeries(Protocol):
    def inc(self, amount: float = 1) -> None: ...


class HistogramSeries(Protocol):
    def observe(self, amount: float) -> None: ...


class CounterFamily(Labelled[CounterSeries], CounterSeries, Protocol): ...


class HistogramFamily(Labelled[HistogramSeries], HistogramSeries, Protocol): ...


def _created_series() -> bool:
    """Whether prometheus-client writes ``_created`` samples (``PROMETHEUS_DISABLE_CREATED_SERIES``,
    ``disable_created_metrics()``), asked through its public API: an unregistered counter's samples."""
    (probe,) = Counter("probe", "probe", registry=None).collect()
    return any(s.name.endswith("_created") for s in probe.samples)


class _CounterChild:
    __slots__ = ("created", "value")

    def __init__(self) -> None:
        self.value = 0.0
        self.created = time.time()

    def inc(self, amount: float = 1) -> None:
        if amount < 0:
            raise ValueError("Counters can only be incremented by non-negative amounts.")
        self.value += amount


class _HistogramChild:
    __slots__ = ("bounds", "counts", "created", "sum")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0.0] * len(bounds)
        self.sum = 0.0
        self.created = time.time()

    def observe(self, amount: float) -> None:
        # The first bucket whose upper bound is >= amount (prometheus-client's `amount <= bound`).
        self.counts[bisect_left(self.bounds, amount)] += 1
        self.sum += amount


_C = TypeVar("_C", _CounterChild, _HistogramChild)


class _Family(Generic[_C]):
    """One metric family: its children by label values; without labels, one series of its own."""

    typ = ""

    def __init__(self, name: str, documentation: str, labelnames: Sequence[str], registry: CollectorRegistry) -> None:
        self.name, self.documentation, self.labelnames = name, documentation, tuple(labelnames)
        self._children: dict[tuple[str, ...], _C] = {}
        self._series: _C | None = None if self.labelnames else self._children.setdefault((), self._new())
        registry.register(self)

    def _new(self) -> _C:
        raise NotImplementedError

    def labels(self, *values: str) -> _C:
        if len(values) != len(self.labelnames) or not values:
            raise ValueError(f"{self.name}: {len(self.labelnames)} label values expected, got {len(values)}")
        key = tuple(str(v) for v in values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = self._new()
        return found

    def one(self) -> _C:
        """The series of a family without labels."""
        if self._series is None:
            raise ValueError(f"{self.name} has labels: a series is .labels(...)")
        return self._series

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, self.typ)]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, self.typ)
        created = _created_series()
        for values, child in list(self._children.items()):
            self._add(metric, dict(zip(self.labelnames, values, strict=True)), child, created)
        return [metric]

    def _add(self, metric: Metric, labels: dict[str, str], child: _C, created: bool) -> None:
        raise NotImplementedError


class LocalCounter(_Family[_CounterChild]):
    typ = "counter"

    def _new(self) -> _CounterChild:
        return _CounterChild()

    def inc(self, amount: float = 1) -> None:
        self.one().inc(amount)

    def _add(self, metric: Metric, labels: dict[str, str], child: _CounterChild, created: bool) -> None:
        metric.add_sample(self.name + "_total", labels, child.value)
        if created:
            metric.add_sample(self.name + "_created", labels, child.created)


class LocalHistogram(_Family[_HistogramChild]):
    typ = "histogram"

    def __init__(
        self,
        name: str,
        documentation: str,
        labelnames: Sequence[str],
        registry: CollectorRegistry,
        buckets: Sequence[float],
    ) -> None:
        # prometheus-client's bounds: as given, +Inf appended when missing.
        bounds = [float(b) for b in buckets]
        if bounds[-1] != float("inf"):
            bounds.append(float("inf"))
        self.bounds = tuple(bounds)
        super().__init__(name, documentation, labelnames, registry)

    def _new(self) -> _HistogramChild:
        return _HistogramChild(self.bounds)

    def observe(self, amount: float) -> None:
        self.one().observe(amount)

    def _add(self, metric: Metric, labels: dict[str, str], child: _HistogramChild, created: bool) -> None:
        total = 0.0
        for bound, count in zip(self.bounds, child.counts, strict=True):
            total += count
            le: str = floatToGoString(bound)  # type: ignore[no-untyped-call]
            metric.add_sample(self.name + "_bucket", {**labels, "le": le}, total)
        metric.add_sample(self.name + "_count", labels, total)
        if self.bounds[0] >= 0:
            metric.add_sample(self.name + "_sum", labels, child.sum)
        if created:
            metric.add_sample(self.name + "_created", labels, child.created)
