"""Worker processes write to one directory per run; a scrape sums them, and totals never go back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from interlingua.server.observability import prom

_WORKER = textwrap.dedent(
    """
    import sys
    from interlingua.server.observability.prom import GatewayMetrics
    m = GatewayMetrics()
    m.tokens.labels("input", "k").inc(int(sys.argv[1]))
    m.enter()  # one request still in flight when the worker goes away
    print(m.render().decode())
    """
)


# Requests through the metrics feature (its cached series, the in-flight gauges), one
# still in flight when the worker goes away; argv: where the test contexts live.
_SERVING = textwrap.dedent(
    """
    import asyncio, sys
    sys.path.insert(0, sys.argv[1])
    from observability.contexts import USAGE, finished
    from interlingua.server.features.metrics import MetricsFeature
    from interlingua.server.observability.prom import GatewayMetrics

    async def serve():
        feature = MetricsFeature(GatewayMetrics())
        for ctx in (finished(usage=USAGE), finished(usage=USAGE, stream=True)):
            await feature.request_start(ctx)
            await feature.complete(ctx)
        await feature.request_start(finished())
        print(feature.m.render().decode())

    asyncio.run(serve())
    """
)


def _worker(tokens: int, script: str = _WORKER) -> str:
    arg = str(tokens) if script is _WORKER else str(Path(__file__).parent.parent)
    done = subprocess.run(
        [sys.executable, "-c", script, arg], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def _line(text: str, prefix: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(prefix))


def test_prom_multiprocess_sums_workers_and_keeps_dead_workers_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(prom.ENV_DIR, raising=False)
    path = prom.prepare_multiprocess()
    assert path is not None
    assert os.environ[prom.ENV_DIR] == path
    try:
        first = _worker(5)
        assert (
            _line(first, "interlingua_tokens_total") == 'interlingua_tokens_total{key="k",type="input"} 5.0'
        )
        second = _worker(7)
        # both workers have exited: their counters stay (sum 12), their live gauges are marked dead
        assert _line(second, "interlingua_tokens_total").endswith(" 12.0")
        for pid_file in Path(path).glob("gauge_livesum_*.db"):
            prom.worker_died(int(pid_file.stem.rsplit("_", 1)[1]))
        text = prom.GatewayMetrics().render().decode()
        assert _line(text, "interlingua_tokens_total").endswith(" 12.0")
        assert "interlingua_requests_in_flight 2.0" in second  # the first worker not yet marked dead
        assert "interlingua_requests_in_flight " not in text  # dead workers hold no requests
    finally:
        prom.cleanup_multiprocess(path)
    assert not Path(path).exists()
    assert prom.ENV_DIR not in os.environ


def test_prom_operator_directory_is_emptied_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "counter_123.db").write_bytes(b"stale")
    (tmp_path / "notes.txt").write_text("kept")
    monkeypatch.setenv(prom.ENV_DIR, str(tmp_path))
    assert prom.prepare_multiprocess() is None  # not ours to remove at the end
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_prom_multiprocess_feature_requests_sum_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(prom.ENV_DIR, raising=False)
    path = prom.prepare_multiprocess()
    assert path is not None
    try:
        _worker(0, _SERVING)
        text = _worker(0, _SERVING)
        assert _line(text, 'interlingua_tokens_total{key="team-a",type="input"}').endswith(" 44.0")
        assert _line(text, 'interlingua_tokens_total{key="team-a",type="reasoning"}').endswith(" 12.0")
        assert _line(text, "interlingua_requests_total{").endswith(" 4.0")
        assert _line(text, "gen_ai_server_time_to_first_token_seconds_count{").endswith(" 2.0")
        assert "interlingua_requests_in_flight 2.0" in text  # one each, neither marked dead
        assert "interlingua_requests_in_flight_peak 1.0" in text  # the highest of any worker
    finally:
        prom.cleanup_multiprocess(path)
