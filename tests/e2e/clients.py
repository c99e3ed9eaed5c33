"""One driver per client format, each speaking through its official SDK, so the
matrix tests (``test_matrix.py``) are the same code for every client x upstream
pair: plain text, streamed text, a tool call (plain or streamed) and its result,
and the SDK's own rate-limit error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import anthropic
import openai
import orjson
from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from .payloads import SCHEMA

PROMPT = "What is the weather in Paris?"
TOOL_NAME = "get_weather"
TOOL_DESCRIPTION = "Current weather for a place"


@dataclass(slots=True)
class Call:
    id: str
    name: str
    arguments: str  # JSON text as the client received it
    deltas: int = 0  # argument pieces of a streamed call (Gemini upstreams send calls whole)


class Driver(Protocol):
    rate_limit_error: tuple[type[BaseException], ...]

    async def text(self, model: str, prompt: str) -> tuple[str, int]: ...
    async def stream_text(self, model: str, prompt: str) -> str: ...
    async def tool_call(self, model: str, stream: bool) -> Call: ...
    async def tool_result(self, model: str, call: Call, result: str) -> str: ...
    async def thinking(self, model: str, prompt: str, stream: bool = False) -> tuple[str, str]: ...
    async def switch_upstream(self, first: str, second: str, result: str) -> str: ...


class OpenAIChatDriver:
    rate_limit_error = (openai.RateLimitError,)

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self.c = client
        self.tools: Any = [
            {
                "type": "function",
                "function": {"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": SCHEMA},
            }
        ]

    async def text(self, model: str, prompt: str) -> tuple[str, int]:
        out = await self.c.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}]
        )
        assert out.usage is not None
        return out.choices[0].message.content or "", out.usage.completion_tokens

    async def stream_text(self, model: str, prompt: str) -> str:
        stream = await self.c.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], stream=True
        )
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    async def tool_call(self, model: str, stream: bool) -> Call:
        messages: Any = [{"role": "user", "content": PROMPT}]
        if not stream:
            out = await self.c.chat.completions.create(model=model, messages=messages, tools=self.tools)
            assert out.choices[0].finish_reason == "tool_calls"
            call = (out.choices[0].message.tool_calls or [])[0]
            assert call.type == "function"
            return Call(call.id, call.function.name, call.function.arguments)
        chunks = await self.c.chat.completions.create(
            model=model, messages=messages, tools=self.tools, stream=True
        )
        ids, names, args = [], [], []
        async for chunk in chunks:
            for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
                ids += [delta.id] if delta.id else []
                names += [delta.function.name] if delta.function and delta.function.name else []
                args.append((delta.function.arguments or "") if delta.function else "")
        return Call(ids[0], names[0], "".join(args), len([a for a in args if a]))

    async def thinking(self, model: str, prompt: str, stream: bool = False) -> tuple[str, str]:
        """(reasoning, text); reasoning in the ``reasoning_content`` field (DeepSeek/vLLM dialect)."""
        messages: Any = [{"role": "user", "content": prompt}]
        if stream:
            chunks = await self.c.chat.completions.create(
                model=model, messages=messages, reasoning_effort="low", stream=True
            )
            deltas = [c.choices[0].delta async for c in chunks if c.choices]
            reasoning = "".join(str((d.model_extra or {}).get("reasoning_content") or "") for d in deltas)
            return reasoning, "".join(d.content or "" for d in deltas)
        out = await self.c.chat.completions.create(model=model, messages=messages, reasoning_effort="low")
        message = out.choices[0].message
        return str((message.model_extra or {}).get("reasoning_content") or ""), message.content or ""

    async def switch_upstream(self, first: str, second: str, result: str) -> str:
        """A thinking tool call from ``first``; its result and the answer from ``second``."""
        out = await self.c.chat.completions.create(
            model=first,
            messages=[{"role": "user", "content": PROMPT}],
            tools=self.tools,
            reasoning_effort="low",
        )
        message = out.choices[0].message.model_dump(exclude_none=True)
        message.pop("reasoning_content", None)  # DeepSeek-style: never sent back
        call_id = message["tool_calls"][0]["id"]
        messages: Any = [
            {"role": "user", "content": PROMPT},
            message,
            {"role": "tool", "tool_call_id": call_id, "content": result},
        ]
        done = await self.c.chat.completions.create(
            model=second, messages=messages, tools=self.tools, reasoning_effort="low"
        )
        return done.choices[0].message.content or ""

    async def tool_result(self, model: str, call: Call, result: str) -> str:
        messages: Any = [
            {"role": "user", "content": PROMPT},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call.id, "content": result},
        ]
        out = await self.c.chat.completions.create(model=model, messages=messages, tools=self.tools)
        return out.choices[0].message.content or ""


class AnthropicDriver:
    rate_limit_error = (anthropic.RateLimitError,)

    def __init__(self, client: anthropic.AsyncAnthropic) -> None:
        self.c = client
        self.tools: Any = [{"name": TOOL_NAME, "description": TOOL_DESCRIPTION, "input_schema": SCHEMA}]

    async def text(self, model: str, prompt: str) -> tuple[str, int]:
        out = await self.c.messages.create(
            model=model, max_tokens=512, messages=[{"role": "user", "content": prompt}]
        )
        return "".join(b.text for b in out.content if b.type == "text"), out.usage.output_tokens

    async def stream_text(self, model: str, prompt: str) -> str:
        async with self.c.messages.stream(
            model=model, max_tokens=512, messages=[{"role": "user", "content": prompt}]
        ) as stream:
            return "".join([t async for t in stream.text_stream])

    async def tool_call(self, model: str, stream: bool) -> Call:
        args: dict[str, Any] = {
            "model": model,
            "max_tokens": 512,
            "messages": [{"role": "user", "content": PROMPT}],
            "tools": self.tools,
        }
        pieces: list[str] = []
        if not stream:
            out = await self.c.messages.create(**args)
        else:
            async with self.c.messages.stream(**args) as events:
                async for event in events:
                    if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
                        pieces.append(event.delta.partial_json)
                out = await events.get_final_message()
            assert orjson.loads("".join(pieces))
        assert out.stop_reason == "tool_use"
        use = next(b for b in out.content if b.type == "tool_use")
        return Call(use.id, use.name, orjson.dumps(use.input).decode(), len([p for p in pieces if p]))

    async def thinking(self, model: str, prompt: str, stream: bool = False) -> tuple[str, str]:
        args: Any = {
            "model": model,
            "max_tokens": 2048,
            "thinking": {"type": "enabled", "budget_tokens": 1024},
            "messages": [{"role": "user", "content": prompt}],
        }
        if stream:
            async with self.c.messages.stream(**args) as events:
                out = await events.get_final_message()
        else:
            out = await self.c.messages.create(**args)
        thinking = "".join(b.thinking for b in out.content if b.type == "thinking")
        return thinking, "".join(b.text for b in out.content if b.type == "text")

    async def switch_upstream(self, first: str, second: str, result: str) -> str:
        thinking: Any = {"type": "enabled", "budget_tokens": 1024}
        messages: Any = [{"role": "user", "content": PROMPT}]
        out = await self.c.messages.create(
            model=first, max_tokens=2048, thinking=thinking, tools=self.tools, messages=messages
        )
        use = next(b for b in out.content if b.type == "tool_use")
        messages += [
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in out.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": result}]},
        ]
        done = await self.c.messages.create(
            model=second, max_tokens=2048, thinking=thinking, tools=self.tools, messages=messages
        )
        return "".join(b.text for b in done.content if b.type == "text")

    async def tool_result(self, model: str, call: Call, result: str) -> str:
        messages: Any = [
            {"role": "user", "content": PROMPT},
            {
                "role": "assistant",
                "content": [
                    {
                        "type": "tool_use",
                        "id": call.id,
                        "name": call.name,
                        "input": orjson.loads(call.arguments),
                    }
                ],
            },
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": result}]},
        ]
        out = await self.c.messages.create(model=model, max_tokens=512, messages=messages, tools=self.tools)
        return "".join(b.text for b in out.content if b.type == "text")


class GeminiDriver:
    rate_limit_error = (genai_errors.ClientError,)

    def __init__(self, client: genai.Client) -> None:
        self.c = client.aio
        declaration = types.FunctionDeclaration(
            name=TOOL_NAME, description=TOOL_DESCRIPTION, parameters=SCHEMA
        )
        self.config = types.GenerateContentConfig(tools=[types.Tool(function_declarations=[declaration])])

    async def text(self, model: str, prompt: str) -> tuple[str, int]:
        out = await self.c.models.generate_content(model=model, contents=prompt)
        assert out.usage_metadata is not None
        return out.text or "", out.usage_metadata.candidates_token_count or 0

    async def stream_text(self, model: str, prompt: str) -> str:
        stream = await self.c.models.generate_content_stream(model=model, contents=prompt)
        return "".join([c.text or "" async for c in stream])

    async def tool_call(self, model: str, stream: bool) -> Call:
        if stream:
            chunks = await self.c.models.generate_content_stream(
                model=model, contents=PROMPT, config=self.config
            )
            calls = [fc async for c in chunks for fc in (c.function_calls or [])]
            # Gemini streams each call whole: one piece per call.
        else:
            out = await self.c.models.generate_content(model=model, contents=PROMPT, config=self.config)
            calls = out.function_calls or []
        call = calls[0]
        return Call(call.id or "", call.name or "", orjson.dumps(call.args).decode())

    async def thinking(self, model: str, prompt: str, stream: bool = False) -> tuple[str, str]:
        thinking = types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        config = types.GenerateContentConfig(thinking_config=thinking)
        if stream:
            chunks = await self.c.models.generate_content_stream(model=model, contents=prompt, config=config)
            outs = [c async for c in chunks]
        else:
            outs = [await self.c.models.generate_content(model=model, contents=prompt, config=config)]
        parts = [
            p
            for out in outs
            for p in (
                (out.candidates[0].content.parts if out.candidates and out.candidates[0].content else None)
                or []
            )
        ]
        thoughts = "".join(p.text or "" for p in parts if p.thought)
        return thoughts, "".join(p.text or "" for p in parts if not p.thought)

    async def switch_upstream(self, first: str, second: str, result: str) -> str:
        thinking = types.ThinkingConfig(include_thoughts=True, thinking_budget=1024)
        config = self.config.model_copy(update={"thinking_config": thinking})
        user = types.Content(role="user", parts=[types.Part(text=PROMPT)])
        out = await self.c.models.generate_content(model=first, contents=[user], config=config)
        assert out.candidates
        assert out.candidates[0].content
        said = out.candidates[0].content  # thought parts (with signatures) and the call, sent back whole
        call = next(p.function_call for p in said.parts or [] if p.function_call)
        answer = types.FunctionResponse(id=call.id, name=call.name, response={"result": result})
        contents = [user, said, types.Content(role="user", parts=[types.Part(function_response=answer)])]
        done = await self.c.models.generate_content(model=second, contents=contents, config=config)
        return done.text or ""

    async def tool_result(self, model: str, call: Call, result: str) -> str:
        fc = types.FunctionCall(id=call.id or None, name=call.name, args=orjson.loads(call.arguments))
        fr = types.FunctionResponse(id=call.id or None, name=call.name, response={"result": result})
        contents = [
            types.Content(role="user", parts=[types.Part(text=PROMPT)]),
            types.Content(role="model", parts=[types.Part(function_call=fc)]),
            types.Content(role="user", parts=[types.Part(function_response=fr)]),
        ]
        out = await self.c.models.generate_content(model=model, contents=contents, config=self.config)
        return out.text or ""


class ResponsesDriver:
    rate_limit_error = (openai.RateLimitError,)

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self.c = client
        self.tools: Any = [
            {"type": "function", "name": TOOL_NAME, "description": TOOL_DESCRIPTION, "parameters": SCHEMA}
        ]

    async def text(self, model: str, prompt: str) -> tuple[str, int]:
        out = await self.c.responses.create(model=model, input=prompt)
        assert out.usage is not None
        return out.output_text, out.usage.output_tokens

    async def stream_text(self, model: str, prompt: str) -> str:
        async with self.c.responses.stream(model=model, input=prompt) as stream:
            deltas = []
            async for e in stream:
                if e.type == "error":  # the SDK hands stream errors over as events
                    raise openai.OpenAIError(f"stream error event: {e.message}")
                if e.type == "response.failed":
                    raise openai.OpenAIError(f"response.failed: {e.response.error}")
                deltas += [e.delta] if e.type == "response.output_text.delta" else []
            final = await stream.get_final_response()
        assert final.output_text == "".join(deltas)
        return final.output_text

    async def tool_call(self, model: str, stream: bool) -> Call:
        deltas: list[str] = []
        if not stream:
            out = await self.c.responses.create(model=model, input=PROMPT, tools=self.tools)
        else:
            async with self.c.responses.stream(model=model, input=PROMPT, tools=self.tools) as events:
                deltas = [e.delta async for e in events if e.type == "response.function_call_arguments.delta"]
                out = await events.get_final_response()
            assert "".join(deltas) == next(i for i in out.output if i.type == "function_call").arguments
        call = next(item for item in out.output if item.type == "function_call")
        return Call(call.call_id, call.name, call.arguments, len([d for d in deltas if d]))

    async def thinking(self, model: str, prompt: str, stream: bool = False) -> tuple[str, str]:
        reasoning: Any = {"effort": "low", "summary": "auto"}
        if stream:
            async with self.c.responses.stream(model=model, input=prompt, reasoning=reasoning) as events:
                out = await events.get_final_response()
        else:
            out = await self.c.responses.create(model=model, input=prompt, reasoning=reasoning)
        summaries = [s.text for item in out.output if item.type == "reasoning" for s in item.summary]
        return "".join(summaries), out.output_text

    async def switch_upstream(self, first: str, second: str, result: str) -> str:
        extra: Any = {
            "tools": self.tools,
            "reasoning": {"effort": "low", "summary": "auto"},
            "include": ["reasoning.encrypted_content"],
            "store": False,
        }
        items: Any = [{"role": "user", "content": PROMPT}]
        out = await self.c.responses.create(model=first, input=items, **extra)
        call = next(item for item in out.output if item.type == "function_call")
        items += [item.model_dump(exclude_none=True) for item in out.output]  # reasoning items too
        items.append({"type": "function_call_output", "call_id": call.call_id, "output": result})
        done = await self.c.responses.create(model=second, input=items, **extra)
        return done.output_text

    async def tool_result(self, model: str, call: Call, result: str) -> str:
        items: Any = [
            {"role": "user", "content": PROMPT},
            {"type": "function_call", "call_id": call.id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.id, "output": result},
        ]
        out = await self.c.responses.create(model=model, input=items, tools=self.tools)
        return out.output_text
