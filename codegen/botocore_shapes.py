"""One-off: botocore's bedrock-runtime model -> specs/bedrock_converse/*.json (JSON Schema).

botocore shapes are not JSON Schema; this is the short converter the reference
notes describe: structure -> object (``required`` kept), list -> array, map ->
``additionalProperties``, ``union: true`` -> object with exactly one property,
blob -> base64 string, timestamp -> string, document -> any JSON. Members with a
``location`` (``modelId`` in the URI) are not in the body and are dropped.
``ToolUseBlock.type`` also accepts ``tool_use`` (real responses say so; the
model's enum lists ``server_tool_use`` only), and ``ConverseResponse.metrics``
is optional (recorded responses omit it).

Run again when botocore's model changes, then ``interlingua codegen``:

    .venv/bin/python -m interlingua.codegen.botocore_shapes
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["convert", "main", "shape_schemas"]

ROOTS = {
    "request": "ConverseRequest",
    "response": "ConverseResponse",
    "stream_event": "ConverseStreamOutput",
    "error": "ValidationException",
}
_SCALARS: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "blob": {"type": "string", "contentEncoding": "base64"},
    "timestamp": {"type": "string"},
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer"},
    "long": {"type": "integer"},
    "float": {"type": "number"},
    "double": {"type": "number"},
    "document": {},
}


def _schema(shape: dict[str, Any]) -> dict[str, Any]:
    kind = shape["type"]
    out: dict[str, Any]
    if kind in _SCALARS:
        out = dict(_SCALARS[kind])
        if "enum" in shape:
            out["enum"] = list(shape["enum"])
        return out
    if kind == "list":
        return {"type": "array", "items": _ref(shape["member"]["shape"])}
    if kind == "map":
        return {"type": "object", "additionalProperties": _ref(shape["value"]["shape"])}
    members = {k: v for k, v in shape["members"].items() if "location" not in v}
    props = {name: _ref(m["shape"]) for name, m in members.items()}
    out = {"type": "object", "properties": props}
    if shape.get("union"):
        out["minProperties"] = 1
        out["maxProperties"] = 1
    required = [r for r in shape.get("required", []) if r in members]
    if required:
        out["required"] = required
    return out


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/$defs/{name}"}


def _closure(shapes: dict[str, Any], roots: list[str]) -> list[str]:
    seen: list[str] = []
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        shape = shapes[name]
        refs = [m["shape"] for m in shape.get("members", {}).values() if "location" not in m]
        refs += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
        todo.extend(refs)
    return sorted(seen)


def shape_schemas(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every shape of the model as it is published (no relaxation), keyed by name; refs are ``#/$defs/<name>``."""
    return {name: _schema(shape) for name, shape in model["shapes"].items()}


def convert(model: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``{file name: schema}`` for specs/bedrock_converse/."""
    shapes = model["shapes"]
    defs = {name: _schema(shapes[name]) for name in _closure(shapes, list(ROOTS.values()))}
    defs["ToolUseType"]["enum"] = sorted({*defs["ToolUseType"].get("enum", []), "tool_use"})
    # Recorded responses (vercel-ai's Bedrock fixtures) come without metrics.
    defs["ConverseResponse"]["required"] = [r for r in defs["ConverseResponse"]["required"] if r != "metrics"]
    # Errors carry the type in the x-amzn-ErrorType header; a body may say it as __type.
    defs["ValidationException"]["properties"]["__type"] = {"type": "string"}
    files: dict[str, dict[str, Any]] = {"common.json": {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}}
    for kind, root in ROOTS.items():
        files[f"{kind}.json"] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"Bedrock{root}",
            "description": f"botocore bedrock-runtime {model['metadata']['apiVersion']} shape {root}.",
            "$ref": f"common.json#/$defs/{root}",
        }
    return files


def main() -> None:
    from botocore.loaders import Loader

    model = Loader().load_service_model("bedrock-runtime", "service-2")
    folder = Path(__file__).resolve().parents[1] / "specs" / "bedrock_converse"
    folder.mkdir(exist_ok=True)
    for name, schema in convert(model).items():
        (folder / name).write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
