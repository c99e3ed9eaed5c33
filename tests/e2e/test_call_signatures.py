"""A Gemini 3 function call's own signature goes back to Gemini from every client format.

Gemini 3 checks the signature of the first ``functionCall`` of each step of the current
turn. The fake Gemini's ``gemini-3*`` models check it too, and stricter: a call the fake
issued must come back with the very signature it issued, not Google's dummy
(server/fake_upstream/gemini_signatures.py). Each client speaks through its official SDK
(anthropic, openai Chat and Responses, boto3 Bedrock, google-genai) with thinking on, plain
and streamed, and sends its history back the SDK's way; the upstream then finds its
signature on its call (a Chat client carries it in the call's id). And the same history
sent to another upstream carries neither the blob nor its envelope.

A step that calls no function may carry a signature on its text (Gemini 3; Google advises
sending it back): the fake's ``*-signed-text`` models sign it and insist it comes back on
that text part, which every client but Chat carries the same way (a Chat client's text has
no field for it: dropped by policy, as Gemini does not enforce it).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from functools import partial
from typing import Any

import anthropic
import boto3
import openai
import orjson
import pytest
from botocore.config import Config as BotoConfig
from google.genai import types

from interlingua.server.config import load_config_text
from interlingua.server.fake_upstream import FakeUpstream, demo_config_yaml
from interlingua.server.fake_upstream.gemini_signatures import GEMINI_SIGNATURE
from interlingua.server.testing import running_gateway

from .payloads import CLIENT_KEY, SCHEMA, UPSTREAM_ROUTES, genai_client

GEMINI_3 = "gemini-3-pro-preview"  # the demo config's ``gemini-*`` route: the fake Gemini, strict
SIGNED_TEXT = "gemini-3-pro-signed-text"  # the same, and it signs (and checks) text without calls
PROMPT = "What is the weather in Paris?"
RESULT = "21C and sunny"
ENVELOPE = b"aWxnc2ln"  # every sealed blob starts with it (convert/blobs.py)
JSON = dict[str, Any]
# A client's tool loop: (gateway url, first model, second model, stream) -> the final text.
Loop = Callable[[str, str, str, bool], Coroutine[Any, Any, str]]


@pytest.fixture
async def gateway(upstream: FakeUpstream) -> AsyncIterator[str]:
    async with running_gateway(load_config_text(demo_config_yaml(upstream), {})) as url:
        yield url


async def _first_answer(stream: bool, streamed: Callable[[], Any], final: str,
                        plain: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """The first turn's answer as the SDK assembles it: from its stream helper (``final``: the
    name of its method giving the whole answer) or its plain call."""
    if not stream:
        return await plain()
    async with streamed() as events:
        return await getattr(events, final)()


async def _anthropic(url: str, first: str, second: str, stream: bool) -> str:
    tools: Any = [{"name": "get_weather", "description": "weather", "input_schema": SCHEMA}]
    args: Any = {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}, "tools": tools}
    messages: Any = [{"role": "user", "content": PROMPT}]
    async with anthropic.AsyncAnthropic(base_url=url, api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        out = await _first_answer(stream, lambda: c.messages.stream(model=first, messages=messages, **args),
                                  "get_final_message", lambda: c.messages.create(model=first, messages=messages, **args))
        blocks = [b.model_dump(exclude_none=True) for b in out.content]
        # The call's signature: an empty thinking block right before its tool_use.
        assert [b["type"] for b in blocks][-2:] == ["thinking", "tool_use"]
        assert blocks[-2]["thinking"] == ""
        use = blocks[-1]
        messages += [
            {"role": "assistant", "content": blocks},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use["id"], "content": RESULT}]},
        ]
        done = await c.messages.create(model=second, messages=messages, **args)
    return "".join(b.text for b in done.content if b.type == "text")


async def _responses(url: str, first: str, second: str, stream: bool, include: bool = True) -> str:
    tools: Any = [{"type": "function", "name": "get_weather", "description": "weather", "parameters": SCHEMA}]
    args: Any = {"tools": tools, "reasoning": {"effort": "low", "summary": "auto"}, "store": False}
    if include:  # without it too: OpenAI populates encrypted_content by default
        args["include"] = ["reasoning.encrypted_content"]
    items: Any = [{"role": "user", "content": PROMPT}]
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        out = await _first_answer(stream, lambda: c.responses.stream(model=first, input=items, **args),
                                  "get_final_response", lambda: c.responses.create(model=first, input=items, **args))
        output = [item.model_dump(exclude_none=True) for item in out.output]
        # The call's signature: a reasoning item without summary right before the function call.
        assert [i["type"] for i in output][-2:] == ["reasoning", "function_call"]
        assert output[-2]["summary"] == []
        items += [*output, {"type": "function_call_output", "call_id": output[-1]["call_id"], "output": RESULT}]
        done = await c.responses.create(model=second, input=items, **args)
    return done.output_text


async def _chat(url: str, first: str, second: str, stream: bool) -> str:
    tools: Any = [{"type": "function", "function": {"name": "get_weather", "parameters": SCHEMA}}]
    messages: Any = [{"role": "user", "content": PROMPT}]
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        args: Any = {"messages": messages, "tools": tools, "reasoning_effort": "low"}
        out = await _first_answer(stream, lambda: c.chat.completions.stream(model=first, **args),
                                  "get_final_completion", lambda: c.chat.completions.create(model=first, **args))
        message = out.choices[0].message.model_dump(exclude_none=True)
        for extra in ("reasoning_content", "parsed"):
            message.pop(extra, None)
        # The call's signature: sealed into the call's id, the one field Chat sends back.
        call_id = message["tool_calls"][0]["id"]
        assert call_id.startswith("call_aWxnc2ln")
        messages += [message, {"role": "tool", "tool_call_id": call_id, "content": RESULT}]
        done = await c.chat.completions.create(model=second, messages=messages, tools=tools, reasoning_effort="low")
    return done.choices[0].message.content or ""


def _bedrock_client(url: str) -> Any:
    return boto3.client("bedrock-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="AKIACLIENT", aws_secret_access_key="client-secret",
                        config=BotoConfig(retries={"max_attempts": 1}))


def _streamed_message(events: list[Any]) -> JSON:
    """The assistant message a boto3 ConverseStream spelled out, as a Bedrock client rebuilds it."""
    blocks: dict[int, JSON] = {}
    for event in events:
        start = event.get("contentBlockStart")
        if start is not None and "toolUse" in start["start"]:
            blocks[start["contentBlockIndex"]] = {"toolUse": {**start["start"]["toolUse"], "input": ""}}
        delta = event.get("contentBlockDelta")
        if delta is None:
            continue
        block = blocks.setdefault(delta["contentBlockIndex"], {})
        piece = delta["delta"]
        if "toolUse" in piece:
            block["toolUse"]["input"] += piece["toolUse"]["input"]
        elif "reasoningContent" in piece:
            text = block.setdefault("reasoningContent", {"reasoningText": {"text": ""}})["reasoningText"]
            text["text"] += piece["reasoningContent"].get("text", "")
            if "signature" in piece["reasoningContent"]:
                text["signature"] = piece["reasoningContent"]["signature"]
        elif "text" in piece:
            block["text"] = block.get("text", "") + piece["text"]
    for block in blocks.values():
        if "toolUse" in block:
            block["toolUse"]["input"] = orjson.loads(block["toolUse"]["input"] or "{}")
    return {"role": "assistant", "content": [blocks[i] for i in sorted(blocks)]}


def _bedrock_sync(url: str, first: str, second: str, stream: bool) -> str:
    client = _bedrock_client(url)
    tools = {"tools": [{"toolSpec": {"name": "get_weather", "description": "weather",
                                     "inputSchema": {"json": SCHEMA}}}]}
    args: Any = {"toolConfig": tools, "inferenceConfig": {"maxTokens": 4096},
                 "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}}
    messages: Any = [{"role": "user", "content": [{"text": PROMPT}]}]
    if stream:
        said = _streamed_message(list(client.converse_stream(modelId=first, messages=messages, **args)["stream"]))
    else:
        said = client.converse(modelId=first, messages=messages, **args)["output"]["message"]
    content = said["content"]
    # The call's signature: a reasoningContent with empty text right before the toolUse.
    assert content[-2]["reasoningContent"]["reasoningText"]["text"] == ""
    use = content[-1]["toolUse"]
    messages += [said, {"role": "user", "content": [
        {"toolResult": {"toolUseId": use["toolUseId"], "content": [{"text": RESULT}]}}]}]
    done = client.converse(modelId=second, messages=messages, **args)
    return "".join(b.get("text", "") for b in done["output"]["message"]["content"])


async def _bedrock(url: str, first: str, second: str, stream: bool) -> str:
    return await asyncio.to_thread(_bedrock_sync, url, first, second, stream)


async def _gemini_parts(gem: Any, model: str, user: types.Content, config: types.GenerateContentConfig,
                        stream: bool) -> list[types.Part]:
    """The first turn's model parts as a google-genai client collects them, plain or streamed."""
    if stream:
        chunks = await gem.aio.models.generate_content_stream(model=model, contents=[user], config=config)
        return [p async for c in chunks for p in (c.candidates[0].content.parts or [])
                if c.candidates and c.candidates[0].content]
    out = await gem.aio.models.generate_content(model=model, contents=[user], config=config)
    assert out.candidates
    assert out.candidates[0].content
    return out.candidates[0].content.parts or []


async def _gemini(url: str, first: str, second: str, stream: bool) -> str:
    declaration = types.FunctionDeclaration(name="get_weather", description="weather", parameters=SCHEMA)
    config = types.GenerateContentConfig(
        tools=[types.Tool(function_declarations=[declaration])],
        thinking_config=types.ThinkingConfig(include_thoughts=True, thinking_budget=1024),
    )
    user = types.Content(role="user", parts=[types.Part(text=PROMPT)])
    async with genai_client(url, CLIENT_KEY) as gem:
        parts = await _gemini_parts(gem, first, user, config, stream)
        call = next(p for p in parts if p.function_call)
        assert call.thought_signature  # natively on the call's own part
        assert call.function_call
        answer = types.FunctionResponse(id=call.function_call.id, name=call.function_call.name,
                                        response={"result": RESULT})
        contents = [user, types.Content(role="model", parts=parts),
                    types.Content(role="user", parts=[types.Part(function_response=answer)])]
        done = await gem.aio.models.generate_content(model=second, contents=contents, config=config)
    return done.text or ""


CARRIERS: dict[str, Loop] = {
    "anthropic": _anthropic, "chat": _chat, "responses": _responses, "bedrock": _bedrock, "gemini": _gemini,
    "responses-no-include": partial(_responses, include=False),
}


def _model_calls(raw: bytes) -> list[JSON]:
    """The function call parts of the model turns of a Gemini request."""
    contents = orjson.loads(raw)["contents"]
    return [p for c in contents if c.get("role") == "model" for p in c["parts"] if "functionCall" in p]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("client", list(CARRIERS))
async def test_gemini_3_gets_its_own_call_signature_back(
    gateway: str, upstream: FakeUpstream, client: str, stream: bool
) -> None:
    final = await CARRIERS[client](gateway, GEMINI_3, GEMINI_3, stream)
    assert final.startswith("The tool get_weather returned: ")
    assert RESULT in final
    sent = upstream.requests[-1].raw
    [call] = _model_calls(sent)
    assert call["thoughtSignature"] == GEMINI_SIGNATURE  # the real one, on the call itself
    assert ENVELOPE not in sent
    model_parts = [p for c in orjson.loads(sent)["contents"] if c["role"] == "model" for p in c["parts"]]
    assert all(p.get("text") for p in model_parts if p.get("thought"))  # the carrier is not a thought


@pytest.mark.parametrize("client", ["anthropic", "chat", "responses", "responses-no-include", "bedrock"])
@pytest.mark.parametrize("second", ["anthropic_messages", "openai_chat", "openai_responses", "bedrock_converse"])
async def test_a_gemini_call_signature_never_reaches_another_upstream(
    gateway: str, upstream: FakeUpstream, client: str, second: str
) -> None:
    final = await CARRIERS[client](gateway, GEMINI_3, UPSTREAM_ROUTES[second], False)
    assert RESULT in final
    sent = upstream.requests[-1].raw
    assert GEMINI_SIGNATURE.encode() not in sent
    assert ENVELOPE not in sent


