"""A Gemini 3 text part's own signature goes back onto that text part from every client format.

Gemini 3 may sign a step that calls no function on its text (streamed: in a last empty text
part), and Google advises sending it back. The fake Gemini's ``*-signed-text`` models sign
such text and insist it comes back on the step's last text part and nowhere else
(server/fake_upstream/gemini_signatures.py). Each client speaks through its official SDK,
plain and streamed, and sends its history back the SDK's way: Anthropic gets an empty
thinking block, Bedrock an empty reasoningContent, Responses a summary-less reasoning item
(with or without ``include``: OpenAI populates ``encrypted_content`` by default), each
holding the sealed signature next to the text. A Chat client has no field for it: its text
goes back unsigned (dropped by policy; Gemini does not enforce text signatures). The blob
never reaches another upstream.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import anthropic
import openai
import orjson
import pytest
from google.genai import types

from interlingua.server.fake_upstream import FakeUpstream
from interlingua.server.fake_upstream.gemini_signatures import TEXT_SIGNATURE

from .payloads import CLIENT_KEY, UPSTREAM_ROUTES, genai_client
from .test_call_signatures import (
    ENVELOPE,
    GEMINI_3,
    SIGNED_TEXT,
    _bedrock_client,
    _first_answer,
    _gemini_parts,
    _streamed_message,
    gateway,
)

__all__ = ["gateway"]  # the fixture, shared with the call signatures' tests

FIRST, SECOND = "Tell me about Paris", "And about Rome?"
JSON = dict[str, Any]
# A client's two text turns: (gateway url, first model, second model, stream) -> the final text.
Turns = Callable[[str, str, str, bool], Coroutine[Any, Any, str]]


async def _anthropic(url: str, first: str, second: str, stream: bool) -> str:
    args: Any = {"max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024}}
    messages: Any = [{"role": "user", "content": FIRST}]
    async with anthropic.AsyncAnthropic(base_url=url, api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        out = await _first_answer(stream, lambda: c.messages.stream(model=first, messages=messages, **args),
                                  "get_final_message", lambda: c.messages.create(model=first, messages=messages, **args))
        blocks = [b.model_dump(exclude_none=True) for b in out.content]
        # The text's signature: an empty signed thinking block beside the text (after it, streamed).
        carriers = [b for b in blocks if b["type"] == "thinking" and b["thinking"] == ""]
        assert [b["signature"][:8] for b in carriers] == [ENVELOPE.decode()]
        messages += [{"role": "assistant", "content": blocks}, {"role": "user", "content": SECOND}]
        done = await c.messages.create(model=second, messages=messages, **args)
    return "".join(b.text for b in done.content if b.type == "text")


async def _responses(url: str, first: str, second: str, stream: bool, include: bool) -> str:
    args: Any = {"reasoning": {"effort": "low", "summary": "auto"}, "store": False}
    if include:
        args["include"] = ["reasoning.encrypted_content"]
    items: Any = [{"role": "user", "content": FIRST}]
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        out = await _first_answer(stream, lambda: c.responses.stream(model=first, input=items, **args),
                                  "get_final_response", lambda: c.responses.create(model=first, input=items, **args))
        output = [item.model_dump(exclude_none=True) for item in out.output]
        carriers = [i for i in output if i["type"] == "reasoning" and i["summary"] == []]
        assert [i["encrypted_content"][:8] for i in carriers] == [ENVELOPE.decode()]
        items += [*output, {"role": "user", "content": SECOND}]
        done = await c.responses.create(model=second, input=items, **args)
    return done.output_text


async def _chat(url: str, first: str, second: str, stream: bool) -> str:
    messages: Any = [{"role": "user", "content": FIRST}]
    async with openai.AsyncOpenAI(base_url=f"{url}/v1", api_key=CLIENT_KEY, max_retries=0, timeout=10) as c:
        args: Any = {"messages": messages, "reasoning_effort": "low"}
        out = await _first_answer(stream, lambda: c.chat.completions.stream(model=first, **args),
                                  "get_final_completion", lambda: c.chat.completions.create(model=first, **args))
        messages += [{"role": "assistant", "content": out.choices[0].message.content},
                     {"role": "user", "content": SECOND}]
        done = await c.chat.completions.create(model=second, messages=messages, reasoning_effort="low")
    return done.choices[0].message.content or ""


def _bedrock_sync(url: str, first: str, second: str, stream: bool) -> str:
    client = _bedrock_client(url)
    args: Any = {"inferenceConfig": {"maxTokens": 4096},
                 "additionalModelRequestFields": {"thinking": {"type": "enabled", "budget_tokens": 1024}}}
    messages: Any = [{"role": "user", "content": [{"text": FIRST}]}]
    if stream:
        said = _streamed_message(list(client.converse_stream(modelId=first, messages=messages, **args)["stream"]))
    else:
        said = client.converse(modelId=first, messages=messages, **args)["output"]["message"]
    carriers = [b["reasoningContent"]["reasoningText"] for b in said["content"] if "reasoningContent" in b]
    assert [c["signature"][:8] for c in carriers if c["text"] == ""] == [ENVELOPE.decode()]
    messages += [said, {"role": "user", "content": [{"text": SECOND}]}]
    done = client.converse(modelId=second, messages=messages, **args)
    return "".join(b.get("text", "") for b in done["output"]["message"]["content"])


async def _bedrock(url: str, first: str, second: str, stream: bool) -> str:
    return await asyncio.to_thread(_bedrock_sync, url, first, second, stream)


async def _gemini(url: str, first: str, second: str, stream: bool) -> str:
    config = types.GenerateContentConfig(thinking_config=types.ThinkingConfig(include_thoughts=True))
    user = types.Content(role="user", parts=[types.Part(text=FIRST)])
    async with genai_client(url, CLIENT_KEY) as gem:
        parts = await _gemini_parts(gem, first, user, config, stream)
        assert [p.thought_signature for p in parts if p.thought_signature and not p.thought]  # on the text
        contents = [user, types.Content(role="model", parts=parts),
                    types.Content(role="user", parts=[types.Part(text=SECOND)])]
        done = await gem.aio.models.generate_content(model=second, contents=contents, config=config)
    return done.text or ""


CARRIERS: dict[str, Turns] = {
    "anthropic": _anthropic, "bedrock": _bedrock, "gemini": _gemini,
    "responses": partial(_responses, include=True), "responses-no-include": partial(_responses, include=False),
}


def _model_parts(raw: bytes) -> list[JSON]:
    return [p for c in orjson.loads(raw)["contents"] if c.get("role") == "model" for p in c["parts"]]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("client", list(CARRIERS))
async def test_gemini_3_gets_its_text_signature_back_on_the_text(
    gateway: str, upstream: FakeUpstream, client: str, stream: bool
) -> None:
    final = await CARRIERS[client](gateway, SIGNED_TEXT, SIGNED_TEXT, stream)
    assert SECOND in final  # the fake checked the signature (a 400 otherwise) and answered
    sent = upstream.requests[-1].raw
    texts = [p for p in _model_parts(sent) if "text" in p and not p.get("thought")]
    assert texts[-1]["thoughtSignature"] == TEXT_SIGNATURE  # the real one, on the text itself
    assert ENVELOPE not in sent


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
async def test_a_chat_client_sends_its_text_back_unsigned(gateway: str, upstream: FakeUpstream, stream: bool) -> None:
    """Chat has no field for a text's signature: the text goes back without it (Gemini does not
    enforce it; the fake's signed-text model, stricter, would refuse, so turn 2 goes to a Gemini 3
    model that signs calls only)."""
    final = await _chat(gateway, SIGNED_TEXT, GEMINI_3, stream)
    assert SECOND in final
    sent = upstream.requests[-1].raw
    assert TEXT_SIGNATURE.encode() not in sent
    assert ENVELOPE not in sent


@pytest.mark.parametrize("client", ["anthropic", "responses", "bedrock"])
@pytest.mark.parametrize("second", ["anthropic_messages", "openai_chat", "openai_responses", "bedrock_converse"])
async def test_a_gemini_text_signature_never_reaches_another_upstream(
    gateway: str, upstream: FakeUpstream, client: str, second: str
) -> None:
    final = await CARRIERS[client](gateway, SIGNED_TEXT, UPSTREAM_ROUTES[second], False)
    assert final
    sent = upstream.requests[-1].raw
    assert TEXT_SIGNATURE.encode() not in sent
    assert ENVELOPE not in sent
