"""The OpenAI Responses client surface and upstream adapter, against the fake upstream."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import orjson
import pytest
from server_helpers import OPENAI_BODY, RESPONSES_BODY, formats_config

from interlingua.server.fake_upstream import DEMO_UPSTREAM_KEY, FakeUpstream
from interlingua.server.fake_upstream.counting import COUNT_OFFSET
from interlingua.server.testing import running_gateway


@pytest.fixture
async def client(upstream: FakeUpstream) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        running_gateway(formats_config(upstream)) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as c,
    ):
        yield c


def _sdk(client: httpx.AsyncClient) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=str(client.base_url).rstrip("/") + "/v1", api_key="x", http_client=client, max_retries=0
    )


async def test_responses_passthrough_keeps_state_fields(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    raw = orjson.dumps({**RESPONSES_BODY, "store": True})
    resp = await client.post("/v1/responses", content=raw, headers={"openai-beta": "responses=v1"})
    assert resp.status_code == 200, resp.text
    seen = upstream.requests[-1]
    assert seen.path == "/v1/responses"
    assert seen.raw == raw
    assert seen.headers["authorization"] == f"Bearer {DEMO_UPSTREAM_KEY}"
    assert seen.headers["openai-beta"] == "responses=v1"
    assert "x-interlingua-warning" not in resp.headers
    # previous_response_id reaches a Responses upstream, which answers for it (here: unknown id).
    raw = orjson.dumps({**RESPONSES_BODY, "previous_response_id": "resp_1"})
    resp = await client.post("/v1/responses", content=raw)
    assert upstream.requests[-1].raw == raw
    assert resp.status_code == 400
    assert "resp_1" in resp.json()["error"]["message"]


async def test_responses_sdk_stream_passthrough(client: httpx.AsyncClient) -> None:
    async with _sdk(client).responses.stream(model="gpt-5", input="hi", store=False) as stream:
        final = await stream.get_final_response()
    assert final.output_text
    assert final.status == "completed"


async def test_responses_client_translated_to_anthropic(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    resp = await client.post("/v1/responses", json={"model": "responses-via-anthropic", "input": "hi"})
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["model"] == "responses-via-anthropic"
    assert any(item["type"] == "message" for item in answer["output"])
    # store defaults to true in the Responses API: ignored (stateless), and said so.
    assert any("store ignored" in w for w in resp.headers.get_list("x-interlingua-warning"))
    assert upstream.requests[-1].path == "/v1/messages"


async def test_responses_store_false_gives_no_warning(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/responses", json={**RESPONSES_BODY, "model": "responses-via-anthropic"})
    assert resp.status_code == 200, resp.text
    assert not any("store" in w for w in resp.headers.get_list("x-interlingua-warning"))


async def test_responses_previous_response_id_refused_when_stateless(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    before = len(upstream.requests)
    body = {**RESPONSES_BODY, "model": "responses-via-anthropic", "previous_response_id": "resp_1"}
    resp = await client.post("/v1/responses", json=body)
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert error["param"] == "previous_response_id"
    assert "'resp_1'" in error["message"]
    assert "holds no such stored response" in error["message"]
    assert len(upstream.requests) == before


async def test_responses_sdk_stream_translated(client: httpx.AsyncClient) -> None:
    sdk = _sdk(client)
    async with sdk.responses.stream(model="responses-via-anthropic", input="hi", store=False) as stream:
        final = await stream.get_final_response()
    assert final.output_text
    assert final.usage is not None
    assert final.usage.output_tokens > 0


async def test_openai_chat_client_to_responses_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    resp = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "gpt-5"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["choices"][0]["message"]["content"]
    seen = upstream.requests[-1]
    assert seen.path == "/v1/responses"
    assert seen.body is not None
    assert seen.body["model"] == "gpt-5"
    assert "input" in seen.body


async def test_anthropic_client_stream_to_responses_upstream(client: httpx.AsyncClient) -> None:
    body = {
        "model": "gpt-5",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    resp = await client.post("/v1/messages", json=body)
    assert resp.status_code == 200
    assert "event: message_stop" in resp.text


async def test_responses_bad_input_is_a_400_in_openai_shape(client: httpx.AsyncClient) -> None:
    resp = await client.post("/v1/responses", json={"model": "gpt-5", "input": 3})
    assert resp.status_code == 400
    assert resp.json()["error"]["param"] == "input"


async def test_responses_upstream_error_relayed(client: httpx.AsyncClient, upstream: FakeUpstream) -> None:
    upstream.fault_next("status:429")
    resp = await client.post("/v1/chat/completions", json={**OPENAI_BODY, "model": "gpt-5"})
    assert resp.status_code == 429
    assert resp.headers["retry-after"] == "7"


async def test_responses_input_tokens_counted_by_an_anthropic_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    body = {"model": "responses-via-anthropic", "input": "hello " * 50, "instructions": "be brief"}
    resp = await client.post("/v1/responses/input_tokens", json=body)
    assert resp.status_code == 200
    assert resp.json()["object"] == "response.input_tokens"
    assert resp.json()["input_tokens"] > COUNT_OFFSET + 50
    assert resp.headers["x-interlingua-token-count"] == "upstream"
    assert "x-interlingua-warning" not in resp.headers
    sent = upstream.requests[-1]
    assert sent.path == "/v1/messages/count_tokens"
    assert sent.body is not None
    assert sent.body["system"] == "be brief"


async def test_responses_input_tokens_forwarded_to_responses_upstream(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    resp = await client.post("/v1/responses/input_tokens", json={"model": "gpt-5", "input": "hi"})
    assert resp.status_code == 200
    assert resp.json()["input_tokens"] > COUNT_OFFSET
    assert resp.headers["x-interlingua-token-count"] == "upstream"
    assert "x-interlingua-warning" not in resp.headers
    assert upstream.requests[-1].raw == b'{"model":"gpt-5","input":"hi"}'  # passed through as sent


_ECHOED = {"instructions": "be brief", "temperature": 0.3, "top_p": 0.8, "metadata": {"run": "7"},
           "store": False, "max_output_tokens": 64, "tool_choice": "auto", "parallel_tool_calls": False,
           "reasoning": {"effort": "low", "summary": "auto"}}


async def test_responses_translated_answer_echoes_the_clients_request(client: httpx.AsyncClient) -> None:
    """A Responses client toward another upstream gets the whole Response object, its own
    request echoed in it (as OpenAI does), in the body and in every stream snapshot."""
    body = {"model": "responses-via-anthropic", "input": "hi", **_ECHOED}
    resp = await client.post("/v1/responses", json=body)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert {key: answer[key] for key in _ECHOED} == _ECHOED
    assert answer["previous_response_id"] is None
    assert answer["truncation"] == "disabled"
    assert isinstance(answer["completed_at"], int)
    async with client.stream("POST", "/v1/responses", json={**body, "stream": True}) as stream:
        events = [orjson.loads(line[6:]) async for line in stream.aiter_lines() if line.startswith("data: ")]
    snapshots = [e["response"] for e in events if e["type"] in ("response.created", "response.in_progress",
                                                              "response.completed")]
    assert len(snapshots) == 3
    for snapshot in snapshots:
        assert {key: snapshot[key] for key in _ECHOED} == _ECHOED
    assert snapshots[0]["completed_at"] is None
    assert isinstance(snapshots[-1]["completed_at"], int)


async def test_responses_item_reference_refused_without_a_store(
    client: httpx.AsyncClient, upstream: FakeUpstream
) -> None:
    """Without stored responses an item reference is a 400 naming it, never an empty turn."""
    before = len(upstream.requests)
    for model in ("responses-via-anthropic", "gpt-via-gemini", "claude-via-bedrock", "gemini-via-openai"):
        inputs = [{"role": "user", "content": "hi"}, {"type": "item_reference", "id": "msg_abc"}]
        resp = await client.post("/v1/responses", json={"model": model, "input": inputs})
        assert resp.status_code == 400, model
        error = resp.json()["error"]
        assert error["param"] == "input[1]"
        assert "msg_abc" in error["message"]
    assert len(upstream.requests) == before


async def test_responses_retrieve_without_a_store_is_404(client: httpx.AsyncClient) -> None:
    sdk = _sdk(client)
    answer = await sdk.responses.create(model="responses-via-anthropic", input="hi")
    assert answer.store is False  # honest: nothing was kept
    with pytest.raises(openai.NotFoundError):
        await sdk.responses.retrieve(answer.id)
