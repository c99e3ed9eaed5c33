"""Building blocks of every converter: field-path errors, warnings, extras, opaque parts.

Paths name fields the way clients write them: ``messages[2].content[0].type``.
They are built only when an error is raised, never on the happy path: converters
pass a :data:`FieldPath`, a cheap nested tuple ``((("", "messages"), 2), "content")``
that :func:`render_path` spells out.
"""

from __future__ import annotations

from typing import Any

from interlingua.errors import ConversionError, InvalidRequest

__all__ = [
    "FieldPath",
    "JSONObject",
    "bad_type",
    "bad_value",
    "error_kind_fallback",
    "join",
    "leftover",
    "merge_extras",
    "missing",
    "not_object",
    "opaque_from_ir",
    "register_kept_spellings",
    "reject",
    "render_path",
    "unmapped_part",
    "warn",
]

JSONObject = dict[str, Any]
FieldPath = str | tuple["FieldPath", str | int]


def render_path(path: FieldPath) -> str:
    """``((("", "messages"), 2), "content")`` -> ``messages[2].content``."""
    keys: list[str] = []
    while type(path) is tuple:
        path, key = path
        keys.append(f"[{key}]" if type(key) is int else f".{key}")
    text = str(path) + "".join(reversed(keys))
    return text[1:] if text.startswith(".") else text


def join(path: FieldPath, key: str) -> str:
    where = render_path(path)
    if not key:
        return where
    return f"{where}.{key}" if where else key


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def missing(path: FieldPath, key: str) -> InvalidRequest:
    where = join(path, key)
    return InvalidRequest(f"{where}: required field is missing", param=where)


def bad_type(path: FieldPath, key: str, expected: str) -> InvalidRequest:
    where = join(path, key)
    return InvalidRequest(f"{where}: must be {expected}", param=where)


def not_object(path: FieldPath) -> InvalidRequest:
    where = render_path(path)
    return InvalidRequest(f"{where or 'body'}: must be an object", param=where or None)


def bad_value(path: FieldPath, key: str, value: Any) -> InvalidRequest:
    where = join(path, key)
    if value is None:
        return InvalidRequest(f"{where}: required field is missing", param=where)
    return InvalidRequest(f"{where}: unsupported value {_show(value)}", param=where)


def reject(path: FieldPath, message: str) -> ConversionError:
    """A policy said reject: a 400 naming the field."""
    where = render_path(path)
    return ConversionError(f"{where}: {message}" if where else message, param=where or None)


def warn(warnings: list[str], message: str) -> None:
    """Record a warning once (a header line; repeats add nothing).

    Warnings may quote client-chosen field names and end up in an HTTP header,
    so they are kept to printable ASCII (no CR/LF: no header injection)."""
    if not message.isascii() or not message.isprintable():
        message = "".join(c if " " <= c <= "~" else "?" for c in message)
    if message not in warnings:
        warnings.append(message)


def error_kind_fallback(status: int) -> str:
    return "api_error" if status >= 500 or status < 400 else "invalid_request"


def leftover(src: JSONObject, known: JSONObject) -> JSONObject | None:
    """The parts of ``src`` no field consumed: ``known`` is a tree of consumed keys
    (``None`` = the whole value; key ``"0"`` = the first item of a list)."""
    out: JSONObject | None = None
    for key, value in src.items():
        if value is None:
            continue
        if key not in known:
            rest: Any = value
        else:
            sub = known[key]
            if sub is None:
                continue
            if type(value) is dict:
                rest = leftover(value, sub)
            elif type(value) is list and value and type(value[0]) is dict and "0" in sub:
                first = leftover(value[0], sub["0"])
                rest = [first] if first else None
            else:
                rest = None
            if not rest:
                continue
        if out is None:
            out = {}
        out[key] = rest
    return out


def _merge(out: JSONObject, extra: JSONObject) -> None:
    for key, value in extra.items():
        have = out.get(key)
        if key not in out:
            out[key] = value
        elif type(have) is dict and type(value) is dict:
            _merge(have, value)
        elif type(have) is list and type(value) is list and len(have) == len(value):
            for mine, theirs in zip(have, value, strict=True):
                if type(mine) is dict and type(theirs) is dict:
                    _merge(mine, theirs)


# Extras that name server-side state (OpenAI Responses' stored conversations): dropping one
# would silently answer a different conversation, so another format rejects it (400).
STATEFUL_EXTRAS = frozenset({"previous_response_id", "conversation"})


# Per format, the wire keys its converter keeps in extras only to restore a client's spelling
# (OpenAI Chat's legacy max_tokens): mapped already, so never "dropped" elsewhere. Filled by each
# generated converter module from its rules (keep_spelling), so the list is never kept by hand.
_KEPT_SPELLINGS: dict[str, frozenset[str]] = {}


def register_kept_spellings(fmt: str, keys: frozenset[str]) -> None:
    _KEPT_SPELLINGS[fmt] = keys


def merge_extras(extras: Any, out: JSONObject, fmt: str, path: FieldPath, warnings: list[str] | None) -> None:
    """Put back this format's verbatim extras (deeply, never overriding mapped fields);
    other formats' fields are dropped, with a warning when ``warnings`` is given."""
    if type(extras) is not dict:
        return
    for owner, fields in extras.items():
        if type(fields) is not dict:
            continue
        if owner == fmt:
            _merge(out, fields)
        elif warnings is not None:
            for key in fields:
                if key in out or key in _KEPT_SPELLINGS.get(owner, ()):
                    continue  # the target spelled it its own way already, or the value is mapped
                if key in STATEFUL_EXTRAS:
                    raise reject(key, f"{key} refers to state kept by the {owner} upstream; {fmt} upstreams are stateless")
                warn(warnings, f"{key} dropped: {owner} field with no {fmt} counterpart")


def opaque_from_ir(part: JSONObject, fmt: str, path: FieldPath, warnings: list[str]) -> JSONObject | None:
    """An IR opaque part goes back verbatim to its own format and nowhere else."""
    data = part.get("data")
    if part.get("format") == fmt and type(data) is dict:
        return data
    kind = data.get("type") if type(data) is dict else None
    if part.get("required"):  # a built-in tool only its provider runs: dropping it would change the answer
        raise reject(path, f"{kind} tool is run by {part.get('format')} upstreams only; {fmt} cannot run it")
    warn(warnings, f"{kind or 'opaque'} content dropped: {part.get('format')} block with no {fmt} counterpart")
    return None


def unmapped_part(part: JSONObject, fmt: str, path: FieldPath, warnings: list[str], error: bool) -> JSONObject | None:
    """An IR part type this format cannot say: dropped with a warning (or rejected)."""
    kind = part.get("type")
    if error:
        raise reject(path, f"{kind} content cannot be expressed in {fmt}")
    warn(warnings, f"{kind} content dropped: no {fmt} counterpart")
    return None
