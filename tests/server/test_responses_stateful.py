"""Stateful Responses toward every upstream format: previous_response_id, item_reference,
retrieve and delete, judged by the official openai SDK, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from responses_helpers import KEY_A, TRANSLATED, sdk, sqlite_url, stateful_config, two_clients
from server_helpers import formats_config

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.fake_upstream.anthropic_messages import SIGNATURE as ANTHROPIC_SIGNATURE
from interlingua.server.fake_upstream.bedrock_converse import SIGNATURE as BEDROCK_SIGNATURE
from interlingua.server.fake_upstream.gemini_signatures import GEMINI_SIGNATURE
from interlingua.server.testing import running_gateway

Clients = tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]


@pytest.fixture
async def clients(upstream: FakeUpstream, store_url: str) -> AsyncIterator[Clients]:
    async with two_clients(stateful_config(upstream, store_url)) as pair:
        yield pair


def _upstream_text(upstream: FakeUpstream) -> str:
    """The last upstream request's body, as text (what the model was shown)."""
    return upstream.requests[-1].raw.decode()


@pytest.mark.parametrize("fmt", sorted(TRANSLATED))
async def test_previous_response_id_continues_on_every_upstream(
    clients: Clients, upstream: FakeUpstream, fmt: str
) -> None:
    a, _ = clients
    model = TRANSLATED[fmt]
    first = await a.responses.create(model=model, input="My name is Ada")
    assert first.store is True
    second = await a.responses.create(model=model, input="What is my name?", previous_response_id=first.id)
    shown = _upstream_text(upstream)
    assert "My name is Ada" in shown
    assert first.output_text in shown.replace("\\n", "\n")  # the model sees its own earlier answer
    assert second.previous_response_id == first.id
    third = await a.responses.create(model=model, input="And again?", previous_response_id=second.id)
    shown = _upstream_text(upstream)
    assert "My name is Ada" in shown
    assert "What is my name?" in shown
    assert third.output_text.endswith("And again?")


@pytest.mark.parametrize("fmt", sorted(TRANSLATED))
async def test_item_reference_resolves_on_every_upstream(clients: Clients, upstream: FakeUpstream, fmt: str) -> None:
    a, _ = clients
    model = TRANSLATED[fmt]
    first = await a.responses.create(model=model, input="Remember: blue")
    message = next(item for item in first.output if item.type == "message")
    inputs: Any = [
        {"role": "user", "content": "Remember: blue"},
        {"type": "item_reference", "id": message.id},
        {"role": "user", "content": "Which colour?"},
    ]
    second = await a.responses.create(model=model, input=inputs)
    assert first.output_text in _upstream_text(upstream)
    assert second.output_text.endswith("Which colour?")


@pytest.mark.parametrize("fmt", sorted(TRANSLATED))
async def test_streamed_turn_then_immediate_follow_up(clients: Clients, upstream: FakeUpstream, fmt: str) -> None:
    """The stored response is the completed one, and it is there the moment the stream ends."""
    a, _ = clients
    model = TRANSLATED[fmt]
    async with a.responses.stream(model=model, input="Streamed hello") as stream:
        first = await stream.get_final_response()
    stored = await a.responses.retrieve(first.id)
    assert stored.status == "completed"
    assert stored.output_text == first.output_text
    async with a.responses.stream(model=model, input="next", previous_response_id=first.id) as stream:
        second = await stream.get_final_response()
    assert first.output_text in _upstream_text(upstream)
    assert second.previous_response_id == first.id


_TOOLS: Any = [{
    "type": "function", "name": "get_weather", "description": "weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}]


async def test_tool_round_trip_by_previous_response_id(clients: Clients) -> None:
    a, _ = clients
    tools = _TOOLS
    for model in TRANSLATED.values():
        first = await a.responses.create(model=model, input="get_weather in Paris", tools=tools)
        call = next(item for item in first.output if item.type == "function_call")
        result: Any = [{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'}]
        second = await a.responses.create(model=model, input=result, previous_response_id=first.id, tools=tools)
        assert "get_weather returned" in second.output_text, model


async def test_tool_round_trip_by_item_reference(clients: Clients) -> None:
    """The Vercel AI SDK's second turn: the call as a reference, then its output."""
    a, _ = clients
    for model in TRANSLATED.values():
        first = await a.responses.create(model=model, input="get_weather in Paris", tools=_TOOLS)
        call = next(item for item in first.output if item.type == "function_call")
        inputs: Any = [
            {"role": "user", "content": "get_weather in Paris"},
            *({"type": "item_reference", "id": item.id} for item in first.output),
            {"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'},
        ]
        second = await a.responses.create(model=model, input=inputs, tools=_TOOLS)
        assert "get_weather returned" in second.output_text, model


# Each fake upstream's own blob (its thinking signature; Gemini's call signature).
_ISSUED = {"anthropic_messages": ANTHROPIC_SIGNATURE, "gemini": GEMINI_SIGNATURE, "bedrock_converse": BEDROCK_SIGNATURE}


@pytest.mark.parametrize("include", [True, False], ids=["include", "no-include"])
@pytest.mark.parametrize("fmt", ["anthropic_messages", "gemini", "bedrock_converse"])
async def test_thinking_tool_loop_by_previous_response_id(
    clients: Clients, upstream: FakeUpstream, fmt: str, include: bool
) -> None:
    """Reasoning items come back from the store with the blob their upstream needs, whether
    or not the client asked for encrypted reasoning (it gets encrypted_content either way,
    as from OpenAI; the store keeps what it got)."""
    a, _ = clients
    model, reasoning = TRANSLATED[fmt], {"effort": "medium", "summary": "auto"}
    asked: Any = {"include": ["reasoning.encrypted_content"]} if include else {}
    first = await a.responses.create(
        model=model, input="get_weather in Paris", tools=_TOOLS, reasoning=reasoning,  # type: ignore[arg-type]
        **asked,
    )
    assert all(item.encrypted_content for item in first.output if item.type == "reasoning")
    call = next(item for item in first.output if item.type == "function_call")
    result: Any = [{"type": "function_call_output", "call_id": call.call_id, "output": '{"temp": 21}'}]
    second = await a.responses.create(
        model=model, input=result, previous_response_id=first.id, tools=_TOOLS, reasoning=reasoning,  # type: ignore[arg-type]
        **asked,
    )
    assert "get_weather returned" in second.output_text
    assert _ISSUED[fmt] in _upstream_text(upstream)  # the upstream got its own blob back


@pytest.mark.parametrize("fmt", sorted(TRANSLATED))
async def test_a_conversation_toward_another_format_is_a_400(clients: Clients, upstream: FakeUpstream, fmt: str) -> None:
    """The Conversations API's state lives in an OpenAI account: a stateless upstream cannot
    honour it, so it is refused naming it, never dropped (created or counted)."""
    a, _ = clients
    before = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.create(model=TRANSLATED[fmt], input="hi", conversation="conv_1")
    assert refused.value.body["param"] == "conversation"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as counted:
        await a.responses.input_tokens.count(model=TRANSLATED[fmt], input="hi", conversation={"id": "conv_1"})
    assert counted.value.body["param"] == "conversation"  # type: ignore[index]
    assert len(upstream.requests) == before


async def test_retrieve_and_delete(clients: Clients) -> None:
    a, _ = clients
    first = await a.responses.create(model=TRANSLATED["anthropic_messages"], input="keep me", metadata={"k": "v"})
    stored = await a.responses.retrieve(first.id)
    assert stored.model_dump() == first.model_dump()
    # The gateway keeps the answer, not its events; nor does it ignore what it cannot honour.
    with pytest.raises(openai.BadRequestError) as refused_stream:
        await a.responses.retrieve(first.id, stream=True)
    assert refused_stream.value.body["param"] == "stream"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as unknown:
        await a.responses.retrieve(first.id, extra_query={"colour": "blue"})
    assert unknown.value.body["param"] == "colour"  # type: ignore[index]
    await a.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        await a.responses.retrieve(first.id)
    with pytest.raises(openai.NotFoundError):
        await a.responses.delete(first.id)
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.create(model=TRANSLATED["gemini"], input="more", previous_response_id=first.id)
    assert first.id in refused.value.message
    assert refused.value.body["param"] == "previous_response_id"  # type: ignore[index]


async def test_input_items_list_the_conversation_in_pages(clients: Clients) -> None:
    """GET /v1/responses/{id}/input_items through the SDK: the whole stored conversation
    (earlier turns included), newest first by default, paged by ``after``, stable ids;
    another key's response is a 404 and a bad ``limit`` a 400 naming it."""
    a, b = clients
    model = TRANSLATED["gemini"]
    first = await a.responses.create(model=model, input="one")
    second = await a.responses.create(model=model, input="two", previous_response_id=first.id)
    listed = await a.responses.input_items.list(second.id, order="asc")
    texts = [item.content[0].text if item.type == "message" else item.type for item in listed.data]  # type: ignore[union-attr]
    assert texts[0] == "one"
    assert texts[-1] == "two"
    assert len(texts) == 3  # one, the first answer, two
    newest = await a.responses.input_items.list(second.id, limit=1)
    assert newest.data[0].id == listed.data[-1].id
    assert newest.has_more is True
    rest = await a.responses.input_items.list(second.id, limit=10, after=newest.data[0].id)
    assert [i.id for i in rest.data] == [i.id for i in reversed(listed.data[:-1])]
    assert rest.has_more is False
    with pytest.raises(openai.NotFoundError):
        await b.responses.input_items.list(second.id)
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.input_items.list(second.id, limit=500)
    assert refused.value.body["param"] == "limit"  # type: ignore[index]


async def test_another_key_cannot_read_continue_or_delete(clients: Clients) -> None:
    a, b = clients
    first = await a.responses.create(model=TRANSLATED["openai_chat"], input="secret plans")
    message = next(item for item in first.output if item.type == "message")
    with pytest.raises(openai.NotFoundError):
        await b.responses.retrieve(first.id)
    with pytest.raises(openai.NotFoundError):
        await b.responses.delete(first.id)
    with pytest.raises(openai.BadRequestError):
        await b.responses.create(model=TRANSLATED["openai_chat"], input="tell", previous_response_id=first.id)
    with pytest.raises(openai.BadRequestError) as refused:
        await b.responses.create(
            model=TRANSLATED["openai_chat"], input=[{"type": "item_reference", "id": message.id}]
        )
    assert message.id in refused.value.message
    assert (await a.responses.retrieve(first.id)).id == first.id  # still there for its owner


async def test_store_false_keeps_nothing(clients: Clients) -> None:
    a, _ = clients
    first = await a.responses.create(model=TRANSLATED["bedrock_converse"], input="forget me", store=False)
    assert first.store is False
    with pytest.raises(openai.NotFoundError):
        await a.responses.retrieve(first.id)
    with pytest.raises(openai.BadRequestError):
        await a.responses.create(model=TRANSLATED["bedrock_converse"], input="x", previous_response_id=first.id)


async def test_unknown_references_are_400_naming_them(clients: Clients, upstream: FakeUpstream) -> None:
    a, _ = clients
    before = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.create(model=TRANSLATED["gemini"], input="x", previous_response_id="resp_nope")
    assert "resp_nope" in refused.value.message
    inputs: Any = [{"role": "user", "content": "hi"}, {"type": "item_reference", "id": "msg_nope"}]
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.create(model=TRANSLATED["gemini"], input=inputs)
    assert "msg_nope" in refused.value.message
    assert refused.value.body["param"] == "input[1]"  # type: ignore[index]
    assert len(upstream.requests) == before  # refused before any upstream call


async def test_responses_upstream_resolves_its_own_ids(clients: Clients, upstream: FakeUpstream) -> None:
    """Toward a Responses upstream previous_response_id passes through untouched (that upstream stores)."""
    a, _ = clients
    with pytest.raises(openai.BadRequestError):
        await a.responses.create(model="gpt-5", input="x", previous_response_id="resp_upstreams")
    assert orjson.loads(upstream.requests[-1].raw)["previous_response_id"] == "resp_upstreams"
    assert KEY_A not in upstream.requests[-1].raw.decode()


async def _conversation(client: openai.AsyncOpenAI, follow_up: openai.AsyncOpenAI, n: int, model: str) -> None:
    """Turn 1 streamed; turn 2 sent the moment its stream ended (on ``follow_up``'s gateway)."""
    async with client.responses.stream(model=model, input=f"conversation {n}") as stream:
        first = await stream.get_final_response()
    second = await follow_up.responses.create(model=model, input="go on", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert (await follow_up.responses.retrieve(second.id)).id == second.id


async def test_follow_up_right_after_the_stream_never_misses(clients: Clients) -> None:
    """Concurrent clients, each sending turn 2 the moment turn 1's stream ended: the write
    is committed before the last event leaves, so no lookup can miss it."""
    a, _ = clients
    models = list(TRANSLATED.values())
    await asyncio.gather(*(_conversation(a, a, n, models[n % len(models)]) for n in range(24)))


async def test_follow_up_on_another_instance_sharing_the_store(upstream: FakeUpstream, store_url: str) -> None:
    """Turn 1 on one gateway, turn 2 at once on another over the same store (workers, instances)."""
    config = stateful_config(upstream, store_url)
    async with two_clients(config) as (one, _), two_clients(config) as (other, _):
        models = list(TRANSLATED.values())
        await asyncio.gather(*(_conversation(one, other, n, models[n % len(models)]) for n in range(12)))


async def test_mixed_route_passes_ids_it_does_not_hold_to_its_responses_target(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    """A route with a Responses target and a translated one: an id the gateway does not hold
    may be that upstream's, so it goes there untouched rather than being refused."""
    mixed = {"name": "mixed", "targets": [
        {"provider": "demo-responses", "upstream_model": "gpt-5"},
        {"provider": "demo-anthropic", "upstream_model": "claude-sonnet-4-6", "priority": 1},
    ]}
    config = stateful_config(upstream, sqlite_url(tmp_path), models=[mixed])
    async with two_clients(config) as (a, _):
        with pytest.raises(openai.BadRequestError):  # the fake Responses upstream knows no such id
            await a.responses.create(model="mixed", input="x", previous_response_id="resp_theirs")
    assert upstream.requests[-1].path == "/v1/responses"
    assert orjson.loads(upstream.requests[-1].raw)["previous_response_id"] == "resp_theirs"


async def test_input_tokens_counts_the_stored_conversation(clients: Clients, upstream: FakeUpstream) -> None:
    """``responses.input_tokens.count`` with previous_response_id toward a translated target
    counts what the follow-up would send (the stored turns included), for its owner only."""
    a, b = clients
    model = TRANSLATED["anthropic_messages"]
    first = await a.responses.create(model=model, input="My name is Ada")
    counted = await a.responses.input_tokens.count(
        model=model, input="What is my name?", previous_response_id=first.id
    )
    assert upstream.requests[-1].path == "/v1/messages/count_tokens"
    shown = _upstream_text(upstream)
    assert "My name is Ada" in shown
    assert first.output_text in shown.replace("\\n", "\n")
    alone = await a.responses.input_tokens.count(model=model, input="What is my name?")
    assert counted.input_tokens > alone.input_tokens
    with pytest.raises(openai.BadRequestError):  # another key's response is not resolved
        await b.responses.input_tokens.count(
            model=model, input="What is my name?", previous_response_id=first.id
        )


async def test_a_shared_cache_never_hands_one_key_another_keys_stored_response(
    upstream: FakeUpstream, tmp_path: Path
) -> None:
    """``cache: {shared: true}`` is skipped for stored Responses calls: a hit would answer key B
    with key A's stored id, which B can neither retrieve nor continue. ``store: false`` calls
    still share the entry."""
    route = {
        "name": "shared-cached",
        "provider": "demo-anthropic",
        "upstream_model": "claude-sonnet-4-6",
        "cache": {"ttl_s": 300, "shared": True},
    }
    config = stateful_config(upstream, sqlite_url(tmp_path), models=[route])
    ask: dict[str, Any] = {"model": "shared-cached", "input": "Name a colour.", "max_output_tokens": 32}
    async with two_clients(config) as (a, b):
        first = await a.responses.with_raw_response.create(**ask)
        second = await b.responses.with_raw_response.create(**ask)
        b_own = second.parse()
        continued = await b.responses.create(**ask | {"input": "Another.", "previous_response_id": b_own.id})
        unstored = [await c.responses.with_raw_response.create(**ask, store=False) for c in (a, b)]
    assert "x-interlingua-cache" not in first.headers
    assert "x-interlingua-cache" not in second.headers
    assert b_own.id != first.parse().id
    assert continued.status == "completed"
    assert [r.headers["x-interlingua-cache"] for r in unstored] == ["miss", "hit"]


async def test_input_tokens_estimate_counts_the_stored_conversation(clients: Clients, upstream: FakeUpstream) -> None:
    """Toward an upstream that cannot count (OpenAI Chat), the local estimate of a follow-up
    counts the stored turns its previous_response_id or item references name: exactly what
    the same conversation sent in full counts; unknown ids and another key's are refused as
    a create refuses them, before any upstream call."""
    a, b = clients
    model = TRANSLATED["openai_chat"]
    created = await a.responses.with_raw_response.create(model=model, input="My name is Ada")
    first = orjson.loads(created.http_response.content)
    question = {"type": "message", "role": "user", "content": "What is my name?"}
    before = len(upstream.requests)
    follow_up = await a.responses.input_tokens.with_raw_response.count(
        model=model, input="What is my name?", previous_response_id=first["id"]
    )
    assert follow_up.headers["x-interlingua-token-count"] == "estimate"
    counted = follow_up.parse().input_tokens
    bare = (await a.responses.input_tokens.count(model=model, input="What is my name?")).input_tokens
    full: Any = [{"type": "message", "role": "user", "content": "My name is Ada"}, *first["output"], question]
    whole = (await a.responses.input_tokens.count(model=model, input=full)).input_tokens
    assert counted > bare
    assert counted == whole
    references: Any = [{"type": "item_reference", "id": item["id"]} for item in first["output"]]
    by_reference = await a.responses.input_tokens.count(
        model=model, input=[full[0], *references, question]
    )
    assert by_reference.input_tokens == whole
    assert len(upstream.requests) == before  # estimated: no upstream was asked
    with pytest.raises(openai.BadRequestError) as refused:  # another key's stored response
        await b.responses.input_tokens.count(model=model, input="x", previous_response_id=first["id"])
    assert first["id"] in refused.value.message
    with pytest.raises(openai.BadRequestError) as refused:
        await a.responses.input_tokens.count(model=model, input=[question, {"type": "item_reference", "id": "msg_nope"}])
    assert "msg_nope" in refused.value.message
    assert refused.value.body["param"] == "input[1]"  # type: ignore[index]


async def test_input_tokens_estimate_without_a_store_refuses_references(upstream: FakeUpstream) -> None:
    """Without a store nothing resolves a reference: the estimate refuses it (400 naming it),
    as a translated create does, rather than counting the bare request."""
    config = formats_config(upstream, server={"api_keys": [KEY_A]})
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=20) as http:
        client = sdk(http, KEY_A)
        with pytest.raises(openai.BadRequestError) as refused:
            await client.responses.input_tokens.count(
                model=TRANSLATED["openai_chat"], input="x", previous_response_id="resp_gone"
            )
        assert "resp_gone" in refused.value.message
        counted = await client.responses.input_tokens.count(model=TRANSLATED["openai_chat"], input="x")
        assert counted.input_tokens > 0
