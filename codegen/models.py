"""Step 1 of codegen: specs/<name>/*.json -> generated/models/<name>.py (datamodel-code-generator).

Each folder under ``specs/`` is one format. Its files are JSON Schema (draft
2020-12) documents that may reference each other (``common.json#/$defs/Part``).
They are *bundled* into one in-memory schema, because datamodel-code-generator
makes one module per input and we want one module per format:

* every file's ``$defs`` go into one ``$defs`` (a name defined twice with
  different schemas is an error: class names must be unambiguous);
* every file that has a schema of its own (a *root*; ``common.json`` of pure
  ``$defs`` has none) becomes one more def, named by its ``title`` (or the
  file's stem in CamelCase), and is listed in the module's ``ROOTS`` by *kind*,
  the file's stem (``request``, ``response``, ``stream_event``, ...);
* cross-file refs are rewritten to local ``#/$defs/...`` refs.

Provider formats tolerate unknown fields (``extra='allow'``: new upstream
fields survive a passthrough); the IR (``specs/ir``) is our own schema and
rejects them. For the IR, ``generated/models/ir_types.py`` also holds the same
schema as ``TypedDict``s, for annotating the plain dicts converters pass around.

Output is byte-stable: sorted inputs, no timestamps, no paths but repo-relative ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["IR_FOLDER", "bundle_folder", "render_models"]

IR_FOLDER = "ir"
REGENERATE = "# Regenerate: nox -s generate"
_ROOT_KEYS = frozenset({"type", "properties", "oneOf", "anyOf", "allOf", "$ref", "enum", "const", "items"})
_META_KEYS = ("$schema", "$id", "$defs", "definitions")

JsonObj = dict[str, Any]


def render_models(root: Path) -> dict[str, str]:
    """``{"generated/models/<format>.py": text, ...}`` for every folder of specs/."""
    specs = root / "specs"
    folders = (
        sorted(p for p in specs.iterdir() if p.is_dir() and any(p.glob("*.json"))) if specs.is_dir() else []
    )
    out: dict[str, str] = {}
    for folder in folders:
        schema, roots = bundle_folder(folder)
        sources = ", ".join(f"specs/{folder.name}/{f.name}" for f in _spec_files(folder))
        strict = folder.name == IR_FOLDER
        out[f"generated/models/{folder.name}.py"] = _module(schema, roots, sources, strict, typed_dict=False)
        if strict:
            out[f"generated/models/{folder.name}_types.py"] = _module(
                schema, roots, sources, strict, typed_dict=True
            )
    out["generated/models/__init__.py"] = _package_init([f.name for f in folders])
    return out


def _spec_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.json"))


def bundle_folder(folder: Path) -> tuple[JsonObj, dict[str, str]]:
    """One self-contained schema for a folder, and ``{kind: root class name}``."""
    files = {f.name: json.loads(f.read_text(encoding="utf-8")) for f in _spec_files(folder)}
    root_names = {name: _root_name(name, doc) for name, doc in files.items() if _has_root(doc)}
    defs: JsonObj = {}
    for name, doc in files.items():
        local = dict(doc.get("$defs", {}), **doc.get("definitions", {}))
        if name in root_names:
            local[root_names[name]] = {k: v for k, v in doc.items() if k not in _META_KEYS}
        for def_name, schema in local.items():
            rewritten = _rewrite_refs(schema, name, root_names)
            if def_name in defs and defs[def_name] != rewritten:
                raise ValueError(f"{folder.name}: ${def_name!r} is defined differently in two files ({name})")
            defs[def_name] = rewritten
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": dict(sorted(defs.items()))}
    kinds = {Path(name).stem: cls for name, cls in sorted(root_names.items())}
    return schema, kinds


def _has_root(doc: Mapping[str, Any]) -> bool:
    return any(key in doc for key in _ROOT_KEYS)


def _root_name(file_name: str, doc: Mapping[str, Any]) -> str:
    title = doc.get("title")
    if isinstance(title, str) and title.isidentifier():
        return title
    return "".join(part.capitalize() for part in re.split(r"[^0-9A-Za-z]+", Path(file_name).stem) if part)


def _rewrite_refs(node: Any, file_name: str, root_names: Mapping[str, str]) -> Any:
    """Turn ``other.json#/$defs/X``, ``other.json`` and ``#`` refs into ``#/$defs/...`` refs."""
    if isinstance(node, list):
        return [_rewrite_refs(item, file_name, root_names) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rewrite_refs(value, file_name, root_names) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str):
        out["$ref"] = _local_ref(ref, file_name, root_names)
    return out


def _local_ref(ref: str, file_name: str, root_names: Mapping[str, str]) -> str:
    target, _, pointer = ref.partition("#")
    target_file = target.rsplit("/", 1)[-1] if target else file_name
    pointer = pointer.replace("/definitions/", "/$defs/")
    if pointer.startswith("/$defs/"):
        return "#" + pointer
    if pointer in ("", "/") and target_file in root_names:
        return f"#/$defs/{root_names[target_file]}"
    raise ValueError(f"{file_name}: unsupported $ref {ref!r} (use <file>.json#/$defs/<Name> or <file>.json)")


def _header(sources: str) -> str:
    return f"# Generated by interlingua codegen from {sources}. DO NOT EDIT.\n{REGENERATE}"


def _module(
    schema: JsonObj, roots: Mapping[str, str], sources: str, strict: bool, *, typed_dict: bool
) -> str:
    body = _codegen(json.dumps(schema, sort_keys=False), _header(sources), strict, typed_dict)
    return body.rstrip("\n") + "\n" + _roots_footer(roots, typed_dict)


def _roots_footer(roots: Mapping[str, str], typed_dict: bool) -> str:
    kind_type = "object" if typed_dict else "type[BaseModel]"
    lines = [f'    "{kind}": {cls},' for kind, cls in sorted(roots.items())]
    return (
        "\n\n# The root type of each spec file, by kind (the file's stem).\n"
        f"ROOTS: dict[str, {kind_type}] = {{\n" + "".join(line + "\n" for line in lines) + "}\n"
    )


def _codegen(schema_text: str, header: str, strict: bool, typed_dict: bool) -> str:
    """Run datamodel-code-generator in-process on one bundled schema (flags: reference README section 4)."""
    from datamodel_code_generator import GenerateConfig, generate

    # Enum fields take their CLI spellings, so the options read like the reference command line.

    config = GenerateConfig(
        input_file_type="jsonschema",
        output_model_type="typing.TypedDict" if typed_dict else "pydantic_v2.BaseModel",
        target_python_version="3.11",
        use_annotated=True,
        field_constraints=True,
        use_union_operator=True,
        enum_field_as_literal="all",
        strict_nullable=True,
        apply_default_values_for_required_fields=True,
        type_mappings=["byte=string"],
        extra_fields="forbid" if strict else "allow",
        use_schema_description=True,
        use_field_description=True,
        use_double_quotes=True,
        collapse_root_models=not typed_dict,  # TypedDict unions stay named aliases (ir_types.Part)
        skip_root_model=True,
        disable_timestamp=True,
        custom_file_header=header,
        formatters=["builtin"],
    )
    result = generate(schema_text, config=config)
    if not isinstance(result, str):
        raise TypeError(f"datamodel-code-generator returned {type(result).__name__}, expected one module")
    return result


def _package_init(names: list[str]) -> str:
    listed = ", ".join(f'"{name}"' for name in names)
    return (
        '"""Generated by interlingua codegen from specs/*/. DO NOT EDIT. Regenerate: nox -s generate\n\n'
        "One pydantic module per spec folder; import e.g. ``interlingua.generated.models.anthropic_messages``.\n"
        '"""\n\n'
        f"FORMATS: tuple[str, ...] = ({listed}{',' if len(names) == 1 else ''})\n"
    )
