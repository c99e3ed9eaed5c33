"""Usage and response-envelope steps.

The IR's ``usage.input_tokens`` is the *total* prompt size including cache
reads and writes (OpenAI's ``prompt_tokens``). Anthropic's ``input_tokens``
excludes both, so Anthropic -> IR adds them and IR -> Anthropic subtracts them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from interlingua.convert.base import FieldPath, JSONObject
from interlingua.convert.envelope import chat_envelope

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = ["anthropic_response_defaults", "anthropic_stream_usage", "anthropic_tool_use_stop", "anthropic_usage_split", "anthropic_usage_total", "openai_response_defaults", "openai_usage_total"]

_CACHE = ("cache_read_tokens", "cache_creation_tokens")


def anthropic_usage_total(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    cached = sum(out.get(k, 0) for k in _CACHE)
    if cached:
        out["input_tokens"] = out.get("input_tokens", 0) + cached


def anthropic_usage_split(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    cached = sum(v for k in _CACHE if type(v := src.get(k, 0)) is int)
    if cached:
        out["input_tokens"] = max(0, out.get("input_tokens", 0) - cached)


def openai_usage_total(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    out["total_tokens"] = out.get("prompt_tokens", 0) + out.get("completion_tokens", 0)


def openai_response_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Fields the OpenAI SDK requires that another format may not have given."""
    out.setdefault("id", "chatcmpl-interlingua")
    out.setdefault("created", int(time.time()))
    out.setdefault("model", "")
    choice = out.setdefault("choices", [{}])[0]
    choice.setdefault("index", 0)
    choice.setdefault("message", {"role": "assistant", "content": None})
    choice.setdefault("finish_reason", "stop")
    chat_envelope(out)


def anthropic_stream_usage(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): an Anthropic stream always reports usage, so an OpenAI upstream is
    asked to include it too (``stream_options.include_usage``)."""
    if out.get("stream") is True:
        out["stream_include_usage"] = True


def anthropic_response_defaults(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): the Messages API always sends ``stop_sequence`` (``null`` when no
    stop sequence ended the turn); clients that index the key must not break on a translation."""
    out.setdefault("stop_sequence", None)
    # Sources without an id or model in the body (Bedrock: request id header, model in the URL).
    out.setdefault("id", "msg_interlingua")
    out.setdefault("model", "")


def anthropic_tool_use_stop(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): OpenAI answers a forced (named) tool_choice with ``finish_reason: stop``
    although the message holds tool calls; Anthropic clients run tools only on ``tool_use``."""
    if out.get("stop_reason") == "end_turn" and any(b.get("type") == "tool_use" for b in out.get("content", ())):
        out["stop_reason"] = "tool_use"
