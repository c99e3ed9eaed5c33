"""Usage between a format's wire spelling and the IR (tables in :class:`~.spec.UsageRule`).

IR ``input_tokens`` is the whole prompt, cache reads and writes included
(OpenAI's ``prompt_tokens``); Anthropic's ``input_tokens`` excludes them, so
reading adds them and writing subtracts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from interlingua.streams.events import Usage
from interlingua.streams.spec import UsageRule

__all__ = ["usage_from_ir", "usage_to_ir"]

_CACHE_FIELDS = ("cache_read_tokens", "cache_creation_tokens")


def usage_to_ir(rule: UsageRule, wire: Mapping[str, Any]) -> Usage:
    """The IR usage for a wire usage object (absent or null fields stay absent)."""
    usage: Usage = {}
    for path, field in rule.to_ir:
        value: Any = wire
        for key in path:
            # type() first: most values are JSON dicts or ints, and the Mapping ABC check of
            # an int is the slow path of isinstance.
            value = value.get(key) if type(value) is dict or isinstance(value, Mapping) else None
        # type() first as well (a JSON int is exactly int): the two isinstance calls are the
        # rare path, and every passthrough answer and stream reads its usage here.
        if type(value) is int or (isinstance(value, int) and not isinstance(value, bool)):
            usage[field] = value
    if rule.input_excludes_cache and "input_tokens" in usage:
        usage["input_tokens"] += sum(usage.get(field, 0) for field in _CACHE_FIELDS)
    return usage


def usage_from_ir(
    rule: UsageRule, usage: Mapping[str, int], required: tuple[str, ...] = ("input_tokens", "output_tokens")
) -> dict[str, Any]:
    """The wire usage object for IR usage; ``required`` IR fields are written as 0 when unknown."""
    values = {**dict.fromkeys(required, 0), **usage}
    if rule.input_excludes_cache and "input_tokens" in values:
        cached = sum(values.get(field, 0) for field in _CACHE_FIELDS)
        values["input_tokens"] = max(0, values["input_tokens"] - cached)
    wire: dict[str, Any] = {}
    for path, field in rule.to_ir:
        if field not in values:
            continue
        target = wire
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = values[field]
    if rule.total_field is not None:
        wire[rule.total_field] = values.get("input_tokens", 0) + values.get("output_tokens", 0)
    return wire
