"""Reading a provider's published spec and ours as comparable shapes (for ``interlingua specs diff``).

Published specs come as OpenAPI 3 (``components.schemas``, YAML or JSON: OpenAI, Anthropic,
Gemini) or as botocore's service model (``shapes``: Bedrock), which
:func:`interlingua.codegen.botocore_shapes.convert` turns into JSON Schema first. Ours are
the folders of ``specs/``, bundled as codegen bundles them.

A schema node is reduced to a :class:`Shape`: its JSON types, enum values, properties (the
union over ``allOf`` parts and object branches of ``anyOf``/``oneOf``), array items, map
values, and, when every branch of a union names itself by a ``type`` constant, its variants
by that name (content blocks, stream events), so unions are compared branch by branch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlingua.codegen.botocore_shapes import convert as botocore_to_schema
from interlingua.codegen.models import bundle_folder

__all__ = ["ROOTS", "Shape", "Side", "load_ours", "load_published", "published_formats"]

# Per format: our spec kind -> the published schema it corresponds to.
ROOTS: dict[str, dict[str, str]] = {
    "openai_chat": {
        "request": "CreateChatCompletionRequest",
        "response": "CreateChatCompletionResponse",
        "stream_event": "CreateChatCompletionStreamResponse",
    },
    "openai_responses": {"request": "CreateResponse", "response": "Response", "stream_event": "ResponseStreamEvent"},
    "anthropic_messages": {"request": "CreateMessageParams", "response": "Message", "stream_event": "MessageStreamEvent"},
    "gemini": {
        "request": "GenerateContentRequest",
        "response": "GenerateContentResponse",
        "stream_event": "GenerateContentResponse",
    },
    "bedrock_converse": {"request": "ConverseRequest", "response": "ConverseResponse", "stream_event": "ConverseStreamOutput"},
}
_MAX_REFS = 32

JSON = dict[str, Any]


@dataclass
class Shape:
    types: set[str] = field(default_factory=set)
    enum: set[str] | None = None
    props: dict[str, Any] | None = None
    items: Any = None
    values: Any = None
    variants: dict[str, Any] | None = None
    ref: str | None = None


@dataclass(frozen=True)
class Side:
    """One document's schemas and how its refs are spelled."""

    defs: JSON
    prefix: str

    def deref(self, node: Any) -> tuple[Any, str | None]:
        """``node`` with ``$ref`` chains followed, and the name of the last def reached."""
        name = None
        for _ in range(_MAX_REFS):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith(self.prefix):
                return node, name
            name = ref[len(self.prefix) :]
            node = self.defs.get(name, {})
        return node, name

    def shape(self, node: Any) -> Shape:
        node, name = self.deref(node)
        out = Shape(ref=name)
        if not isinstance(node, dict):
            return out
        self._fill(out, node, 0)
        branches = [self.deref(b)[0] for b in node.get("anyOf", []) + node.get("oneOf", [])]
        named = {self._tag(b): b for b in branches if isinstance(b, dict)}
        if len(named) >= 2 and None not in named and len(named) == len(branches):
            out.variants = {str(k): v for k, v in named.items()}
        return out

    def _fill(self, out: Shape, node: JSON, depth: int) -> None:
        if depth > 8:
            return
        kind = node.get("type")
        out.types.update([kind] if isinstance(kind, str) else kind if isinstance(kind, list) else [])
        values = [*node.get("enum", []), *([node["const"]] if "const" in node else [])]
        strings = {v for v in values if isinstance(v, str)}
        if strings:
            out.enum = (out.enum or set()) | strings
        if isinstance(node.get("properties"), dict):
            out.props = {**node["properties"], **(out.props or {})}
        if "items" in node and out.items is None:
            out.items = node["items"]
        if isinstance(node.get("additionalProperties"), dict) and out.values is None:
            out.values = node["additionalProperties"]
        for part in node.get("allOf", []) + node.get("anyOf", []) + node.get("oneOf", []):
            self._fill(out, self.deref(part)[0], depth + 1)

    def _tag(self, branch: JSON) -> str | None:
        """The ``type`` constant a union branch names itself by, if it has exactly one."""
        shape = Shape()
        self._fill(shape, branch, 0)
        tag = (shape.props or {}).get("type")
        values = self.shape(tag).enum if tag is not None else None
        return next(iter(values)) if values and len(values) == 1 else None


def load_published(path: Path) -> Side:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if "shapes" in data:  # botocore's service model
        return Side(botocore_to_schema(data)["common.json"]["$defs"], "#/$defs/")
    return Side(data.get("components", {}).get("schemas", {}), "#/components/schemas/")


def published_formats(side: Side) -> list[str]:
    """The formats whose published roots this document holds."""
    return [fmt for fmt, roots in ROOTS.items() if all(name in side.defs for name in roots.values())]


def load_ours(root: Path, fmt: str) -> tuple[Side, dict[str, str]]:
    """Our spec of ``fmt`` and ``{kind: def name}``."""
    schema, kinds = bundle_folder(root / "specs" / fmt)
    return Side(schema["$defs"], "#/$defs/"), kinds
