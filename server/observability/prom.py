"""The gateway's Prometheus instruments, and serving them with one or many worker processes.

One :class:`GatewayMetrics` per process (held by the long-lived services, so counters
survive config reloads). With ``--workers N`` the workers are separate processes, and a
scrape reaches one of them: prometheus-client's multiprocess mode makes every worker write
its values to files in one directory, and a scrape sums them. The parent process makes
that directory per run (:func:`prepare_multiprocess`, before the workers start: the mode
is chosen when prometheus-client is imported), and removes it when the workers stopped.
Counter files of a worker that died stay until then, so counters never go backwards
between scrapes; its live gauges (in flight) go with it (:func:`worker_died`).

OTel-SDK metrics cannot be collected in multiprocess mode, hence prometheus-client
directly, under the semantic-convention names of :mod:`.semconv`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

from interlingua.server.observability.semconv import INSTRUMENTS, label
from interlingua.server.observability.series import (
    CounterFamily,
    HistogramFamily,
    HistogramSeries,
    Labelled,
    LocalCounter,
    LocalHistogram,
)

__all__ = [
    "CONTENT_TYPE",
    "ENV_DIR",
    "GatewayMetrics",
    "cleanup_multiprocess",
    "multiprocess_dir",
    "prepare_multiprocess",
    "worker_died",
]

_S = TypeVar("_S")

ENV_DIR = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The gateway's own time per request (seconds): well under the GenAI duration buckets.
OVERHEAD_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def multiprocess_dir() -> str | None:
    return os.environ.get(ENV_DIR) or None


def prepare_multiprocess() -> str | None:
    """An empty directory for this run's worker files, the workers pointed at it.

    ``PROMETHEUS_MULTIPROC_DIR`` set by the operator: that directory, emptied (files of an
    earlier run would be summed into this one's). Otherwise a new temporary directory,
    returned so that :func:`cleanup_multiprocess` removes it when the run ends.
    """
    given = multiprocess_dir()
    if given is not None:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
        return None
    path = tempfile.mkdtemp(prefix="interlingua-metrics-")
    os.environ[ENV_DIR] = path
    return path


def worker_died(pid: int) -> None:
    """Drop a dead worker's live gauges (its counters stay: totals never go backwards)."""
    path = multiprocess_dir()
    if path is not None:
        mark_process_dead(pid, path)  # type: ignore[no-untyped-call]


def cleanup_multiprocess(path: str) -> None:
    """The run ended: remove its directory."""
    if os.environ.get(ENV_DIR) == path:
        del os.environ[ENV_DIR]
    shutil.rmtree(path, ignore_errors=True)


_OVERHEAD_HELP = "Gateway time per request, excluding waiting on upstreams (before the upstream call)"

# The gateway's own counters fed by requests: attribute -> (name, help, labels).
_COUNTERS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "requests": (
        "interlingua_requests",
        "API requests by client format, client model, target, key name and status",
        ("client_format", "model", "target", "key", "status"),
    ),
    "tokens": ("interlingua_tokens", "Tokens the upstreams reported, by type and key", ("type", "key")),
    "cost": (
        "interlingua_cost_usd",
        "Spend in USD at the pricing table's prices, by key and model",
        ("key", "model"),
    ),
    "attempts": (
        "interlingua_upstream_attempts",
        "Upstream calls by target and outcome (ok, retry, failover, error) and error type",
        ("target", "outcome", "error_type"),
    ),
    "limited": (
        "interlingua_limited_requests",
        "Requests refused before any upstream call by a limit (rate, budget, concurrency)",
        ("limit",),
    ),
    "cache": (
        "interlingua_cache_lookups",
        "Response cache lookups by model route and result (hit, miss)",
        ("model", "result"),
    ),
}


class GatewayMetrics:
    """Every instrument of the gateway, on a registry of its own (or the worker files)."""

    token_usage: HistogramFamily
    duration: HistogramFamily
    ttft: HistogramFamily
    tpot: HistogramFamily
    requests: CounterFamily
    tokens: CounterFamily
    cost: CounterFamily
    attempts: CounterFamily
    limited: CounterFamily
    cache: CounterFamily

    def __init__(self) -> None:
        self._multiprocess = multiprocess_dir()
        # In multiprocess mode values go to files, whatever the registry; scrapes read the files.
        self.registry = CollectorRegistry(auto_describe=True)
        reg = None if self._multiprocess else self.registry
        self._request_series(reg)
        # Rare (a reload; the span exporter's thread): prometheus-client's instruments.
        self.reloads = Counter("interlingua_config_reloads", "Config reloads applied", registry=reg)
        self.spans_dropped = Counter(
            "interlingua_trace_spans_dropped", "Trace spans the collector did not take", registry=reg
        )
        self.inflight = Gauge(
            "interlingua_requests_in_flight",
            "API requests in flight",
            registry=reg,
            multiprocess_mode="livesum",
        )
        self.inflight_peak = Gauge(
            "interlingua_requests_in_flight_peak",
            "Most API requests in flight at once since start (with workers: the highest of any worker)",
            registry=reg,
            multiprocess_mode="max",
        )
        # Set when /metrics is scraped, from the answering process's view of routing (with
        # Redis it has adopted the fleet's cooldowns): the most recent scrape's values win.
        self.target_state = Gauge(
            "interlingua_target_state",
            "Routing targets: 1 for the state each is in (up, cooling, probing, probe_due)",
            ("target", "state"),
            registry=reg,
            multiprocess_mode="mostrecent",
        )
        self.target_failures = Gauge(
            "interlingua_target_recent_failures",
            "Routing targets' failures within the cooldown window",
            ("target",),
            registry=reg,
            multiprocess_mode="mostrecent",
        )
        name, doc = "interlingua_overhead_seconds", _OVERHEAD_HELP
        self.overhead: HistogramSeries = (
            Histogram(name, doc, buckets=OVERHEAD_BUCKETS, registry=None)
            if reg is None
            else LocalHistogram(name, doc, (), reg, OVERHEAD_BUCKETS).one()
        )
        self._children: dict[tuple[object, tuple[str, ...]], Any] = {}
        # In flight in this process, across config snapshots (a reload must not reset them).
        self.now = 0
        self.peak = 0
        self._configs = 0
        if self._multiprocess is None:
            # One process: a scrape reads the gauges off these two numbers, instead of each
            # request setting them (a locked Gauge.inc and dec, ~8,000 instructions). Worker
            # files (multiprocess) are written by inc/dec/set: enter and leave do that.
            self.inflight.set_function(lambda: self.now)
            self.inflight_peak.set_function(lambda: self.peak)

    def _request_series(self, local: CollectorRegistry | None) -> None:
        """The instruments every request feeds: with one process (``local``, the registry)
        the cheaper :mod:`.series` ones; worker processes need prometheus-client's files."""
        for key, i in INSTRUMENTS.items():
            labels = [label(n) for n in i.labels]
            if local is None:
                setattr(self, key, Histogram(i.name, i.description, labels, buckets=i.buckets, registry=None))
            else:
                setattr(self, key, LocalHistogram(i.name, i.description, labels, local, i.buckets))
        for key, (name, doc, names) in _COUNTERS.items():
            if local is None:
                setattr(self, key, Counter(name, doc, names, registry=None))
            else:
                setattr(self, key, LocalCounter(name, doc, names, local))

    def child(self, metric: Labelled[_S], *values: str) -> _S:
        """``metric.labels(*values)``, remembered: prometheus-client checks and locks on every
        call (~1.5 us); a request touches a dozen series."""
        key = (metric, values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found  # type: ignore[no-any-return]

    def enter(self) -> None:
        self.now += 1
        if self.now > self.peak:
            self.peak = self.now
            if self._multiprocess is not None:
                self.inflight_peak.set(self.now)
        if self._multiprocess is not None:
            self.inflight.inc()

    def leave(self) -> None:
        self.now -= 1
        if self._multiprocess is not None:
            self.inflight.dec()

    def config_started(self) -> None:
        """A config snapshot started serving; every one after the first is a reload."""
        self._configs += 1
        if self._configs > 1:
            self.reloads.inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of this process (or of every worker)."""
        if self._multiprocess is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self._multiprocess)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
