"""The request history through the real gateway: records written in batches, exact counts in
``/metrics/summary`` under concurrency (SQLite, PostgreSQL, ``--workers 2``), the admin
listing and its filters, the live tail, admin-only access, graceful shutdown."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from keys_helpers import ADMIN_KEY, admin_client, keys_config, keys_raw_config, serve_process
from realservers import fresh_database
from server_helpers import make_config

from interlingua.server.config.store import StoreConfig
from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.services import Services
from interlingua.server.store import Store
from interlingua.server.testing import running_gateway

from .history_helpers import PRICING, Seen, history_count, issue_key, openai_traffic, summary


def _check_counts(report: dict[str, Any], seen: Seen, key_name: str) -> None:
    totals = report["totals"]
    assert totals["requests"] == seen.requests
    assert totals["errors"] == seen.errors
    assert totals["error_rate"] == round(seen.errors / seen.requests, 4)
    assert totals["tokens"]["input"] == seen.input
    assert totals["tokens"]["output"] == seen.output
    assert totals["cost_usd"] == pytest.approx(seen.cost_usd, abs=1e-6)
    assert totals["latency_ms"]["p50"] is not None
    assert totals["latency_ms"]["p95"] >= totals["latency_ms"]["p50"]
    assert totals["ttft_ms"]["p50"] is not None  # a third of the requests streamed
    assert sum(b["requests"] for b in report["series"]) == seen.requests
    assert sum(b["errors"] for b in report["series"]) == seen.errors
    assert len(report["series"]) == 60
    assert {row["model"]: row["requests"] for row in report["by_model"]} == seen.by_model
    assert report["by_key"] == [
        {
            "key": key_name,
            "requests": seen.requests,
            "errors": seen.errors,
            "tokens": seen.input + seen.output,
            "cost_usd": round(seen.cost_usd, 6),
            "latency_p95_ms": report["by_key"][0]["latency_p95_ms"],
        }
    ]
    targets = {row["target"]: row["requests"] for row in report["by_target"]}
    assert targets[None] == seen.errors  # no route: no target
    assert sum(targets.values()) == seen.requests


async def _events(response: httpx.Response, wanted: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    async for line in response.aiter_lines():
        if line.startswith("data: "):
            found.append(orjson.loads(line[6:]))
            if len(found) == wanted:
                return found
    return found


async def test_history_summary_exact_under_concurrency_sqlite(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = keys_config(upstream, tmp_path / "h.db", pricing=PRICING)
    async with running_gateway(config) as url:
        key = await issue_key(url, name="team-a", limits={"rpm": 50, "tpm": 1_000_000}, budget={"usd": 5})
        seen = Seen()
        await openai_traffic(url, key["key"], 40, seen, errors=3)
        report = await history_count(url, seen.requests)
        _check_counts(report, seen, "team-a")
        assert report["window"] == "1h"
        assert report["generated_at"].endswith("Z")
        (entry,) = report["keys"]
        assert (entry["name"], entry["id"], entry["enabled"], entry["expires_at"]) == (
            "team-a",
            key["id"],
            True,
            None,
        )
        limits = {row["kind"]: row for row in entry["limits"]}
        assert limits["rpm"]["limit"] == 50  # refills 1 a second: 43 used take 43 s to refill
        assert 0 < limits["rpm"]["used"] <= seen.requests
        assert limits["rpm"]["resets_at"].endswith("Z")
        assert limits["tpm"]["limit"] == 1_000_000
        assert limits["budget_usd"]["used"] == pytest.approx(seen.cost_usd, abs=1e-6)
        assert limits["budget_usd"]["resets_at"].endswith("Z")
        states = {(t["provider"], t["upstream_model"]): t for t in report["targets"]}
        for used in (("demo-openai", "gpt-4o-mini"), ("demo-anthropic", "claude-sonnet-4-6")):
            assert states[used]["state"] == "up"
            assert states[used]["latency_ms"] is not None
            assert states[used]["cooling_until"] is None
        for window, buckets in (("1d", 48), ("7d", 84)):
            wide = await summary(url, window)
            assert len(wide["series"]) == buckets
            assert wide["totals"]["requests"] == seen.requests
        assert key["key"] not in orjson.dumps(report).decode()


async def test_history_summary_shows_a_cooling_target(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with running_gateway(keys_config(upstream, tmp_path / "c.db")) as url:
        key = await issue_key(url, name="team-c")
        client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=key["key"], max_retries=0)
        with upstream.faulty("status:503"):
            for _ in range(3):  # cooldown.failures
                with pytest.raises(openai.APIStatusError):
                    await client.chat.completions.create(
                        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
                    )
        await client.close()
        report = await history_count(url, 3)
    (target,) = [
        t for t in report["targets"] if (t["provider"], t["upstream_model"]) == ("demo-openai", "gpt-4o-mini")
    ]
    assert target["state"] == "cooling"
    assert target["cooling_until"].endswith("Z")
    assert report["totals"]["errors"] == 3


async def test_history_summary_on_postgresql(
    upstream: FakeUpstream, tmp_path: Path, postgres_url: str
) -> None:

    url_pg = await fresh_database(postgres_url, "history_e2e")
    config = keys_config(upstream, tmp_path / "unused.db", pricing=PRICING, store={"url": url_pg})
    async with running_gateway(config) as url:
        key = await issue_key(url, name="team-pg")
        seen = Seen()
        await openai_traffic(url, key["key"], 30, seen, errors=2)
        report = await history_count(url, seen.requests)
        _check_counts(report, seen, "team-pg")
        async with admin_client(url) as admin:
            page = (await admin.get("/admin/requests", params={"limit": 5})).json()
        assert len(page) == 5
        assert [r["id"] for r in page] == sorted((r["id"] for r in page), reverse=True)


async def test_history_with_two_workers_counts_every_request(upstream: FakeUpstream, tmp_path: Path) -> None:
    raw = keys_raw_config(upstream, tmp_path / "w.db", pricing=PRICING)
    async with serve_process(raw, tmp_path, "--workers", "2") as url:
        key = await issue_key(url, name="team-w")
        seen = Seen()
        async with admin_client(url) as admin, admin.stream("GET", "/admin/requests/tail") as tail:
            # Requests served by either worker reach the tail through the store.
            await openai_traffic(url, key["key"], 30, seen)
            events = await asyncio.wait_for(_events(tail, 30), 30)
        assert len({e["request_id"] for e in events}) == 30
        report = await history_count(url, seen.requests, timeout_s=30)
        assert report["totals"]["requests"] == seen.requests
        assert report["totals"]["tokens"]["output"] == seen.output


async def test_history_records_written_on_graceful_shutdown(upstream: FakeUpstream, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    async with running_gateway(keys_config(upstream, db)) as url:
        seen = Seen()
        key = await issue_key(url, name="team-s")
        await openai_traffic(url, key["key"], 10, seen)
    # Stopped right after the last answer: what was queued was written before the store closed.
    store = Store.open(StoreConfig(url=f"sqlite+aiosqlite:///{db}", secret="x" * 32), env={})
    try:
        async with store.engine.connect() as conn:
            from sqlalchemy import func, select

            from interlingua.server.store.schema import request_history

            assert await conn.scalar(select(func.count()).select_from(request_history)) == 10
    finally:
        await store.close()


async def test_history_listing_newest_first_with_cursor_and_filters(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    async with running_gateway(keys_config(upstream, tmp_path / "l.db", pricing=PRICING)) as url:
        key = await issue_key(url, name="team-l")
        seen = Seen()
        await openai_traffic(url, key["key"], 12, seen, errors=2)
        await history_count(url, seen.requests)
        async with admin_client(url) as admin:
            first = (await admin.get("/admin/requests", params={"limit": 10})).json()
            rest = (
                await admin.get("/admin/requests", params={"limit": 10, "before": first[-1]["id"]})
            ).json()
            errors = (await admin.get("/admin/requests", params={"status": 404})).json()
            translated = (await admin.get("/admin/requests", params={"model": "gpt-via-anthropic"})).json()
            by_key = (
                await admin.get("/admin/requests", params={"key": "team-l", "client_format": "openai_chat"})
            ).json()
            nobody = (await admin.get("/admin/requests", params={"key": "someone-else"})).json()
            bad = await admin.get("/admin/requests", params={"limit": "0"})
            bad_status = await admin.get("/admin/requests", params={"status": "oops"})
    ids = [r["id"] for r in first + rest]
    assert len(ids) == seen.requests
    assert ids == sorted(ids, reverse=True)
    assert len(errors) == 2
    assert all(r["error_type"] and r["target"] is None for r in errors)
    assert len(translated) == 6
    assert all(r["upstream_format"] == "anthropic_messages" for r in translated)
    assert len(by_key) == seen.requests
    assert nobody == []
    record = next(r for r in first if r["tokens"] is not None)
    assert set(record) >= {
        "id",
        "time",
        "request_id",
        "key",
        "client_format",
        "model",
        "target",
        "upstream_format",
        "status",
        "attempts",
        "tokens",
        "cost_usd",
        "latency_ms",
        "ttfb_ms",
        "cache",
        "error_type",
    }
    assert record["key"] == "team-l"
    assert record["status"] == 200
    assert record["cost_usd"] > 0
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "limit"
    assert bad_status.status_code == 400
    assert bad_status.json()["error"]["param"] == "status"
    assert key["key"] not in orjson.dumps(first + rest).decode()


async def test_history_tail_streams_new_requests_with_filters(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with running_gateway(keys_config(upstream, tmp_path / "t.db")) as url:
        key = await issue_key(url, name="team-t")
        seen = Seen()
        await openai_traffic(url, key["key"], 2, seen)  # before the tail: not sent
        await history_count(url, 2)
        async with (
            admin_client(url) as admin,
            admin.stream("GET", "/admin/requests/tail", params={"model": "gpt-4o-mini"}) as tail,
        ):
            assert tail.status_code == 200
            assert tail.headers["content-type"].startswith("text/event-stream")
            await openai_traffic(url, key["key"], 6, seen)  # 3 of them gpt-4o-mini
            events = await asyncio.wait_for(_events(tail, 3), 20)
        assert [e["model"] for e in events] == ["gpt-4o-mini"] * 3
        assert all(e["key"] == "team-t" and e["status"] == 200 for e in events)
        assert len({e["id"] for e in events}) == 3
        # Reconnecting with Last-Event-ID resumes after the last event seen.
        headers = {"last-event-id": str(events[0]["id"])}
        async with (
            admin_client(url) as admin,
            admin.stream(
                "GET", "/admin/requests/tail", headers=headers, params={"model": "gpt-4o-mini"}
            ) as again,
        ):
            resumed = await asyncio.wait_for(_events(again, 2), 20)
        assert [e["id"] for e in resumed] == [e["id"] for e in events[1:]]


async def test_history_endpoints_are_admin_only(upstream: FakeUpstream, tmp_path: Path) -> None:
    async with (
        running_gateway(keys_config(upstream, tmp_path / "a.db")) as url,
        httpx.AsyncClient(base_url=url) as c,
    ):
        for path in ("/metrics/summary", "/admin/requests", "/admin/requests/tail"):
            assert (await c.get(path)).status_code == 401
            wrong = await c.get(path, headers={"authorization": "Bearer " + ADMIN_KEY[:-1] + "x"})
            assert wrong.status_code == 401
            assert wrong.json()["error"]["type"] == "authentication_error"
        bad = await c.get("/metrics/summary?window=2h", headers={"authorization": f"Bearer {ADMIN_KEY}"})
        assert bad.status_code == 400
        assert bad.json()["error"]["param"] == "window"


async def test_history_endpoints_404_without_admin_key(upstream: FakeUpstream, tmp_path: Path) -> None:
    config = make_config(
        upstream, store={"url": f"sqlite+aiosqlite:///{tmp_path / 'n.db'}", "secret": "s" * 32}
    )
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url) as c:
        for path in ("/metrics/summary", "/admin/requests", "/admin/requests/tail", "/admin/keys"):
            r = await c.get(path, headers={"authorization": f"Bearer {ADMIN_KEY}"})
            assert r.status_code == 404, path


def test_history_off_with_zero_days_or_without_store(upstream: FakeUpstream, tmp_path: Path) -> None:
    assert (
        Services(keys_config(upstream, tmp_path / "z.db", observability={"history_days": 0})).history is None
    )
    assert Services(make_config(upstream)).history is None
    assert Services(keys_config(upstream, tmp_path / "z.db")).history is not None


async def _tail_ends_with(gateway: AbstractAsyncContextManager[str]) -> None:
    """Open a tail on ``gateway``, stop the gateway: the stream must end cleanly (a complete
    chunked body with heartbeats at most), not be cut when the grace period runs out."""
    url = await gateway.__aenter__()
    try:
        async with admin_client(url) as admin, admin.stream("GET", "/admin/requests/tail") as tail:
            chunks = tail.aiter_raw()
            assert (await anext(chunks)).startswith(b": tail")  # the tail is open
            stopping = asyncio.create_task(gateway.__aexit__(None, None, None))
            rest = [chunk async for chunk in chunks]  # raises if the connection is cut
        assert all(chunk.startswith(b":") for chunk in rest)
    except BaseException:
        await gateway.__aexit__(None, None, None)
        raise
    await stopping


async def test_history_tail_ends_when_the_gateway_shuts_down(upstream: FakeUpstream, tmp_path: Path) -> None:
    """An open tail does not hold a graceful shutdown for its whole grace period (120 s)."""
    await _tail_ends_with(running_gateway(keys_config(upstream, tmp_path / "t.db"), grace_s=120))


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_history_tail_ends_on_sigterm(upstream: FakeUpstream, tmp_path: Path, workers: str) -> None:
    """The same through SIGTERM to a real ``interlingua serve`` (one process, or the parent
    of two workers): with a 120 s grace the tail still ends cleanly before the test's
    helper would kill the process (15 s)."""
    raw = keys_raw_config(upstream, tmp_path / "p.db", server={"shutdown_grace_ms": 120_000})
    await _tail_ends_with(serve_process(raw, tmp_path, "--workers", workers))
