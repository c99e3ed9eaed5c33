"""``GET``/``DELETE /v1/responses/{id}`` and ``/input_items`` for ids a Responses upstream
issued on passthrough: the key that asked gets the upstream's own answer (forwarded to the
same provider with the same pool key), any other key the 404 of an unknown id, before any
upstream call. Judged by the official openai SDK with two keys issued through the admin API,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from keys_helpers import keys_config
from responses_helpers import issue_key, sdk

from interlingua.server.fake_upstream import FakeUpstream, demo_config
from interlingua.server.testing import running_gateway

MODEL = "demo-responses"  # the demo's OpenAI Responses upstream: passed through
Clients = tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]


def _not_found(err: openai.NotFoundError, rid: str) -> None:
    assert err.status_code == 404
    assert err.body["message"].startswith(f"Response with id '{rid}' not found.")  # type: ignore[index]


async def test_the_owner_retrieves_lists_and_deletes_another_key_gets_404(
    issued_pair: Clients, upstream: FakeUpstream
) -> None:
    a, b = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    before = len(upstream.requests)
    for call in (b.responses.retrieve, b.responses.delete, b.responses.input_items.list):
        with pytest.raises(openai.NotFoundError) as refused:
            await call(first.id)  # type: ignore[operator]
        _not_found(refused.value, first.id)  # word for word the answer to an unknown id
    assert len(upstream.requests) == before  # no hint, and no upstream call

    got = await a.responses.retrieve(first.id)
    assert got.id == first.id
    sent = upstream.requests[-1]
    assert (sent.method, sent.path) == ("GET", f"/v1/responses/{first.id}")
    assert sent.headers["authorization"] == f"Bearer {upstream.api_key}"
    page = await a.responses.input_items.list(first.id, limit=5, order="asc")
    assert page.data == []
    assert upstream.requests[-1].path == f"/v1/responses/{first.id}/input_items"
    assert sorted(upstream.requests[-1].query.split("&")) == ["limit=5", "order=asc"]

    deleted = await a.responses.delete(first.id)
    assert deleted is None  # the SDK returns nothing for a 200
    assert (upstream.requests[-1].method, upstream.requests[-1].path) == ("DELETE", f"/v1/responses/{first.id}")
    with pytest.raises(openai.NotFoundError):  # the record is gone with it
        await a.responses.retrieve(first.id)
    await b.responses.create(model=MODEL, input="x", previous_response_id=first.id)  # no longer refused


async def test_include_is_passed_and_unknown_parameters_are_refused(issued_pair: Clients, upstream: FakeUpstream) -> None:
    a, _ = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    await a.responses.retrieve(first.id, include=["message.output_text.logprobs"])
    assert "message.output_text.logprobs" in upstream.requests[-1].query
    before = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.retrieve(first.id, extra_query={"colour": "blue"})
    assert refused.value.body["param"] == "colour"  # type: ignore[index]
    assert len(upstream.requests) == before


async def test_the_upstreams_own_error_is_relayed(issued_pair: Clients, upstream: FakeUpstream) -> None:
    """Status and body as the upstream answered (here a 400 from the fake's own check)."""
    a, _ = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.input_items.list(first.id, extra_query={"order": "sideways"})
    assert refused.value.body["param"] == "order"  # type: ignore[index]
    assert upstream.requests[-1].path.endswith("/input_items")


async def test_a_streamed_answers_id_is_retrievable(issued_pair: Clients) -> None:
    a, b = issued_pair
    async with a.responses.stream(model=MODEL, input="streamed secret") as stream:
        first = await stream.get_final_response()
    assert (await a.responses.retrieve(first.id)).id == first.id
    with pytest.raises(openai.NotFoundError):
        await b.responses.retrieve(first.id)


async def test_item_ids_and_odd_ids_are_not_forwarded(issued_pair: Clients, upstream: FakeUpstream) -> None:
    a, _ = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    before = len(upstream.requests)
    for rid in (first.output[0].id, f"{first.id}.json", f"{first.id}%2F..%2F..%2Fmodels", "%2E%2E"):
        with pytest.raises(openai.NotFoundError):  # raw paths: the SDK itself refuses some
            await a.get(f"/responses/{rid}", cast_to=httpx.Response)
    assert len(upstream.requests) == before


async def test_the_same_pool_key_serves_the_follow_up(tmp_path: Path) -> None:
    """A provider with two keys: each response is retrieved with the key that made it."""
    async with FakeUpstream() as up:  # takes any key, records which
        raw: dict[str, Any] = demo_config(up)
        providers = [
            {k: v for k, v in p.items() if k != "api_key"} | {"api_keys": ["key-one-1234", "key-two-5678"]}
            if p["name"] == MODEL else p
            for p in raw["providers"]
        ]
        config = keys_config(up, tmp_path / "gateway.db", providers=providers)
        async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
            a = sdk(http, await issue_key(url, "alice"))
            made = []
            for _ in range(2):
                made.append(((await a.responses.create(model=MODEL, input="hi")).id, up.requests[-1].headers["authorization"]))
            assert made[0][1] != made[1][1]  # the pool took its keys in turn
            for rid, key in made:
                await a.responses.retrieve(rid)
                assert up.requests[-1].headers["authorization"] == key
