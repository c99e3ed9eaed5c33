"""Calls forwarded to the Responses upstream that stored a response (``GET``/``DELETE
/v1/responses/{id}``, ``/input_items``, a retrieve with ``stream=true``) go through the
request pipeline like every call: admitted against the key's request and concurrency
limits (refused with OpenAI's 429), attempted by the one attempt function, relayed
(a stream incrementally, a client disconnect closing the upstream request), and accounted
(history rows naming the operation, metrics naming the target), with no secret anywhere.
Judged by the official openai SDK with keys issued through the admin API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from keys_helpers import ADMIN_KEY, admin_client, keys_config
from observability.otlp_receiver import otlp_receiver
from prometheus_client.parser import text_string_to_metric_families
from responses_helpers import sdk
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import create_async_engine

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.store.schema import upstream_ids
from interlingua.server.testing import running_gateway

MODEL = "demo-responses"  # the demo's OpenAI Responses upstream: passed through
PROVIDER = "demo-responses"


@asynccontextmanager
async def _gateway(upstream: FakeUpstream, store_url: str, tmp_path: Path) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    config = keys_config(
        upstream, tmp_path / "unused.db", store={"url": store_url}, observability={"metrics": {}}
    )
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        yield url, http


async def _issue(url: str, name: str, **body: Any) -> dict[str, Any]:
    async with admin_client(url) as admin:
        r = await admin.post("/admin/keys", json={"name": name, **body})
        assert r.status_code == 201, r.text
        return dict(r.json())


async def test_forwarded_calls_count_against_the_keys_rpm(
    upstream: FakeUpstream, store_url: str, tmp_path: Path
) -> None:
    """rpm 3: the create and two forwarded calls pass, the third forwarded call is OpenAI's 429,
    before any upstream call."""
    async with _gateway(upstream, store_url, tmp_path) as (url, http):
        a = sdk(http, (await _issue(url, "alice", limits={"rpm": 3}))["key"])
        first = await a.responses.create(model=MODEL, input="hi")
        await a.responses.retrieve(first.id)
        raw = await a.responses.input_items.with_raw_response.list(first.id)
        assert raw.headers["x-ratelimit-limit-requests"] == "3"
        assert raw.headers["x-ratelimit-remaining-requests"] == "0"
        before = len(upstream.requests)
        for call in (a.responses.retrieve, a.responses.delete):
            with pytest.raises(openai.RateLimitError) as refused:
                await call(first.id)  # type: ignore[operator]
            assert refused.value.body["code"] == "rate_limit_exceeded"  # type: ignore[index]
            assert refused.value.response.headers["retry-after"]
        assert len(upstream.requests) == before


async def test_forwarded_stream_holds_a_parallel_slot_and_a_disconnect_ends_it(
    upstream: FakeUpstream, store_url: str, tmp_path: Path
) -> None:
    """max_parallel 1: while a retrieve stream is open (the upstream stalls after its first
    event, which the client has already read: relayed, not buffered) another forwarded call
    is refused; the client closing the stream closes the upstream request and frees the slot."""
    async with _gateway(upstream, store_url, tmp_path) as (url, http):
        a = sdk(http, (await _issue(url, "alice", limits={"max_parallel": 1}))["key"])
        first = await a.responses.create(model=MODEL, input="hi")
        upstream.fault_next("stall-after:1")
        stream = await a.responses.retrieve(first.id, stream=True)
        event = await stream.__anext__()
        assert (event.type, event.response.id) == ("response.created", first.id)
        streamed = upstream.requests[-1]
        assert (streamed.method, streamed.path, streamed.query) == ("GET", f"/v1/responses/{first.id}", "stream=true")
        with pytest.raises(openai.RateLimitError):
            await a.responses.input_items.list(first.id)
        await stream.close()
        await upstream.wait_idle(20)
        assert streamed.disconnected
        for _ in range(200):  # the slot is given back when the gateway has accounted the stream
            try:
                assert (await a.responses.retrieve(first.id)).id == first.id
                break
            except openai.RateLimitError:
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("the stream's parallel slot was never given back")


async def test_a_stored_response_streams_from_its_upstream(upstream: FakeUpstream, store_url: str, tmp_path: Path) -> None:
    async with _gateway(upstream, store_url, tmp_path) as (url, http):
        a = sdk(http, (await _issue(url, "alice"))["key"])
        b = sdk(http, (await _issue(url, "bob"))["key"])
        first = await a.responses.create(model=MODEL, input="hi")
        events = [e async for e in await a.responses.retrieve(first.id, stream=True)]
        assert [e.type for e in events] == ["response.created", "response.in_progress", "response.completed"]
        assert [e.sequence_number for e in events] == [0, 1, 2]
        assert events[-1].response.id == first.id
        later = [e async for e in await a.responses.retrieve(first.id, stream=True, starting_after=1)]
        assert [(e.type, e.sequence_number) for e in later] == [("response.completed", 2)]
        assert "starting_after=1" in upstream.requests[-1].query
        with pytest.raises(openai.NotFoundError):
            await b.responses.retrieve(first.id, stream=True)


def _samples(text: str, name: str) -> list[dict[str, str]]:
    return [
        dict(s.labels) | {"value": str(s.value)}
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    ]


async def _history(url: str, count: int) -> list[dict[str, Any]]:
    async with admin_client(url) as admin:
        for _ in range(300):  # written in batches
            rows = (await admin.get("/admin/requests", params={"limit": 50})).json()
            if len(rows) >= count:
                return list(reversed(rows))
            await asyncio.sleep(0.1)
    raise AssertionError(f"the history did not record {count} requests")


async def test_forwarded_calls_are_recorded_and_measured(
    upstream: FakeUpstream, store_url: str, tmp_path: Path
) -> None:
    async with _gateway(upstream, store_url, tmp_path) as (url, http):
        alice, bob = await _issue(url, "alice"), await _issue(url, "bob")
        a, b = sdk(http, alice["key"]), sdk(http, bob["key"])
        first = await a.responses.create(model=MODEL, input="hi")
        await a.responses.retrieve(first.id)
        [e async for e in await a.responses.retrieve(first.id, stream=True)]
        await a.responses.input_items.list(first.id)
        await a.responses.delete(first.id)
        for call in (a.responses.retrieve, b.responses.retrieve):
            with pytest.raises(openai.NotFoundError):
                await call(first.id)  # type: ignore[operator]
        rows = await _history(url, 7)
        scrape = (await http.get("/metrics")).text
    got = [(r["operation"], r["key"], r["status"], r["outcome"], r["target"], r["stream"]) for r in rows]
    assert got == [
        ("generate", "alice", 200, "ok", PROVIDER, False),
        ("retrieve", "alice", 200, "ok", PROVIDER, False),
        ("retrieve", "alice", 200, "ok", PROVIDER, True),
        ("input_items", "alice", 200, "ok", PROVIDER, False),
        ("delete", "alice", 200, "ok", PROVIDER, False),
        ("retrieve", "alice", 404, "client_error", None, False),  # the record went with the delete
        ("retrieve", "bob", 404, "client_error", None, False),
    ]
    assert all(r["tokens"] is None and r["attempts"] == 1 for r in rows[1:5])  # a replay costs nothing
    requests = _samples(scrape, "interlingua_requests_total")
    forwarded = [s for s in requests if s["model"] == "" and s["target"] == PROVIDER]
    assert sum(float(s["value"]) for s in forwarded) == 4
    assert {s["key"] for s in forwarded} == {"alice"}
    attempts = _samples(scrape, "interlingua_upstream_attempts_total")
    assert sum(float(s["value"]) for s in attempts if s["target"] == PROVIDER) == 5
    for secret in (alice["key"], bob["key"], ADMIN_KEY, upstream.api_key):
        assert secret is None or (secret not in scrape and secret not in str(rows))


async def test_an_id_recorded_before_migration_0005_is_a_clear_404(
    upstream: FakeUpstream, store_url: str, tmp_path: Path
) -> None:
    """A record without provider (written before 0005): its owner learns why it cannot be
    retrieved, another key gets the plain 404 of an unknown id; nothing reaches the upstream."""
    async with _gateway(upstream, store_url, tmp_path) as (url, http):
        alice = await _issue(url, "alice")
        a, b = sdk(http, alice["key"]), sdk(http, (await _issue(url, "bob"))["key"])
        engine = create_async_engine(store_url)
        try:
            async with engine.begin() as conn:
                row = {"id": "resp_old1", "owner": f"virtual_key:{alice['id']}", "expires_at": datetime.now(UTC) + timedelta(days=1)}
                await conn.execute(insert(upstream_ids), [row])
        finally:
            await engine.dispose()
        before = len(upstream.requests)
        for call in (a.responses.retrieve, a.responses.delete, a.responses.input_items.list):
            with pytest.raises(openai.NotFoundError) as refused:
                await call("resp_old1")  # type: ignore[operator]
            assert "earlier version of this gateway" in refused.value.body["message"]  # type: ignore[index]
        with pytest.raises(openai.NotFoundError) as other:
            await b.responses.retrieve("resp_old1")
        assert other.value.body["message"] == "Response with id 'resp_old1' not found."  # type: ignore[index]
        assert len(upstream.requests) == before


async def test_a_forwarded_call_is_traced_as_what_it_is(upstream: FakeUpstream, tmp_path: Path) -> None:
    """Its CLIENT span is named by the operation, under the request's SERVER span, naming the
    provider but no GenAI operation or model (nothing was generated)."""
    async with otlp_receiver() as (endpoint, received):
        config = keys_config(upstream, tmp_path / "gateway.db", observability={"tracing": {"endpoint": endpoint}})
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            a = sdk(http, (await _issue(url, "alice"))["key"])
            first = await a.responses.create(model=MODEL, input="hi")
            await a.responses.retrieve(first.id)
    client = received.named("responses.retrieve")
    server = received.named(f"GET /v1/responses/{first.id}")
    assert client["parent_id"] == server["span_id"]
    attributes = client["attributes"]
    assert attributes["interlingua.target"] == PROVIDER
    assert attributes["gen_ai.response.id"] == first.id
    assert "gen_ai.operation.name" not in attributes
    assert "gen_ai.request.model" not in attributes
