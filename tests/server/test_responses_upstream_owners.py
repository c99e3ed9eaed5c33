"""Ids a Responses upstream issued on passthrough belong to the key that asked: another
issued key naming one (``previous_response_id``, ``item_reference``, ``input_tokens``) gets
OpenAI's own 400 before any upstream call; judged by the official openai SDK with two keys
issued through the admin API, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import openai
import orjson
import pytest
from keys_helpers import keys_config
from responses_helpers import issue_key, sdk

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.testing import running_gateway

MODEL = "demo-responses"  # the demo's OpenAI Responses upstream: passed through
Clients = tuple[openai.AsyncOpenAI, openai.AsyncOpenAI]


def _sent(upstream: FakeUpstream) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(upstream.requests[-1].raw)
    return body


async def test_the_owner_continues_another_key_is_refused(issued_pair: Clients, upstream: FakeUpstream) -> None:
    a, b = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    second = await a.responses.create(model=MODEL, input="go on", previous_response_id=first.id)
    assert second.previous_response_id == first.id
    assert _sent(upstream)["previous_response_id"] == first.id  # passed through untouched
    before = len(upstream.requests)
    with pytest.raises(openai.BadRequestError) as refused:
        await b.responses.create(model=MODEL, input="tell me", previous_response_id=first.id)
    assert refused.value.body["message"] == f"Previous response with id '{first.id}' not found."  # type: ignore[index]
    assert refused.value.code == "previous_response_not_found"
    assert len(upstream.requests) == before  # refused before any upstream call


async def test_another_keys_items_cannot_be_referenced(issued_pair: Clients, upstream: FakeUpstream) -> None:
    a, b = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    message = next(item for item in first.output if item.type == "message")
    inputs: Any = [{"role": "user", "content": "hi"}, {"type": "item_reference", "id": message.id}]
    await a.responses.create(model=MODEL, input=inputs)  # its owner may
    with pytest.raises(openai.BadRequestError) as refused:
        await b.responses.create(model=MODEL, input=inputs)
    assert refused.value.body["message"] == f"Item with id '{message.id}' not found."  # type: ignore[index]
    assert refused.value.body["param"] == "input[1]"  # type: ignore[index]


async def test_a_streamed_answer_is_recorded_before_its_last_event(issued_pair: Clients) -> None:
    """The other key's attempt comes the instant the stream ended: the record is there."""
    a, b = issued_pair
    async with a.responses.stream(model=MODEL, input="streamed secret") as stream:
        first = await stream.get_final_response()
    with pytest.raises(openai.BadRequestError):
        await b.responses.create(model=MODEL, input="tell me", previous_response_id=first.id)
    async with a.responses.stream(model=MODEL, input="go on", previous_response_id=first.id) as stream:
        assert (await stream.get_final_response()).previous_response_id == first.id


async def test_input_tokens_of_another_keys_conversation_are_refused(issued_pair: Clients) -> None:
    a, b = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans")
    counted = await a.responses.input_tokens.count(model=MODEL, input="go on", previous_response_id=first.id)
    assert counted.input_tokens > 0
    with pytest.raises(openai.BadRequestError):
        await b.responses.input_tokens.count(model=MODEL, input="go on", previous_response_id=first.id)


async def test_ids_the_gateway_never_recorded_go_to_the_upstream(issued_pair: Clients, upstream: FakeUpstream) -> None:
    """Not the gateway's to refuse (issued before the record, or with ``store: false``): the
    upstream decides, as it would without the gateway."""
    a, b = issued_pair
    unstored = await a.responses.create(model=MODEL, input="forget me", store=False)
    await b.responses.create(model=MODEL, input="x", previous_response_id=unstored.id)  # the fake takes its ids
    assert _sent(upstream)["previous_response_id"] == unstored.id
    with pytest.raises(openai.BadRequestError, match="resp_elsewhere"):  # the upstream's own 400
        await b.responses.create(model=MODEL, input="x", previous_response_id="resp_elsewhere")
    assert _sent(upstream)["previous_response_id"] == "resp_elsewhere"


async def test_a_mixed_route_refuses_another_keys_upstream_id(upstream: FakeUpstream, tmp_path: Path) -> None:
    """A route with a Responses target and a translated one: an id the gateway's own store
    does not hold goes to the Responses target, unless it is recorded for another key."""
    mixed = {"name": "mixed", "targets": [
        {"provider": "demo-responses", "upstream_model": "gpt-5"},
        {"provider": "demo-anthropic", "upstream_model": "claude-sonnet-4-6", "priority": 1},
    ]}
    config = keys_config(upstream, tmp_path / "gateway.db", models=[mixed])
    async with running_gateway(config) as url, httpx.AsyncClient(base_url=url, timeout=30) as http:
        a, b = sdk(http, await issue_key(url, "alice")), sdk(http, await issue_key(url, "bob"))
        first = await a.responses.create(model="mixed", input="secret plans")  # the Responses target answers
        await a.responses.create(model="mixed", input="go on", previous_response_id=first.id)
        before = len(upstream.requests)
        with pytest.raises(openai.BadRequestError):
            await b.responses.create(model="mixed", input="tell me", previous_response_id=first.id)
        await a.responses.create(model="mixed", input="hi", conversation="conv_mixed")
        before = len(upstream.requests)
        with pytest.raises(openai.NotFoundError):
            await b.responses.create(model="mixed", input="tell me", conversation="conv_mixed")
        assert len(upstream.requests) == before


async def test_another_keys_conversation_is_refused(issued_pair: Clients, upstream: FakeUpstream) -> None:
    """A Conversations API id belongs to the key whose answers the gateway saw in it: another
    key naming it (by id or as an object, in a create or a count) gets OpenAI's 404 of an unknown
    conversation before any upstream call; deleting one of its responses keeps it the owner's."""
    a, b = issued_pair
    first = await a.responses.create(model=MODEL, input="secret plans", conversation="conv_alice1")
    assert first.conversation is not None
    assert first.conversation.id == "conv_alice1"
    await a.responses.create(model=MODEL, input="go on", conversation={"id": "conv_alice1"})
    async with a.responses.stream(model=MODEL, input="more", conversation="conv_alice2") as stream:
        await stream.get_final_response()  # a streamed answer's conversation is recorded too
    before = len(upstream.requests)
    for conversation in ("conv_alice1", {"id": "conv_alice1"}, "conv_alice2"):
        with pytest.raises(openai.NotFoundError) as refused:
            await b.responses.create(model=MODEL, input="tell me", conversation=conversation)  # type: ignore[arg-type]
        name = conversation if isinstance(conversation, str) else conversation["id"]
        assert refused.value.body["message"] == f"Conversation with id '{name}' not found."  # type: ignore[index]
        assert refused.value.body["param"] == "conversation"  # type: ignore[index]
    with pytest.raises(openai.NotFoundError):
        await b.responses.input_tokens.count(model=MODEL, input="x", conversation="conv_alice1")
    assert len(upstream.requests) == before
    await a.responses.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        await b.responses.create(model=MODEL, input="tell me", conversation="conv_alice1")
    await b.responses.create(model=MODEL, input="x", conversation="conv_elsewhere")  # never seen: the upstream decides
    assert _sent(upstream)["conversation"] == "conv_elsewhere"
    with pytest.raises(openai.NotFoundError):  # and now it is bob's
        await a.responses.create(model=MODEL, input="x", conversation="conv_elsewhere")
