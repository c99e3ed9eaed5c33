"""Thinking / reasoning across formats: budgets <-> efforts through the policy tables.

- Anthropic says ``thinking: {type: enabled, budget_tokens}`` (or ``adaptive``
  plus ``output_config.effort``); OpenAI says ``reasoning_effort``. The IR
  keeps both (``reasoning.mode``, ``budget_tokens``, ``effort``); these steps
  fill the one the target needs from the other via :class:`Policy`.
- Thinking blocks carry an opaque signature only their issuer can verify, so
  they go back only to the format that produced them (else dropped, warned).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject, render_path, warn
from interlingua.convert.policy import budget_to_effort

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "anthropic_reasoning_pre",
    "anthropic_redacted_from_ir",
    "anthropic_thinking_from_ir",
    "anthropic_thinking_limits",
    "anthropic_thinking_tool_loop",
    "clamp_temperature",
    "openai_reasoning_mode",
    "openai_reasoning_pre",
]

ANTHROPIC = "anthropic_messages"
MIN_BUDGET = 1024  # Anthropic's smallest thinking budget
# Marks (inside the converter only) thinking that we turned on from an effort: the
# Anthropic constraints that come with it are then ours to satisfy.
DERIVED = "_derived_from_effort"


def _effort_budget(policy: Policy, effort: Any) -> int:
    budget = policy.effort_to_budget.get(effort) if type(effort) is str else None
    if budget is None:  # e.g. Anthropic's "max": the largest configured budget
        budget = max(policy.effort_to_budget.values(), default=16000)
    return max(MIN_BUDGET, budget)


def anthropic_reasoning_pre(ir: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Pre step (from IR): an effort without a budget becomes ``budget_tokens`` for ``type: enabled``;
    ``effort: none`` or ``mode: disabled`` becomes ``thinking: {type: disabled}``."""
    reasoning = ir.get("reasoning")
    if type(reasoning) is not dict:
        return ir  # type: ignore[no-any-return]
    r = dict(reasoning)
    mode = r.get("mode")
    if mode == "disabled" or r.get("effort") == "none":
        r = {"mode": "disabled"}
    elif mode == "enabled" and "budget_tokens" not in r:
        r["budget_tokens"] = _effort_budget(policy, r.pop("effort", None))
        r[DERIVED] = True
    return {**ir, "reasoning": r}


def _clamp_budget(src: JSONObject, out: JSONObject, thinking: JSONObject, policy: Policy, warnings: list[str]) -> None:
    budget = thinking.get("budget_tokens")
    max_tokens = out.get("max_tokens")
    if type(budget) is not int or type(max_tokens) is not int or budget < max_tokens:
        return
    if "max_tokens" not in src:  # our default, not the client's: make room for the answer
        out["max_tokens"] = budget + policy.default_max_tokens
    elif max_tokens > MIN_BUDGET:
        thinking["budget_tokens"] = max_tokens - 1
        warn(warnings, "thinking budget_tokens lowered below max_tokens: Anthropic requires budget_tokens < max_tokens")
    else:
        del out["thinking"]
        warn(warnings, "thinking dropped: max_tokens is below Anthropic's minimum thinking budget (1024)")


def anthropic_thinking_limits(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): what Anthropic requires while thinking is on, when we turned it on
    from another format's effort (a native Anthropic request is the client's to get right)."""
    thinking = out.get("thinking")
    reasoning = src.get("reasoning")
    if type(thinking) is not dict or type(reasoning) is not dict or not reasoning.get(DERIVED):
        return
    if "temperature" in out and out["temperature"] != 1:
        del out["temperature"]
        warn(warnings, "temperature dropped: Anthropic thinking requires the default temperature")
    if "top_k" in out:
        del out["top_k"]
        warn(warnings, "top_k dropped: Anthropic thinking does not allow top_k")
    if type(out.get("top_p")) in (int, float) and out["top_p"] < 0.95:
        del out["top_p"]
        warn(warnings, "top_p dropped: Anthropic thinking requires top_p >= 0.95")
    choice = out.get("tool_choice")
    if type(choice) is dict and choice.get("type") in ("any", "tool"):
        choice["type"] = "auto"
        choice.pop("name", None)
        warn(warnings, "tool_choice relaxed to auto: Anthropic thinking does not allow forced tool use")
    _clamp_budget(src, out, thinking, policy, warnings)


def anthropic_thinking_tool_loop(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): while thinking is on, Anthropic requires the assistant turn a tool
    loop continues to start with a thinking block it signed. A turn from another format has none
    (its thinking was dropped: no Anthropic signature), so this request goes without thinking,
    the one request Anthropic accepts then (thinking cannot be toggled inside a tool loop; the
    next user turn may turn it on again)."""
    thinking = out.get("thinking")
    if type(thinking) is not dict or thinking.get("type") not in ("enabled", "adaptive"):
        return
    messages = out.get("messages") or []
    if len(messages) < 2 or messages[-2].get("role") != "assistant":
        return
    blocks = messages[-2].get("content")
    if type(blocks) is not list or not any(type(b) is dict and b.get("type") == "tool_use" for b in blocks):
        return
    if blocks[0].get("type") not in ("thinking", "redacted_thinking"):
        del out["thinking"]
        warn(warnings, "thinking turned off for this request: the tool loop it continues began without "
                       "an Anthropic-signed thinking block, which Anthropic requires while thinking is on")


def _in_request(path: FieldPath) -> bool:
    return render_path(path).startswith(("messages", "system"))


def anthropic_thinking_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    """Variant helper (from IR): in a request, thinking goes to Anthropic only if Anthropic
    issued it (the upstream verifies the signature); in a response, the client gets the
    text with an empty signature (it can only come back through us)."""
    native = part.get("signature_format") == ANTHROPIC and (bool(part.get("signature")) or not _in_request(path))
    if not native and _in_request(path):
        warn(warnings, "thinking dropped: it has no Anthropic signature, so Anthropic would reject it")
        return None
    block: JSONObject = {"type": "thinking", "thinking": part.get("text", "")}
    block["signature"] = part.get("signature", "") if native else ""
    return block


def anthropic_redacted_from_ir(part: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject | None:
    if part.get("signature_format") != ANTHROPIC:
        warn(warnings, "redacted_thinking dropped: it was issued by another format")
        return None
    return {"type": "redacted_thinking", "data": part.get("data", "")}


def openai_reasoning_pre(ir: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> JSONObject:
    """Pre step (from IR): a thinking budget without an effort becomes ``reasoning_effort``
    through ``policy.thinking_budget_to_effort``; disabled thinking sends no effort."""
    reasoning = ir.get("reasoning")
    if type(reasoning) is not dict:
        return ir  # type: ignore[no-any-return]
    r = dict(reasoning)
    if "display" in r:
        del r["display"]
        warn(warnings, "thinking.display dropped: the target format has no counterpart")
    if r.get("mode") == "disabled" and r.get("effort") != "none":
        r.pop("effort", None)
    elif "effort" not in r and type(r.get("budget_tokens")) is int:
        r["effort"] = budget_to_effort(policy, r["budget_tokens"])
    return {**ir, "reasoning": r}


def openai_reasoning_mode(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (to IR): ``reasoning_effort: none`` means thinking off; any other effort means on."""
    reasoning = out.get("reasoning")
    if type(reasoning) is dict:
        reasoning["mode"] = "disabled" if reasoning.get("effort") == "none" else "enabled"


def clamp_temperature(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR, Anthropic): temperature must be within 0..1 (OpenAI allows 0..2)."""
    if type(value) in (int, float) and value > 1:
        warn(warnings, f"temperature {value} clamped to 1: Anthropic accepts 0..1")
        return 1
    if type(value) in (int, float) and value < 0:
        warn(warnings, f"temperature {value} clamped to 0: Anthropic accepts 0..1")
        return 0
    return value
