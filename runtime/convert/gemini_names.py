"""Gemini's proto3 JSON field names on ingress: every spelling in, camelCase out.

Gemini parses bodies as proto3 JSON, which takes each field as lowerCamelCase (``inlineData``)
or as declared in the proto (``inline_data``), at any depth and mixed in one body; google-genai
sends such bodies (``{"inlineData": {"mime_type": "image/png", ...}}``). The rules and the
schema validation read camelCase, so a Gemini client's body is renamed once, here.

The walk follows the message types of ``specs/gemini`` through the table codegen derives from
them (``generated/converters/gemini_fields.py``): it renames field names only, and never looks
inside values that are user data (a function's ``args``, a ``response``, JSON Schema in
``parametersJsonSchema``, the property names of a Gemini ``Schema``). A key the spec does not
know is a proto field name all the same, so it is renamed (``foo_bar`` -> ``fooBar``) and its
value is kept as sent. The body is copied only where something changes: the common all-camelCase
body comes back as the very same object.
"""

from __future__ import annotations

import importlib
import re
from functools import cache
from typing import Any

__all__ = ["camel_body"]

_FieldTable = dict[str, dict[str, tuple[str, str | None]]]
_SNAKE = re.compile(r"_([a-z0-9])")


@cache
def _tables() -> tuple[_FieldTable, dict[str, str]]:
    module = importlib.import_module("interlingua.generated.converters.gemini_fields")
    return module.FIELDS, module.ROOTS


def camel_body(body: Any, kind: str = "request") -> Any:
    """``body`` (a ``request`` or ``count_tokens_request``) with every field name in camelCase."""
    fields, roots = _tables()
    return _value(body, roots[kind], fields)


def _value(value: Any, kind: str, fields: _FieldTable) -> Any:
    if type(value) is list:
        return _list(value, kind, fields)
    if type(value) is not dict:
        return value
    if kind[0] == "*":  # a map: its keys are the user's, its values are messages
        return _map(value, kind[1:], fields)
    return _message(value, fields[kind], fields)


def _list(items: list[Any], kind: str, fields: _FieldTable) -> list[Any]:
    out: list[Any] | None = None
    for i, item in enumerate(items):
        new = _value(item, kind, fields)
        if out is None and new is not item:
            out = items[:i]
        if out is not None:
            out.append(new)
    return items if out is None else out


def _map(value: dict[str, Any], kind: str, fields: _FieldTable) -> dict[str, Any]:
    out: dict[str, Any] | None = None
    for key, item in value.items():
        new = _value(item, kind, fields)
        if out is None and new is not item:
            out = dict(value)
        if out is not None:
            out[key] = new
    return value if out is None else out


def _message(value: dict[str, Any], known: dict[str, tuple[str, str | None]], fields: _FieldTable) -> dict[str, Any]:
    out: dict[str, Any] | None = None
    for i, (key, item) in enumerate(value.items()):
        spec = known.get(key)
        name, child = spec if spec is not None else (_camel(key), None)
        new = _value(item, child, fields) if child is not None else item
        if out is None and (name != key or new is not item):
            out = dict(list(value.items())[:i])
        if out is not None:
            out[name] = new
    return value if out is None else out


def _camel(key: str) -> str:
    return _SNAKE.sub(lambda m: m.group(1).upper(), key) if "_" in key else key
