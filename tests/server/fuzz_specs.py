"""Hypothesis strategies for client requests, built from the JSON Schemas in ``specs/``.

:func:`valid_request` draws bodies that follow a format's request schema (``$ref`` into the
format's ``common.json``, ``anyOf``/``oneOf``, ``const``/``enum``, ``minProperties``/
``maxProperties`` unions as Bedrock writes them, base64 strings); recursion is cut at a
depth budget by taking only required keys and empty arrays. :func:`mutated` then breaks one
thing: a wrong type at any path, a deleted key, deep nesting, a huge value or odd unicode.

hypothesis-jsonschema was tried first: it does not run on the Hypothesis this suite pins
(internal API changes) and refuses the recursive Responses schema, so this is a small
generator of our own over the keywords the specs use.
"""

from __future__ import annotations

import base64
import json
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

__all__ = ["ODD_TEXT", "Mutation", "dumps", "mutated", "spec_fields", "valid_request"]

SPECS = Path(__file__).resolve().parents[2] / "specs"
_MAX_DEPTH = 5
_JSON = dict[str, Any]

# Unicode that breaks naive code: lone surrogates, NUL, BOM, bidi overrides, noncharacters,
# combining marks, astral emoji, a JSON-looking string, a control character.
ODD_TEXT = st.sampled_from(
    ["\ud800", "\udfff x", "\x00", "\ufeff", "\u202e\u2066abc", "\uffff\ufffe", "e\u0301\u0301\u0301",
     "\U0001f600" * 3, '{"a": 1}', "\x1b[31m", "", " ", "\u0000\u0000", "../../etc/passwd", "%s%n{0}"]
)


@cache
def _defs(fmt: str) -> _JSON:
    common = json.loads((SPECS / fmt / "common.json").read_text())
    return dict(common.get("$defs", {}))


def _load(fmt: str, name: str) -> _JSON:
    root: _JSON = json.loads((SPECS / fmt / name).read_text())
    return root


def spec_fields(fmt: str, name: str = "request.json") -> set[str]:
    """The top-level field names of a request schema (what an error may cite)."""
    return set(_load(fmt, name).get("properties", {}))


def valid_request(fmt: str, name: str = "request.json") -> st.SearchStrategy[_JSON]:
    """Bodies following ``specs/{fmt}/{name}``."""
    root = _load(fmt, name)
    # A whole-file $ref ("request.json", Gemini's countTokens) resolves like a $defs name.
    defs = {**_defs(fmt), **root.get("$defs", {}), "request.json": _load(fmt, "request.json")}
    return _strategy(root, defs, 0).filter(lambda v: isinstance(v, dict))


def _strategy(node: _JSON, defs: _JSON, depth: int) -> st.SearchStrategy[Any]:
    if "$ref" in node:
        return st.deferred(lambda: _strategy(defs[node["$ref"].rsplit("/", 1)[-1]], defs, depth + 1))
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            base = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf", "discriminator")}
            return st.one_of([_strategy({**base, **alt}, defs, depth) for alt in node[key]])
    kind = node.get("type")
    if isinstance(kind, list):
        return st.one_of([_strategy({**node, "type": one}, defs, depth) for one in kind])
    if kind == "object" or (kind is None and "properties" in node):
        return _object(node, defs, depth)
    if kind == "array":
        items = node.get("items", {})
        most = 0 if depth >= _MAX_DEPTH else 3
        least = node.get("minItems", 0)
        return st.lists(_strategy(items, defs, depth + 1), min_size=least, max_size=max(most, least))
    return _scalar(node, kind)


def _scalar(node: _JSON, kind: str | None) -> st.SearchStrategy[Any]:
    if kind == "string":
        if node.get("contentEncoding") == "base64" or node.get("format") == "byte":
            return st.binary(max_size=12).map(lambda b: base64.b64encode(b).decode())
        if "pattern" in node:
            return st.integers(-(10**6), 10**6).map(str)
        return st.text(min_size=node.get("minLength", 0), max_size=16)
    if kind == "integer":
        return st.integers(node.get("minimum", -(2**31)), node.get("maximum", 2**31))
    if kind == "number":
        return st.floats(node.get("minimum", -1e6), node.get("maximum", 1e6), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
                        max_leaves=6)


def _object(node: _JSON, defs: _JSON, depth: int) -> st.SearchStrategy[_JSON]:
    properties: _JSON = node.get("properties", {})
    required = [k for k in node.get("required", []) if k in properties]
    optional = [k for k in properties if k not in required]
    fixed = {k: _strategy(properties[k], defs, depth + 1) for k in required}
    least, most = node.get("minProperties"), node.get("maxProperties")
    if most is not None and optional:
        # A union object (Bedrock's ContentBlock): between minProperties and maxProperties keys.
        count = st.integers(max(0, (least or 0) - len(required)), max(0, most - len(required)))
        chosen = count.flatmap(lambda n: st.lists(st.sampled_from(optional), min_size=n, max_size=n, unique=True))
        return chosen.flatmap(lambda keys: st.fixed_dictionaries(
            {**fixed, **{k: _strategy(properties[k], defs, depth + 1) for k in keys}}))
    extra = {} if depth >= _MAX_DEPTH else {k: _strategy(properties[k], defs, depth + 1) for k in optional}
    return st.fixed_dictionaries(fixed, optional=extra)


# --- mutations ---------------------------------------------------------------------------

Mutation = tuple[str, tuple[Any, ...]]  # (kind, path)

_DEPTHS = (40, 200, 254, 300, 1100)
_WRONG = [None, True, 0, -1, 1.5, "", "x", [], {}, [[]], {"a": {}}, 2**70, -1e308]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


def deep_marker(depth: int) -> str:
    """A placeholder :func:`dumps` expands to ``depth`` nested arrays and objects (the stdlib
    encoder would hit Python's recursion limit building them as values)."""
    return f"\x00deep:{depth}\x00"


def dumps(body: Any) -> bytes:
    """JSON text of a (mutated) body: the stdlib writes what orjson refuses (lone surrogates,
    ints past 64 bits), and deep markers become the nesting they stand for."""
    text = json.dumps(body)
    for depth in _DEPTHS:
        marker = json.dumps(deep_marker(depth))
        if marker in text:
            opened = "".join('{"a": [' for _ in range(depth // 2))
            text = text.replace(marker, opened + '"x"' + "]}" * (depth // 2))
    return text.encode()


def _replacement(kind: str) -> st.SearchStrategy[Any]:
    if kind == "wrong_type":
        return st.sampled_from(_WRONG)
    if kind == "deep":
        return st.sampled_from(_DEPTHS).map(deep_marker)
    if kind == "huge":
        return st.sampled_from(["h" * 300_000, list(range(20_000)), 10**400, 1e308, {str(i): i for i in range(5_000)}])
    return ODD_TEXT


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[_JSON]) -> tuple[_JSON, Mutation]:
    """A valid body with one thing broken, and what was broken where."""
    body = draw(valid)
    kind = draw(st.sampled_from(["wrong_type", "delete", "deep", "huge", "odd_text", "odd_key"]))
    paths = _paths(body)
    if not paths:
        return body, ("none", ())
    path = draw(st.sampled_from(paths))
    *parents, last = path
    holder: Any = body
    for step in parents:
        holder = holder[step]
    if kind == "delete":
        del holder[last]
    elif kind == "odd_key" and isinstance(holder, dict):
        holder[draw(ODD_TEXT)] = holder.pop(last)
    else:
        holder[last] = draw(_replacement(kind))
    return body, (kind, path)
