"""The schema of ``codegen/rules/<format>.yaml`` (the converter rule language).

Every model forbids unknown keys, so a typo in a rule file is an error at
codegen time, never a silently ignored rule. :func:`load_rules` validates a
file and re-raises problems as :class:`RuleError` naming the file and the rule
(``anthropic_messages.yaml: types.block.variants[3] (thinking): ...``).

The language itself is documented in ``codegen/README.md``.
"""

from __future__ import annotations

import builtins
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, Tag, ValidationError, model_validator
from pydantic import Discriminator as PydanticDiscriminator

__all__ = [
    "Direction",
    "EnumRule",
    "ErrorsRule",
    "FieldRule",
    "ObjectRule",
    "RuleError",
    "RuleFile",
    "UnionRule",
    "Variant",
    "load_rules",
]

Direction = Literal["both", "to_ir", "from_ir"]
ValueType = Literal["str", "int", "number", "bool", "object", "array", "any"]
Scalar = str | int | float | bool

_PATH = r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|0))*$"
_NAME = r"^[a-z][a-z0-9_]*$"


class RuleError(Exception):
    """A rule file is invalid; the message names the file and the rule."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PerDirection(_Strict):
    """A value that differs per direction (helper names, defaults)."""

    to_ir: Any = None
    from_ir: Any = None


class EnumRule(_Strict):
    """A value table. ``from_ir`` defaults to the inverse of ``to_ir`` (first key wins)."""

    doc: str | None = None
    to_ir: dict[Scalar, Scalar]
    from_ir: dict[Scalar, Scalar] | None = None
    # Unknown wire value: InvalidRequest when strict, else ``to_ir_default`` or kept verbatim.
    strict: bool = False
    to_ir_default: Scalar | None = None
    # Unknown IR value: ``from_ir_default``, else the field is omitted with a warning.
    from_ir_default: Scalar | None = None
    # Constant names in the generated module (default: <NAME>_TO_IR, <NAME>_FROM_IR).
    names: tuple[str, str] | None = None


class FieldRule(_Strict):
    """One field: wire path <-> IR path, with an optional enum, nested type, helper or constant."""

    wire: Annotated[str, Field(pattern=_PATH)] | None = None
    ir: Annotated[str, Field(pattern=_PATH)] | None = None
    direction: Direction = "both"
    doc: str | None = None
    type: ValueType = "any"
    required: bool = False
    list: bool = False
    enum: str | None = None
    object: str | None = None
    invert: bool = False
    # Value helpers work on the wire side: to_ir runs them before enum/object
    # mapping, from_ir after it. A helper returning None omits the field.
    helper: PerDirection | None = None
    # Wire keys inside this field's value that the mapping consumes; the rest
    # stay in the object's extras (default: the whole value is consumed).
    consumes: builtins.list[str] | None = None
    # Also keep the wire key verbatim in extras (a spelling to restore on a same-format round trip).
    keep_spelling: bool = False
    # Used when the source value is absent; {"policy": "<attribute>"} reads the Policy.
    default: PerDirection | None = None
    # A constant written on the target side (``wire`` for from_ir, ``ir`` for to_ir).
    const: Scalar | None = None

    @model_validator(mode="after")
    def _consistent(self) -> FieldRule:
        if self.const is not None:
            if (self.wire is None) == (self.ir is None):
                raise ValueError("a const field names exactly one side: `wire` (from_ir) or `ir` (to_ir)")
            return self
        if self.wire is None or self.ir is None:
            raise ValueError("a field needs both `wire` and `ir` paths (or a `const`)")
        if self.enum and self.object:
            raise ValueError("a field maps through an `enum` or an `object`, not both")
        if self.invert and (self.enum or self.object or self.type not in ("bool", "any")):
            raise ValueError("`invert` applies to plain booleans only")
        return self

    @property
    def label(self) -> str:
        return self.wire or self.ir or "?"


FieldSpec = FieldRule | Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Steps(_Strict):
    """Named step helpers run per direction: ``pre`` on the source object, ``post`` on both."""

    to_ir: list[str] = Field(default_factory=list)
    from_ir: list[str] = Field(default_factory=list)


class _Mapping(_Strict):
    doc: str | None = None
    fields: list[FieldSpec] = Field(default_factory=list)
    # Unknown wire keys go to IR extras[<format>] and come back verbatim.
    extras: bool = False
    # Other formats' extras met on the way out: warned about (requests) or dropped silently (responses).
    foreign_extras: Literal["warn", "silent"] = "warn"
    # Wire keys this mapping knows but does not map (never collected as extras).
    ignore: list[str] = Field(default_factory=list)
    pre: Steps = Field(default_factory=Steps)
    post: Steps = Field(default_factory=Steps)


class ObjectRule(_Mapping):
    kind: Literal["object"] = "object"


class Variant(_Mapping):
    wire: str
    ir: str
    direction: Direction = "both"
    # Whole-variant helpers (replace the field mapping in that direction).
    helper: PerDirection | None = None


class Discriminator(_Strict):
    # "field": the wire value of key ``wire`` names the variant (Anthropic ``type``);
    # "key": the variant is the one member key present (Bedrock/Smithy unions:
    # ``{"text": "..."}``, ``{"image": {...}}``); ``wire`` is then unused.
    by: Literal["field", "key"] = "field"
    wire: str = "type"
    ir: str = "type"
    # The wire value assumed when the discriminator is absent (never written back).
    wire_default: str | None = None


class UnionRule(_Strict):
    kind: Literal["union"]
    doc: str | None = None
    discriminator: Discriminator = Field(default_factory=Discriminator)
    variants: list[Variant]
    # Wire types carried verbatim as IR `opaque` parts (sent back only to this format).
    opaque: list[str] = Field(default_factory=list)
    # Any other wire type is carried as an opaque part too (instead of an InvalidRequest).
    opaque_other: bool = False
    # IR types this format has no variant for: dropped with a warning, or an error.
    unmapped_from_ir: Literal["drop", "error"] = "drop"

    @model_validator(mode="after")
    def _unique(self) -> UnionRule:
        for side in ("wire", "ir"):
            for direction in ("to_ir", "from_ir"):
                seen = [
                    getattr(v, side) for v in self.variants if v.direction in ("both", direction)
                ]
                dupes = sorted({s for s in seen if seen.count(s) > 1})
                if side == ("wire" if direction == "to_ir" else "ir") and dupes:
                    raise ValueError(f"variants repeat {side} value(s) {dupes} in direction {direction}")
        return self


def _type_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "object"))
    return str(getattr(value, "kind", "object"))


TypeRule = Annotated[
    Annotated[ObjectRule, Tag("object")] | Annotated[UnionRule, Tag("union")],
    PydanticDiscriminator(_type_kind),
]


class ErrorsRule(_Strict):
    """How error bodies map: an object rule for the body plus status tables."""

    body: str
    type_enum: str
    status_enum: str
    # "type": the body's error type decides the kind; "status": the HTTP status does.
    kind_from: Literal["type", "status"] = "type"
    # Kinds whose status is always this format's own (e.g. Anthropic's 529 for overloaded).
    pin_status: list[str] = Field(default_factory=list)


class Entry(_Strict):
    request: str
    response: str


class RuleFile(_Strict):
    format: Annotated[str, Field(pattern=_NAME)]
    title: str
    docs: list[str] = Field(default_factory=list)
    enums: dict[Annotated[str, Field(pattern=_NAME)], EnumRule] = Field(default_factory=dict)
    types: dict[Annotated[str, Field(pattern=_NAME)], TypeRule]
    entry: Entry
    errors: ErrorsRule

    @model_validator(mode="after")
    def _references(self) -> RuleFile:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _reference_problems(rules: RuleFile) -> list[str]:
    out: list[str] = []
    for type_name, rule in rules.types.items():
        mappings: list[tuple[str, _Mapping]] = (
            [(f"types.{type_name}", rule)]
            if isinstance(rule, ObjectRule)
            else [(f"types.{type_name}.variants[{i}] ({v.wire})", v) for i, v in enumerate(rule.variants)]
        )
        for where, mapping in mappings:
            for j, spec in enumerate(mapping.fields):
                if isinstance(spec, str):
                    continue
                label = f"{where}.fields[{j}] ({spec.label})"
                if spec.enum and spec.enum not in rules.enums:
                    out.append(f"{label}: unknown enum {spec.enum!r}")
                if spec.object and spec.object not in rules.types:
                    out.append(f"{label}: unknown type {spec.object!r}")
    for name in (rules.entry.request, rules.entry.response, rules.errors.body):
        if name not in rules.types:
            out.append(f"entry: unknown type {name!r}")
    for name in (rules.errors.type_enum, rules.errors.status_enum):
        if name not in rules.enums:
            out.append(f"errors: unknown enum {name!r}")
    return out


def _where(loc: tuple[int | str, ...], raw: Any) -> str:
    """A readable location: ``types.block.variants[3] (thinking).fields[0]``."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{key}]"]
        else:
            if key in {"ObjectRule", "UnionRule", "object", "union", "FieldRule", "str"}:
                continue
            parts.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
            continue
        if isinstance(node, dict) and isinstance(key, int):
            name = node.get("wire") or node.get("ir")
            if isinstance(name, str):
                parts[-1] += f" ({name})"
    return ".".join(parts) or "(top level)"


def load_rules(path: Path) -> RuleFile:
    """Parse and validate one rule file; errors name the file and the rule."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(f"{path.name}: not valid YAML: {exc}") from exc
    try:
        rules = RuleFile.model_validate(raw)
    except ValidationError as exc:
        lines = [f"{path.name}: {_where(tuple(e['loc']), raw)}: {e['msg']}" for e in exc.errors()]
        raise RuleError("\n".join(dict.fromkeys(lines))) from None
    if rules.format != path.stem:
        raise RuleError(f"{path.name}: format {rules.format!r} does not match the file name")
    if not re.fullmatch(_NAME, rules.format):
        raise RuleError(f"{path.name}: bad format name")
    return rules
