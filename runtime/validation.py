"""Validate a body against a format's generated models, with errors that name the field.

``validate("anthropic_messages", "request", body)`` raises
:class:`~interlingua.errors.InvalidRequest` whose ``param`` is the path of the
first offending field (``messages[2].content[0].type``) and whose message says
what is wrong there::

    messages[2].content[0]: unknown type 'imagee'; expected one of text, image, document, ...

Formats are the folders of ``specs/`` (``openai_chat``, ``anthropic_messages``,
``ir``); kinds are the file stems of each folder (``request``, ``response``,
``stream_event``, ``error``, ``count_tokens_request``, ``count_tokens_response``),
listed in each generated module's ``ROOTS``.

This is for edges and tests, not the hot path: converters work on plain dicts.
Provider models allow unknown fields, so validation checks what is known and
lets new upstream fields through. Validation is strict (no ``"5"`` for an
integer), as the providers' own APIs are. A Gemini request is validated in the
camelCase the specs use: Gemini (proto3 JSON) takes snake_case spellings as well,
so they are renamed first (:mod:`interlingua.convert.gemini_names`).

Why the path needs work: pydantic's ``loc`` interleaves field names with union
member tags (``('messages', 2, 'content', 'list[...]', 0, 'text', 'text')``).
Walking the loc along the body tells them apart: a tag is never a key of the
object at that point, or it is that object's discriminator value.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from .convert.gemini_names import camel_body
from .errors import InvalidRequest

__all__ = ["KINDS", "model_for", "validate"]

KINDS = frozenset(
    {"request", "response", "stream_event", "error", "count_tokens_request", "count_tokens_response"}
)
# Keys whose string value pydantic inserts into ``loc`` as a discriminated union's tag.
_DISCRIMINATORS = ("type", "role", "kind", "mode")
_MAX_INPUT_REPR = 60
# Type mismatches, named for a JSON author; a union's branches each report one.
_TYPE_NAMES = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "a boolean",
    "bool_parsing": "a boolean",
    "none_required": "null",
}
_NO_INPUT = frozenset({"missing", "union_tag_invalid", "union_tag_not_found", "extra_forbidden"})


@lru_cache(maxsize=64)
def model_for(fmt: str, kind: str) -> type[BaseModel]:
    """The generated root model of ``fmt``'s ``kind`` (e.g. ``openai_chat``, ``request``)."""
    try:
        module = importlib.import_module(f"interlingua.generated.models.{fmt}")
    except ModuleNotFoundError:
        raise ValueError(f"unknown format {fmt!r}: no generated/models/{fmt}.py") from None
    roots: dict[str, type[BaseModel]] = module.ROOTS
    if kind not in roots:
        raise ValueError(f"format {fmt!r} has no {kind!r} model; it has {', '.join(sorted(roots))}")
    return roots[kind]


@lru_cache(maxsize=64)
def _adapter(fmt: str, kind: str) -> TypeAdapter[Any]:
    return TypeAdapter(model_for(fmt, kind))


def validate(fmt: str, kind: str, body: Any) -> None:
    """Raise :class:`InvalidRequest` naming the first offending field when ``body`` does not fit."""
    if fmt == "gemini" and kind in ("request", "count_tokens_request"):
        body = camel_body(body, kind)
    try:
        _adapter(fmt, kind).validate_python(body, strict=True)
    except ValidationError as exc:
        path, message = describe(exc.errors(include_url=False), body)
        raise InvalidRequest(message, param=path or None) from None


def describe(errors: list[ErrorDetails], body: Any) -> tuple[str, str]:
    """``(path, message)`` for the most specific error; same-path errors (union branches) are merged."""
    located = [(_path(err["loc"], body), err) for err in errors]
    best = max(located, key=lambda item: len(item[0]))[0]
    at_best = [err for path, err in located if path == best]
    rendered = _format_path(best)
    return rendered, f"{rendered or 'body'}: {_merge(at_best)}"


def _merge(errors: list[ErrorDetails]) -> str:
    """One sentence for the errors at one path: several come from the branches of a union."""
    expected = list(dict.fromkeys(_TYPE_NAMES[e["type"]] for e in errors if e["type"] in _TYPE_NAMES))
    reasons = list(dict.fromkeys(_reason(e) for e in errors if e["type"] not in _TYPE_NAMES))
    if expected:
        reasons.append("expected " + " or ".join(expected))
    shown = [e for e in errors if e["type"] not in _NO_INPUT]
    got = f"; got {_short(shown[0].get('input'))}" if shown else ""
    return "; or ".join(reasons) + got


def _path(loc: tuple[int | str, ...], body: Any) -> list[int | str]:
    """The parts of ``loc`` that are real keys or indices of ``body`` (union tags dropped)."""
    node, out = body, list[int | str]()
    for position, part in enumerate(loc):
        following = loc[position + 1] if position + 1 < len(loc) else None
        if isinstance(part, int) and isinstance(node, list):
            out.append(part)
            node = node[part] if -len(node) <= part < len(node) else None
        elif isinstance(part, str) and isinstance(node, dict):
            if following is not None and _is_tag(node, part, following):
                continue
            if part in node or following is None:
                out.append(part)
                node = node.get(part)
    return out


def _is_tag(node: dict[str, Any], part: str, following: int | str) -> bool:
    """Whether ``part`` is a discriminated union's tag rather than the key ``part`` of ``node``.

    A tag is the value of the node's discriminator; when that value is also a key
    (``{"type": "error", "error": {...}}``), the next loc part decides.
    """
    if not any(node.get(key) == part for key in _DISCRIMINATORS):
        return False
    if part not in node:
        return True
    return _follows(node, following) and not _follows(node[part], following)


def _follows(node: Any, part: int | str) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node)


def _format_path(path: list[int | str]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def _reason(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {_unquote(ctx.get('discriminator'))} {ctx.get('tag')!r}; expected one of {expected}"
    if kind == "union_tag_not_found":
        return f"missing discriminator field {_unquote(ctx.get('discriminator'))!r}"
    if kind == "missing":
        return "required field missing"
    if kind == "extra_forbidden":
        return "unknown field (not allowed here)"
    message = err["msg"]
    return message[:1].lower() + message[1:]


def _unquote(value: Any) -> str:
    return str(value).strip("'\"")


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return text if len(text) <= _MAX_INPUT_REPR else text[: _MAX_INPUT_REPR - 3] + "..."
