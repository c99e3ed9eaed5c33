"""Gemini helpers for tool schemas, tool choice, thinking and structured output.

Tool schemas (documented policy, codegen/README.md): toward Gemini a function's
JSON Schema goes out as ``parametersJsonSchema`` restricted to the keywords
Gemini accepts. ``$ref`` is inlined from ``$defs``/``definitions`` (a cycle is a
400), ``oneOf`` becomes ``anyOf``, ``const`` becomes a one-value ``enum``, and
every other keyword (``propertyNames``, ``$comment``, ``patternProperties``,
``$schema``, ``allOf``, ``not``, ...) is removed with one warning naming it.
``additionalProperties`` is kept: ``parametersJsonSchema`` accepts it.
From Gemini, the OpenAPI-style ``parameters`` (``type: "OBJECT"``) is read as
JSON Schema with lower-case types.
"""

from __future__ import annotations

from typing import Any

from interlingua.convert.base import FieldPath, JSONObject, bad_type, reject, warn
from interlingua.convert.policy import Policy, effort_to_budget

__all__ = [
    "gemini_declaration_out",
    "gemini_format_in",
    "gemini_mime_from_ir",
    "gemini_mime_to_ir",
    "gemini_schema_from_ir",
    "gemini_schema_to_ir",
    "gemini_thinking_from_ir",
    "gemini_thinking_to_ir",
    "gemini_tool_choice_from_ir",
    "gemini_tool_choice_to_ir",
    "gemini_tool_config_in",
]

# What parametersJsonSchema accepts (https://ai.google.dev/api/caching#FunctionDeclaration,
# and the recorded traffic: pydantic-ai's additionalProperties: false is answered 200).
_SCHEMA_KEYS = frozenset(
    {
        "type", "format", "title", "description", "nullable", "enum", "items", "prefixItems", "minItems",
        "maxItems", "minimum", "maximum", "minLength", "maxLength", "pattern", "anyOf", "properties",
        "additionalProperties", "required", "propertyOrdering", "default", "example", "minProperties",
        "maxProperties",
    }
)
_NESTED_MAP = ("properties",)
_NESTED_ONE = ("items", "additionalProperties")
_NESTED_LIST = ("anyOf", "prefixItems")


def _lower_types(node: Any) -> Any:
    if type(node) is list:
        return [_lower_types(item) for item in node]
    if type(node) is not dict:
        return node
    out = {k: _lower_types(v) for k, v in node.items()}
    if type(out.get("type")) is str:
        out["type"] = out["type"].lower()
    return out


def gemini_schema_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """Gemini's OpenAPI ``Schema`` (``"type": "STRING"``) -> JSON Schema."""
    if type(value) is not dict:
        raise bad_type(path, "", "an object")
    result: JSONObject = _lower_types(value)
    return result


class _Cleaner:
    def __init__(self, root: JSONObject, path: FieldPath) -> None:
        self.defs: JSONObject = {**(root.get("definitions") or {}), **(root.get("$defs") or {})}
        self.path = path
        self.dropped: set[str] = set()

    def clean(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        if type(node) is not dict:
            return node
        ref = node.get("$ref")
        if type(ref) is str:
            name = ref.rsplit("/", 1)[-1]
            if name in seen or name not in self.defs:
                raise reject(self.path, f"tool schema $ref {ref!r} cannot be inlined for Gemini")
            merged = {**self.defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
            return self.clean(merged, (*seen, name))
        out: JSONObject = {}
        for key, value in node.items():
            if key == "oneOf":
                key = "anyOf"
            elif key == "const":
                key, value = "enum", [value]
            if key in ("$defs", "definitions"):
                continue
            if key not in _SCHEMA_KEYS:
                self.dropped.add(key)
            elif key in _NESTED_MAP and type(value) is dict:
                out[key] = {k: self.clean(v, seen) for k, v in value.items()}
            elif key in _NESTED_ONE:
                out[key] = self.clean(value, seen)
            elif key in _NESTED_LIST and type(value) is list:
                out[key] = [self.clean(v, seen) for v in value]
            else:
                out[key] = value
        return out


def gemini_schema_from_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """JSON Schema -> the subset Gemini accepts (see the module doc)."""
    if type(value) is not dict:
        return value
    cleaner = _Cleaner(value, path)
    out = cleaner.clean(value)
    if cleaner.dropped:
        names = ", ".join(sorted(cleaner.dropped))
        warn(warnings, f"tool schema keywords dropped: Gemini does not accept {names}")
    return out


def gemini_declaration_out(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (from IR): a Gemini client's OpenAPI-style ``parameters`` (kept in extras) goes back
    as it was, instead of ``parametersJsonSchema`` (Gemini takes one of the two)."""
    decl = out.get("functionDeclaration")
    if type(decl) is dict and "parameters" in decl:
        decl.pop("parametersJsonSchema", None)


_MODES_IN = {"AUTO": "auto", "ANY": "required", "NONE": "none", "VALIDATED": "auto", "MODE_UNSPECIFIED": "auto"}
_MODES_OUT = {"auto": "AUTO", "required": "ANY", "none": "NONE", "tool": "ANY"}


def gemini_tool_choice_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """functionCallingConfig -> IR tool_choice (ANY with one allowed name = that tool)."""
    if type(value) is not dict:
        raise bad_type(path, "", "an object")
    mode = value.get("mode", "AUTO")
    if mode not in _MODES_IN:
        raise reject(path, f"functionCallingConfig.mode {mode!r} is not one of {', '.join(_MODES_IN)}")
    names = value.get("allowedFunctionNames") or []
    if mode == "ANY" and type(names) is list and len(names) == 1:
        return {"mode": "tool", "name": str(names[0])}
    return {"mode": _MODES_IN[mode]}  # several allowed names stay in extras (Gemini only)


def gemini_tool_config_in(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (to IR): toolConfig -> IR tool_choice. Several allowed names have no IR form: the
    config is kept verbatim for Gemini (extras), and other formats hear about it."""
    config = src.get("toolConfig")
    if config is None:
        return
    if type(config) is not dict:
        raise bad_type(path, "toolConfig", "an object")
    calling = config.get("functionCallingConfig")
    if calling is not None:
        out["tool_choice"] = gemini_tool_choice_to_ir(calling, (path, "toolConfig.functionCallingConfig"), policy, warnings)
    names = calling.get("allowedFunctionNames") if type(calling) is dict else None
    rest = {k: v for k, v in config.items() if k != "functionCallingConfig"}
    if type(names) is list and len(names) > 1:
        rest["functionCallingConfig"] = {"allowedFunctionNames": names}
    if rest:
        out.setdefault("extras", {}).setdefault("gemini", {})["toolConfig"] = rest


def gemini_tool_choice_from_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if type(value) is not dict:
        return None
    out: JSONObject = {"mode": _MODES_OUT.get(str(value.get("mode")), "AUTO")}
    if value.get("mode") == "tool" and value.get("name"):
        out["allowedFunctionNames"] = [value["name"]]
    return out


def gemini_thinking_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    """thinkingConfig -> IR reasoning: budget 0 is off, -1 dynamic (adaptive), N a budget."""
    if type(value) is not dict:
        raise bad_type(path, "", "an object")
    out: JSONObject = {}
    budget = value.get("thinkingBudget")
    if type(budget) is int:
        if budget == 0:
            out["mode"] = "disabled"
        elif budget < 0:
            out["mode"] = "adaptive"
        else:
            out["mode"], out["budget_tokens"] = "enabled", budget
    level = value.get("thinkingLevel")
    if type(level) is str:
        out["effort"] = level.lower()
        out.setdefault("mode", "enabled")
    if value.get("includeThoughts") is True:
        out.setdefault("mode", "adaptive")  # no budget: Gemini decides (dynamic thinking)
    elif out.get("mode") not in (None, "disabled"):
        out["display"] = "omitted"  # Gemini's default: thoughts are not returned
    return out or None


def gemini_thinking_from_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if type(value) is not dict:
        return None
    mode, budget, effort = value.get("mode"), value.get("budget_tokens"), value.get("effort")
    if mode == "disabled" or effort == "none":
        return {"thinkingBudget": 0}
    out: JSONObject = {}
    if type(budget) is int:
        out["thinkingBudget"] = budget
    elif effort in ("low", "high") and mode is None:
        out["thinkingLevel"] = effort
    elif type(effort) is str and effort_to_budget(policy, effort) is not None:
        out["thinkingBudget"] = effort_to_budget(policy, effort)
    if value.get("display") != "omitted":
        out["includeThoughts"] = True
    return out


def gemini_mime_to_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    if value == "application/json":
        return "json_object"
    if value == "text/plain":
        return "text"
    warn(warnings, f"responseMimeType {value!r} dropped: the IR has text and JSON output only")
    return None


def gemini_mime_from_ir(value: Any, path: FieldPath, policy: Policy, warnings: list[str]) -> Any:
    return "application/json" if value in ("json_object", "json_schema") else None


def gemini_format_in(src: Any, out: JSONObject, path: FieldPath, policy: Policy, warnings: list[str]) -> None:
    """Post (to IR): a schema makes the output format json_schema (named, as OpenAI requires);
    a schema alone, without a JSON mime type, is ignored by Gemini and dropped here too."""
    fmt = out.get("response_format")
    if fmt is None:
        return
    if "schema" in fmt and fmt.get("type") == "json_object":
        fmt["type"] = "json_schema"
        fmt.setdefault("name", "response")
    elif "type" not in fmt:
        del out["response_format"]
