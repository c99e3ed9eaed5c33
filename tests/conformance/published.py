"""The providers' *published* response schemas, as validators (``../shared/reference/specs/``).

Our own ``specs/`` are what the converters are generated from; these documents
are what the providers publish, so a translated body that fails them is one a
typed client (generated from the same documents) may reject. Required fields
count: a field the provider always sends must be there.

The documents are OpenAPI 3.0/3.1 (OpenAI, Anthropic, Gemini) and a botocore
model (Bedrock, turned into JSON Schema by the codegen's own converter). OpenAPI
3.0's ``nullable: true`` is rewritten to a JSON Schema ``null`` alternative so
one 2020-12 validator reads them all; ``discriminator`` is ignored (``oneOf``
still decides).

Errors our fixtures cannot avoid because the published document is older than
the API (see ``../shared/reference/README.md``) are listed in :data:`ALLOWED`
with the reason, never silently skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.corpus import REPO_ROOT
from interlingua.translate import Format

__all__ = ["ALLOWED", "SPECS", "Verdict", "available", "response_errors", "stream_event_errors"]

SPECS = REPO_ROOT.parent / "shared" / "reference" / "specs"

# format -> (document, response schema, stream event schema)
_ROOTS: dict[Format, tuple[str, str, str]] = {
    Format.OPENAI_CHAT: ("openai/openapi.yaml", "CreateChatCompletionResponse", "CreateChatCompletionStreamResponse"),
    Format.OPENAI_RESPONSES: ("openai/openapi.yaml", "Response", "ResponseStreamEvent"),
    Format.ANTHROPIC_MESSAGES: ("anthropic/openapi.yaml", "Message", "MessageStreamEvent"),
    Format.GEMINI: ("gemini/openapi.json", "GenerateContentResponse", "GenerateContentResponse"),
    Format.BEDROCK_CONVERSE: ("bedrock/service-2.json", "ConverseResponse", "ConverseStreamOutput"),
}

# Stream events a published union leaves out although the provider sends them: the
# schema they follow ("" = none published). Anthropic's MessageStreamEvent lists neither
# ping nor error (reference README); an OpenAI Chat stream reports an error as a bare
# ``{"error": {...}}`` chunk.
_OUTSIDE_UNION: dict[Format, dict[str, str]] = {
    Format.ANTHROPIC_MESSAGES: {"ping": "", "error": "ErrorResponse"},
    Format.OPENAI_CHAT: {"error": "ErrorResponse"},
}

# Where the real API and its published document disagree, the real API wins; each entry
# is (format, stream event or None for a response, error path, message) and says why.
ALLOWED: dict[tuple[Format, str | None, str, str], str] = {
    (Format.OPENAI_RESPONSES, event, "response.usage", "None is not of type 'object'"): (
        "OpenAI sends usage: null until the response ends (recorded streams); the document types it object"
    )
    for event in ("response.created", "response.in_progress", "response.failed")
} | {
    (Format.ANTHROPIC_MESSAGES, event, path, "'citations' is a required property"): (
        "Anthropic leaves citations out of text blocks that have none (recorded traffic:"
        " recordings/pydantic-ai/.../test_thinking_with_native_tool_wire_contract[anthropic].yaml,"
        " recordings/llm-anthropic/.../test_stream_events_text.yaml); the document marks it"
        " required, and @ai-sdk/anthropic rejects a null"
    )
    for event, path in ((None, "content[*]"), ("content_block_start", "content_block"))
}


@dataclass(frozen=True)
class Verdict:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` -> ``anyOf [schema, null]`` (at every depth)."""
    if isinstance(node, list):
        return [_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _nullable(value) for key, value in node.items() if key != "discriminator"}
    if out.pop("nullable", False) is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _load(document: str) -> dict[str, Any]:
    path = SPECS / document
    if document.startswith("bedrock/"):
        from interlingua.codegen.botocore_shapes import shape_schemas

        return {"$defs": shape_schemas(json.loads(path.read_text()))}
    text = path.read_text()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return json.loads(text) if text.lstrip().startswith("{") else yaml.load(text, Loader=loader)


@cache
def _registry(document: str) -> Registry[Any]:
    doc = _nullable(_load(document))
    return Registry().with_resource(f"urn:{document}", Resource(doc, DRAFT202012))


@cache
def _validator(document: str, name: str) -> Draft202012Validator:
    where = "$defs" if document.startswith("bedrock/") else "components/schemas"
    ref = f"urn:{document}#/{where}/{name}"
    return Draft202012Validator({"$ref": ref}, registry=_registry(document))


def _errors(validator: Draft202012Validator, body: Any) -> Iterator[Verdict]:
    for error in validator.iter_errors(body):
        yield from _leaves(error)


def _leaves(error: ValidationError) -> Iterator[Verdict]:
    """The deepest errors: for a ``oneOf`` of event types, the variant that matched the ``type``."""
    if error.context:
        best = _best_branch(error)
        for sub in best:
            yield from _leaves(sub)
        return
    yield Verdict(error.json_path.removeprefix("$").lstrip("."), error.message)


def _best_branch(error: ValidationError) -> list[ValidationError]:
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or []:
        index = sub.relative_schema_path[0] if sub.relative_schema_path else 0
        branches.setdefault(int(index), []).append(sub)
    # A branch whose ``type`` did not match is the wrong variant; of the rest, the one
    # whose errors are deepest got furthest.
    matched = [subs for subs in branches.values() if not any(_wrong_type(s) for s in subs)]
    return max(matched or list(branches.values()), key=_progress)


def _wrong_type(error: ValidationError) -> bool:
    return error.validator in ("const", "enum") and bool(error.path) and error.path[-1] == "type"


def _progress(errors: list[ValidationError]) -> float:
    return max(len(e.absolute_path) for e in errors) - len(errors) / 1000


def response_errors(fmt: Format, body: Any) -> list[Verdict]:
    document, name, _ = _ROOTS[fmt]
    return list(_errors(_validator(document, name), body))


def stream_event_errors(fmt: Format, event: str | None, data: Any) -> list[Verdict]:
    document, _, name = _ROOTS[fmt]
    kind = event or (data.get("type") if isinstance(data, dict) else None)
    if fmt is Format.OPENAI_CHAT and isinstance(data, dict) and "error" in data and "choices" not in data:
        kind = "error"
    outside = _OUTSIDE_UNION.get(fmt, {})
    if isinstance(kind, str) and kind in outside:
        return list(_errors(_validator(document, outside[kind]), data)) if outside[kind] else []
    return list(_errors(_validator(document, name), data))


def available() -> Path | None:
    """Where the published specs are, or ``None`` (tests skip with the reason)."""
    return SPECS if SPECS.is_dir() else None
