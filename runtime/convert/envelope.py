"""Fields a provider always sends, with the value it sends when it has nothing to say.

Typed clients (other languages' SDKs, generated from the providers' published
OpenAPI documents) reject a body that lacks a required field, so a translated
response carries every field the real provider always sends. The values are
honest: ``null`` or zero where the upstream did not say, and, for the OpenAI
Responses object, the client's own request echoed back, as OpenAI does.

One table per format; the response converters (post steps) and the stream
encoders both read it, so a body and a stream of the same answer agree.

========================  ==================================================================
Anthropic ``usage``       ``cache_creation_input_tokens``/``cache_read_input_tokens`` 0, the
                          ``cache_creation`` split (all writes count as the default 5-minute
                          TTL when the upstream did not split them), ``server_tool_use`` null,
                          ``service_tier`` ``standard``
Anthropic text block      no ``citations`` unless there are some (the real API omits it)
OpenAI Chat               ``message.refusal`` null, ``logprobs`` null, both usage detail
                          objects with every counter
OpenAI Responses          the whole response object (:func:`responses_echo`), usage details,
                          ``logprobs`` on ``output_text`` parts
========================  ==================================================================
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "BLOCKS_ENVELOPES",
    "BlocksEnvelope",
    "anthropic_delta_usage",
    "anthropic_envelope",
    "anthropic_error_defaults",
    "anthropic_text_block",
    "anthropic_usage",
    "anthropic_usage_defaults",
    "chat_envelope",
    "chat_usage",
    "echo_request",
    "openai_error_defaults",
    "responses_completed",
    "responses_echo",
    "responses_usage",
]

_ANTHROPIC_USAGE: JSONObject = {
    "cache_creation_input_tokens": 0,
    "cache_read_input_tokens": 0,
    "server_tool_use": None,
    "service_tier": "standard",
}
_CHAT_PROMPT_DETAILS: JSONObject = {"cached_tokens": 0, "audio_tokens": 0}
_CHAT_COMPLETION_DETAILS: JSONObject = {
    "reasoning_tokens": 0,
    "audio_tokens": 0,
    "accepted_prediction_tokens": 0,
    "rejected_prediction_tokens": 0,
}


def anthropic_usage(usage: JSONObject) -> JSONObject:
    """A Message's (or ``message_start``'s) usage, completed in place."""
    for key, value in _ANTHROPIC_USAGE.items():
        usage.setdefault(key, value)
    written = usage["cache_creation_input_tokens"]
    split = usage.setdefault("cache_creation", {})
    if type(split) is dict and not split:
        split.update(ephemeral_5m_input_tokens=written if type(written) is int else 0, ephemeral_1h_input_tokens=0)
    return usage


def anthropic_delta_usage(usage: JSONObject, seen: Mapping[str, int]) -> JSONObject:
    """``message_delta``'s cumulative usage: every counter it documents (the cache counters 0
    when the upstream reported none, as in ``message_start``; input_tokens null if unknown)."""
    usage.setdefault("input_tokens", max(0, seen["input_tokens"] - _cached(seen)) if "input_tokens" in seen else None)
    usage.setdefault("cache_creation_input_tokens", seen.get("cache_creation_tokens", 0))
    usage.setdefault("cache_read_input_tokens", seen.get("cache_read_tokens", 0))
    usage.setdefault("server_tool_use", None)
    return usage


def _cached(seen: Mapping[str, int]) -> int:
    return seen.get("cache_read_tokens", 0) + seen.get("cache_creation_tokens", 0)


def anthropic_text_block(block: JSONObject) -> JSONObject:
    """A text block as Anthropic sends it: without ``citations`` when there are none. The
    published schema marks the field required (nullable), but the real API leaves it out
    (recorded traffic), and clients such as ``@ai-sdk/anthropic`` reject a null."""
    return block


def anthropic_envelope(out: JSONObject) -> None:
    """A Message's text blocks and usage, completed in place."""
    for block in out.get("content") or ():
        if type(block) is dict:
            anthropic_text_block(block)
    if type(out.get("usage")) is dict:
        anthropic_usage(out["usage"])


def anthropic_error_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR) of the Anthropic error body: ``request_id`` is always there; the
    gateway's own errors have none of Anthropic's (an upstream's own error keeps its id)."""
    out.setdefault("request_id", None)


def openai_error_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR) of the OpenAI error body: ``param`` and ``code`` are always there (null)."""
    error = out.get("error")
    if type(error) is dict:
        error.setdefault("param", None)
        error.setdefault("code", None)


def anthropic_usage_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR) of the Anthropic response: see :func:`anthropic_envelope`."""
    anthropic_envelope(out)


def chat_usage(usage: JSONObject) -> JSONObject:
    """OpenAI Chat usage with both detail objects and all their counters (in place)."""
    for key, defaults in (("prompt_tokens_details", _CHAT_PROMPT_DETAILS),
                          ("completion_tokens_details", _CHAT_COMPLETION_DETAILS)):
        details = usage.setdefault(key, {})
        if type(details) is dict:
            for name, value in defaults.items():
                details.setdefault(name, value)
    return usage


def chat_envelope(out: JSONObject) -> None:
    """A chat.completion's messages and usage, completed in place."""
    for choice in out.get("choices") or ():
        if type(choice) is dict:
            choice.setdefault("logprobs", None)
            if type(choice.get("message")) is dict:
                choice["message"].setdefault("refusal", None)
    if type(out.get("usage")) is dict:
        chat_usage(out["usage"])


def responses_usage(usage: JSONObject) -> JSONObject:
    details = usage.setdefault("input_tokens_details", {})
    details.setdefault("cached_tokens", 0)
    details.setdefault("cache_write_tokens", 0)
    usage.setdefault("output_tokens_details", {}).setdefault("reasoning_tokens", 0)
    return usage


# Response field -> (request field, the value OpenAI answers when the request did not say).
# temperature/top_p: OpenAI answers the model's default, which only the upstream knows: null.
_RESPONSES_ECHO: dict[str, Any] = {
    "background": False,
    "instructions": None,
    "max_output_tokens": None,
    "max_tool_calls": None,
    "metadata": {},
    "parallel_tool_calls": True,
    "previous_response_id": None,
    "prompt_cache_key": None,
    "safety_identifier": None,
    "service_tier": "default",
    "store": True,
    "temperature": None,
    "tool_choice": "auto",
    "tools": [],
    "top_logprobs": 0,
    "top_p": None,
    "truncation": "disabled",
}
# Echoed only when given: OpenAI answers null, which its published schema does not allow.
_RESPONSES_ECHO_GIVEN = ("user",)
_TEXT_DEFAULT: JSONObject = {"format": {"type": "text"}, "verbosity": "medium"}


def responses_echo(request: Mapping[str, Any] | None) -> JSONObject:
    """The request-echo fields of a Response object for the client's own Responses request
    (``None``: the values OpenAI answers to a request that set none of them)."""
    request = request or {}
    echo = {key: _given(request.get(key), default) for key, default in _RESPONSES_ECHO.items()}
    echo.update((key, request[key]) for key in _RESPONSES_ECHO_GIVEN if request.get(key) is not None)
    text = request.get("text")
    echo["text"] = {**_TEXT_DEFAULT, **text} if type(text) is dict else dict(_TEXT_DEFAULT)
    reasoning = request.get("reasoning")
    reasoning = reasoning if type(reasoning) is dict else {}
    echo["reasoning"] = {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")}
    echo["completed_at"] = None
    if type(echo["tools"]) is list:
        echo["tools"] = [_echo_tool(tool) for tool in echo["tools"]]
    return echo


def _echo_tool(tool: Any) -> Any:
    """OpenAI echoes a function tool with its defaults spelled out (``strict`` defaults to true)."""
    if type(tool) is dict and tool.get("type") == "function":
        return {"strict": True, "parameters": None, **tool}
    return tool


def _reasoned(response: JSONObject) -> None:
    """An upstream that thought without being asked to (a model that always reasons, or
    thinking set by the route) answers with reasoning items: the object says so too, with
    OpenAI's default effort and, since the items carry the model's whole reasoning text as
    their summary, ``detailed``."""
    reasoning = response.get("reasoning")
    if type(reasoning) is not dict:
        return
    if any(type(i) is dict and i.get("type") == "reasoning" for i in response.get("output") or ()):
        if reasoning.get("effort") is None:
            reasoning["effort"] = "medium"
        if reasoning.get("summary") is None and _has_summary(response["output"]):
            reasoning["summary"] = "detailed"


def _has_summary(output: list[Any]) -> bool:
    return any(type(i) is dict and i.get("type") == "reasoning" and i.get("summary") for i in output)


def echo_request(target: str, out: JSONObject, request: Mapping[str, Any]) -> None:
    """Fields the client's provider echoes from the request, taken from the client's own request
    (``target`` is the client's format; only OpenAI Responses echoes)."""
    if target == "openai_responses":
        echo = responses_echo(request)
        echo.pop("completed_at")
        out.update(echo)
        _reasoned(out)


@dataclass(frozen=True, slots=True)
class BlocksEnvelope:
    """What a typed-blocks stream encoder completes: the ``message_start`` usage, the
    ``message_delta`` usage (given the IR usage seen) and each ``content_block_start`` block."""

    start_usage: Callable[[JSONObject], JSONObject]
    delta_usage: Callable[[JSONObject, Mapping[str, int]], JSONObject]
    block: Callable[[JSONObject], JSONObject]


BLOCKS_ENVELOPES: dict[str, BlocksEnvelope] = {
    "anthropic_messages": BlocksEnvelope(anthropic_usage, anthropic_delta_usage, anthropic_text_block),
}


def _given(value: Any, default: Any) -> Any:
    if value is None:
        return dict(default) if type(default) is dict else list(default) if type(default) is list else default
    return value


def responses_completed(response: JSONObject) -> JSONObject:
    """A finished Response object: ``completed_at`` set, text parts with their ``logprobs``,
    and a ``reasoning`` object that says the model reasoned when it did."""
    if response.get("status") == "completed" and response.get("completed_at") is None:
        response["completed_at"] = int(time.time())
    _reasoned(response)
    for item in response.get("output") or ():
        for part in item.get("content") or () if type(item) is dict and item.get("type") == "message" else ():
            if type(part) is dict and part.get("type") == "output_text":
                part.setdefault("logprobs", [])
    return response
