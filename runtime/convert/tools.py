"""Tool-choice and request-shape helpers.

OpenAI's ``tool_choice`` is a string (``"auto"``) or an object
(``{"type": "function", "function": {"name": ...}}``); the rules map the object
form, so :func:`openai_tool_choice_expand` / :func:`openai_tool_choice_collapse`
convert between the two spellings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type, reject, warn

if TYPE_CHECKING:
    from interlingua.convert.policy import Policy

__all__ = [
    "anthropic_output_format",
    "anthropic_tool_choice_fix",
    "openai_max_tokens_spelling",
    "openai_tool_choice_collapse",
    "openai_tool_choice_expand",
    "require_single_choice",
]


def openai_tool_choice_expand(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if type(value) is str:
        return {"type": value}
    if type(value) is not dict:
        raise bad_type(path, "", 'a string ("auto", "none", "required") or an object')
    return value


def openai_tool_choice_collapse(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if type(value) is dict and value.get("type") != "function":
        return value.get("type")
    return value


def anthropic_tool_choice_fix(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): disable_parallel_tool_use needs a tool_choice type (auto by default);
    tool_choice without tools is meaningless to Anthropic and is dropped."""
    choice = out.get("tool_choice")
    if type(choice) is not dict:
        return
    if "type" not in choice:
        choice["type"] = "auto"
    if not out.get("tools") and choice.get("type") != "none":
        del out["tool_choice"]


def require_single_choice(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): formats with one answer per request reject ``n > 1``."""
    n = src.get("n")
    if type(n) is int and n > 1:
        raise reject("n", "n > 1 (several choices) is not supported by the target format")


def anthropic_output_format(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Value helper (from IR): only json_schema is a structured output on Anthropic."""
    if type(value) is dict and value.get("type") == "json_schema":
        return value
    if type(value) is dict and value.get("type") == "json_object":
        warn(warnings, "response_format json_object dropped: Anthropic supports json_schema only")
    return None


def openai_max_tokens_spelling(src: JSONObject, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post step (from IR): spell the output limit as ``policy.openai_max_tokens_field``, or as
    the client did (a legacy ``max_tokens`` kept in this format's extras)."""
    if "max_completion_tokens" not in out:
        return
    if out.get("max_tokens") == out["max_completion_tokens"] or policy.openai_max_tokens_field == "max_tokens":
        out["max_tokens"] = out.pop("max_completion_tokens")
