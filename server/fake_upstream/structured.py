"""Structured output for the fake model: the schema a request asks its answer to follow,
read from each format's own field, and the minimal instance of it the fake answers with.

Fields read: OpenAI Chat ``response_format`` (``json_schema``), OpenAI Responses
``text.format`` (``json_schema``), Anthropic ``output_config.format`` (and the beta
``output_format``), Gemini ``generationConfig.responseJsonSchema`` / ``responseSchema``
(OpenAPI types such as ``OBJECT``), Bedrock ``outputConfig.textFormat`` (the schema as a
JSON string). ``json_object`` / ``application/json`` without a schema asks for any JSON
object: ``{}``.

The instance has every required property (all of them if none is required), built by the
same rules as tool arguments (:func:`.plan.sample_value`): enums take their first value,
numbers 1, strings "Paris" for a place-like name, else the prompt's snippet. ``$ref`` to
``$defs``/``definitions`` and ``anyOf``/``oneOf`` (first branch that is not null) are
followed, so pydantic's schemas of nested models come out whole.
"""

from __future__ import annotations

from typing import Any

import orjson

from interlingua.server.fake_upstream.plan import BadRequest

__all__ = ["output_schema", "resolved"]

JSON = dict[str, Any]
_ANY_OBJECT: JSON = {"type": "object", "properties": {}}
_MAX_DEPTH = 12


def _json_schema_format(value: Any) -> JSON | None:
    """OpenAI's and Anthropic's ``{"type": "json_schema", "schema": ...}`` (Chat nests it)."""
    if not isinstance(value, dict):
        return None
    if value.get("type") == "json_object":
        return _ANY_OBJECT
    if value.get("type") != "json_schema":
        return None
    nested = value.get("json_schema")
    schema = (nested if isinstance(nested, dict) else value).get("schema")
    return schema if isinstance(schema, dict) else _ANY_OBJECT


def _gemini(body: JSON) -> JSON | None:
    gen = body.get("generationConfig") or {}
    schema = gen.get("responseJsonSchema") or gen.get("responseSchema")
    if isinstance(schema, dict):
        return schema
    return _ANY_OBJECT if gen.get("responseMimeType") == "application/json" else None


def _bedrock(body: JSON) -> JSON | None:
    text_format = (body.get("outputConfig") or {}).get("textFormat")
    if not isinstance(text_format, dict):
        return None
    raw = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
    try:
        schema = orjson.loads(raw) if isinstance(raw, str) else None
    except orjson.JSONDecodeError:
        schema = None
    if not isinstance(schema, dict):
        raise BadRequest(
            "1 validation error detected: Value at 'outputConfig.textFormat.structure.jsonSchema.schema' "
            "failed to satisfy constraint: Member must be a valid JSON schema string"
        )
    return schema


def output_schema(fmt: str, body: JSON) -> JSON | None:
    """The JSON schema ``body`` (a request of ``fmt``) asks the answer to follow, if any,
    :func:`resolved`."""
    schema: JSON | None = None
    if fmt == "openai_chat":
        schema = _json_schema_format(body.get("response_format"))
    elif fmt == "openai_responses":
        schema = _json_schema_format((body.get("text") or {}).get("format"))
    elif fmt == "anthropic_messages":
        config = body.get("output_config") or {}
        schema = _json_schema_format(config.get("format") or body.get("output_format"))
    elif fmt == "gemini":
        schema = _gemini(body)
    elif fmt == "bedrock_converse":
        schema = _bedrock(body)
    return resolved(schema) if schema is not None else None


def resolved(schema: JSON, root: JSON | None = None, depth: int = 0) -> JSON:
    """``schema`` with ``$ref``s followed, the first non-null ``anyOf``/``oneOf`` branch taken
    and types lower-cased (Gemini's OpenAPI ``OBJECT``), at every depth."""
    root = schema if root is None else root
    if depth > _MAX_DEPTH:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        return resolved(target, root, depth + 1) if isinstance(target, dict) else {}
    for key in ("anyOf", "oneOf"):
        branches = [b for b in schema.get(key) or [] if isinstance(b, dict) and b.get("type") != "null"]
        if branches:
            return resolved(branches[0], root, depth + 1)
    out = dict(schema)
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = kind.lower()
    elif isinstance(kind, list):
        out["type"] = next((str(k).lower() for k in kind if k != "null"), "string")
    if isinstance(out.get("properties"), dict):
        out["properties"] = {
            name: resolved(sub, root, depth + 1) for name, sub in out["properties"].items() if isinstance(sub, dict)
        }
    if isinstance(out.get("items"), dict):
        out["items"] = resolved(out["items"], root, depth + 1)
    return out
