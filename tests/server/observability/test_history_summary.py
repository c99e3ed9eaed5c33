"""The summary's SQL over a seeded history (100k rows, SQLite and PostgreSQL): exact counts,
nearest-rank percentiles, buckets; pruning; the tail's cursor and heartbeat."""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from realservers import fresh_database
from sqlalchemy import func, insert, select

from interlingua.server.config.store import StoreConfig
from interlingua.server.observability.history_query import Filters
from interlingua.server.observability.history_store import StoreHistorySink, history_row
from interlingua.server.observability.history_tail import LOOKBACK, TailCursor, tail_events
from interlingua.server.observability.summary import history_summary, window_span
from interlingua.server.store import Store
from interlingua.server.store.schema import request_history

ROWS = 100_000
NOW = 1_790_000_000.0  # a fixed "now" (Unix seconds)


def _record(i: int, ts_ms: int) -> dict[str, Any]:
    """Request ``i``: latency ``i + 1`` ms; every 10th an error; every 4th streamed."""
    return {
        "ts_ms": ts_ms,
        "request_id": f"r{i}",
        "key": f"key-{i % 3}",
        "client_format": "openai_chat",
        "model": "m-even" if i % 2 == 0 else "m-odd",
        "stream": i % 4 == 0,
        "target": "prov",
        "upstream_model": "up",
        "status": 500 if i % 10 == 0 else 200,
        "error_type": "upstream_error" if i % 10 == 0 else None,
        "attempts": 1,
        "tokens": {
            "input_tokens": 2,
            "output_tokens": 3,
            "cache_read_tokens": 1,
            "cache_creation_tokens": 0,
            "reasoning_tokens": 1,
        },
        "cost_usd": 0.001,
        "latency_ms": float(i + 1),
        "ttfb_ms": float(i + 1) / 2,
    }


async def _seed(store: Store, rows: int) -> None:
    span = window_span("1h", int(NOW * 1000))
    spread = span.end_ms - span.start_ms
    records = [history_row(_record(i, span.start_ms + i * spread // rows)) for i in range(rows)]
    async with store.engine.begin() as conn:
        for start in range(0, rows, 10_000):
            await conn.execute(insert(request_history), records[start : start + 10_000])


def _nearest_rank(values: list[float], p: int) -> float:
    return sorted(values)[math.ceil(p / 100 * len(values)) - 1]


async def _no_keys() -> list[dict[str, Any]]:
    return []


async def _check(store: Store) -> None:
    started = time.perf_counter()
    report = await history_summary(store.engine, "1h", keys=_no_keys, now=NOW)
    print(f"summary of {ROWS} rows on {store.dialect}: {time.perf_counter() - started:.3f} s")
    totals = report["totals"]
    assert totals["requests"] == ROWS
    assert totals["errors"] == ROWS // 10
    assert totals["tokens"] == {
        "input": 2 * ROWS,
        "output": 3 * ROWS,
        "cache_read": ROWS,
        "cache_creation": 0,
        "reasoning": ROWS,
    }
    assert totals["cost_usd"] == pytest.approx(0.001 * ROWS)
    latencies = [float(i + 1) for i in range(ROWS)]
    assert totals["latency_ms"] == {"p50": _nearest_rank(latencies, 50), "p95": _nearest_rank(latencies, 95)}
    streamed = [(i + 1) / 2 for i in range(ROWS) if i % 4 == 0]
    assert totals["ttft_ms"] == {"p50": _nearest_rank(streamed, 50), "p95": _nearest_rank(streamed, 95)}
    series = report["series"]
    assert len(series) == 60
    assert sum(b["requests"] for b in series) == ROWS
    assert [b["requests"] for b in series] == [
        ROWS // 60 + (1 if n < ROWS % 60 else 0) for n in range(60)
    ] or all(abs(b["requests"] - ROWS / 60) <= 1 for b in series)
    first = [float(i + 1) for i in range(series[0]["requests"])]
    assert series[0]["latency_p95_ms"] == _nearest_rank(first, 95)
    assert series[0]["t"].endswith(":00.000Z")
    models = {row["model"]: row for row in report["by_model"]}
    assert models["m-even"]["requests"] == ROWS // 2
    assert models["m-odd"]["latency_p95_ms"] == _nearest_rank([float(i + 1) for i in range(1, ROWS, 2)], 95)
    assert sorted(row["key"] for row in report["by_key"]) == ["key-0", "key-1", "key-2"]
    assert report["by_target"][0]["target"] == "prov/up"
    assert report["by_target"][0]["tokens"] == 6 * ROWS
    (target,) = report["targets"]
    assert target["latency_ms"] == _nearest_rank(latencies, 50)
    assert target["recent_failures"] == ROWS // 10


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = Store.open(StoreConfig(data_dir=str(tmp_path / "data"), secret="s" * 32), env={})
    await store.migrate()
    yield store
    await store.close()


async def test_history_summary_of_100k_rows_sqlite(sqlite_store: Store) -> None:
    await _seed(sqlite_store, ROWS)
    await _check(sqlite_store)


async def test_history_summary_of_100k_rows_postgresql(postgres_url: str) -> None:
    url = await fresh_database(postgres_url, "history_seeded")
    store = Store.open(StoreConfig(url=url, secret="s" * 32), env={})
    try:
        await store.migrate()
        await _seed(store, ROWS)
        await _check(store)
    finally:
        await store.close()


async def test_history_empty_window(sqlite_store: Store) -> None:
    report = await history_summary(sqlite_store.engine, "7d", keys=_no_keys, now=NOW)
    assert report["totals"]["requests"] == 0
    assert report["totals"]["error_rate"] == 0.0
    assert report["totals"]["latency_ms"] == {"p50": None, "p95": None}
    assert len(report["series"]) == 84
    assert report["series"][0]["latency_p95_ms"] is None
    assert report["by_key"] == report["targets"] == []


async def test_history_prune_removes_only_older_rows(sqlite_store: Store) -> None:
    sink = StoreHistorySink(sqlite_store.engine)
    await sink.write([_record(1, 1_000_000), _record(2, 3_000_000)])
    await sink.prune(2_000.0)  # seconds
    async with sqlite_store.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(request_history)) == 1


def test_history_row_clips_long_strings_and_keeps_no_unknown_field() -> None:
    row = history_row({**_record(1, 5), "model": "m" * 500, "authorization": "Bearer secret"})
    assert len(row["model"]) == 200
    assert "authorization" not in row


def test_history_tail_cursor_sends_late_commits_once() -> None:
    cursor = TailCursor(start=100)
    assert cursor.unsent([101, 103]) == [101, 103]
    cursor.mark([101, 103])
    # 102 committed after 103 (another writer's transaction): still sent, 101/103 not again.
    assert cursor.floor == 100
    assert cursor.unsent([101, 102, 103, 104]) == [102, 104]
    cursor.mark([102, 104])
    cursor.mark([104 + LOOKBACK * 2])
    assert cursor.floor == 104 + LOOKBACK
    assert cursor.sent == {104 + LOOKBACK * 2}


async def test_history_tail_heartbeat_when_idle(sqlite_store: Store) -> None:
    events = tail_events(sqlite_store.engine, Filters(), TailCursor(0), heartbeat_s=0.0)
    assert (await anext(events)).startswith(b": tail")
    assert await anext(events) == b": keep-alive\n\n"
    await events.aclose()
