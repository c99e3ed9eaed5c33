"""Step 2 of codegen: codegen/rules/<format>.yaml -> generated/converters/<format>.py (jinja2).

Each rule file is validated against :mod:`interlingua.codegen.rules_schema`,
its helper references are resolved against the hand-written helper modules
(:data:`HELPER_MODULES`, checked by name and arity), and the templates in
``codegen/templates/`` render one straight-line module per format. Nothing
reads YAML at run time.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

import jinja2

from interlingua.codegen.emit import Emitter, const_name, enum_consts, literal, type_fn
from interlingua.codegen.rules_schema import (
    FieldRule,
    ObjectRule,
    RuleError,
    RuleFile,
    UnionRule,
    Variant,
    load_rules,
)

__all__ = ["HELPER_MODULES", "render_converters", "render_module", "rule_files"]

# Hand-written helpers rules may name. Kinds by arity: value/pre/variant helpers
# take (value, path, policy, warnings); post steps take (src, out, path, policy, warnings).
HELPER_MODULES = (
    "interlingua.convert.bedrock",
    "interlingua.convert.content",
    "interlingua.convert.envelope",
    "interlingua.convert.gemini",
    "interlingua.convert.gemini_parts",
    "interlingua.convert.gemini_schema",
    "interlingua.convert.messages",
    "interlingua.convert.reasoning",
    "interlingua.convert.responses",
    "interlingua.convert.responses_output",
    "interlingua.convert.tools",
    "interlingua.convert.usage",
)

_ARITY = {"value": 4, "pre": 4, "variant": 4, "post": 5}


def rule_files(root: Path) -> list[Path]:
    """Converter rule files (stream rules, ``*.stream.yaml``, belong to render_stream)."""
    return sorted(p for p in (root / "codegen" / "rules").glob("*.yaml") if not p.name.endswith(".stream.yaml"))


def _helper_index() -> dict[str, tuple[str, Any]]:
    index: dict[str, tuple[str, Any]] = {}
    for module_name in HELPER_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            if name in index:
                raise RuleError(f"helper {name!r} is defined in both {index[name][0]} and {module_name}")
            index[name] = (module_name, getattr(module, name))
    return index


class _Context:
    """Resolves helper names while rendering one rule file."""

    def __init__(self, rules: RuleFile, source: str) -> None:
        self.rules = rules
        self.source = source
        self.index = _helper_index()
        self.used: dict[str, set[str]] = {}

    def helper(self, name: str, kind: str, where: str) -> str:
        if name not in self.index:
            raise RuleError(f"{self.source}: {where}: unknown helper {name!r} (see HELPER_MODULES in codegen/render.py)")
        module, fn = self.index[name]
        arity = len(inspect.signature(fn).parameters)
        if arity != _ARITY[kind]:
            raise RuleError(
                f"{self.source}: {where}: helper {name!r} takes {arity} arguments; a {kind} helper takes {_ARITY[kind]}"
            )
        self.used.setdefault(module, set()).add(name)
        return name

    def helper_map(self) -> dict[str, str]:
        return {name: name for name in self.index}

    def imports(self) -> list[tuple[str, list[str]]]:
        return [(m, sorted(names)) for m, names in sorted(self.used.items())]


def _fields(mapping: ObjectRule | Variant) -> list[FieldRule]:
    return [FieldRule(wire=f, ir=f) if isinstance(f, str) else f for f in mapping.fields]


def _check_field_helpers(ctx: _Context, fields: list[FieldRule], where: str) -> None:
    for j, spec in enumerate(fields):
        for way in ("to_ir", "from_ir"):
            name = getattr(spec.helper, way) if spec.helper else None
            if name:
                ctx.helper(name, "value", f"{where}.fields[{j}] ({spec.label}).helper.{way}")


def _subtree(tree: dict[str, Any], keys: list[str]) -> dict[str, Any] | None:
    node = tree
    for key in keys:
        if key in node and node[key] is None:
            return None
        node = node.setdefault(key, {})
    return node


def _known_tree(fields: list[FieldRule], extra: list[str]) -> dict[str, Any]:
    """The wire keys a mapping consumes, as a tree (``None`` = the whole value)."""
    tree: dict[str, Any] = {key: None for key in extra}
    for f in fields:
        if not f.wire or f.keep_spelling or (f.direction == "from_ir" and f.const is None):
            continue
        *parents, last = f.wire.split(".")
        node = _subtree(tree, parents)
        if node is None:
            continue  # an enclosing value is consumed whole already
        leaf = {k: None for k in f.consumes} if f.consumes else None
        current = node.get(last, {})
        node[last] = None if leaf is None or current is None else {**current, **leaf}
    return tree


def _extras_check(tree: dict[str, Any], known_name: str) -> tuple[str, str]:
    """(constant definition, how the template computes leftovers)."""
    if all(v is None for v in tree.values()):
        return f"{known_name}: Final = frozenset({literal(sorted(tree))})", "flat"
    return f"{known_name}: Final[dict[str, Any]] = {literal(dict(sorted(tree.items())))}", "tree"


def _disc_line(mapping: ObjectRule | Variant, way: str, disc: tuple[str, str, str | None] | None) -> str:
    """A variant writes its discriminator value (never the wire default, which is implied).
    In a key-discriminated union (wire name ``""``) it writes its member key, filled by the fields."""
    if not disc or not isinstance(mapping, Variant):
        return ""
    if way == "to_ir":
        return f"out[{disc[1]!r}] = {mapping.ir!r}"
    if not disc[0]:
        return f"out[{mapping.wire!r}] = {{}}"
    return f"out[{disc[0]!r}] = {mapping.wire!r}" if mapping.wire != disc[2] else ""


def _mapping_functions(
    ctx: _Context,
    env: jinja2.Environment,
    fn_base: str,
    mapping: ObjectRule | Variant,
    where: str,
    disc: tuple[str, str, str | None] | None = None,
) -> tuple[list[str], list[str]]:
    """(constants, functions) for one object or variant, both directions."""
    fields = _fields(mapping)
    _check_field_helpers(ctx, fields, where)
    emitter = Emitter(ctx.rules, ctx.helper_map())
    known_name = f"_{fn_base.upper()}_KNOWN"
    consts: list[str] = []
    leftover = ""
    if mapping.extras:
        tree = _known_tree(fields, [*mapping.ignore, *([disc[0]] if disc and disc[0] else [])])
        const, leftover = _extras_check(tree, known_name)
        consts.append(const)
    functions = []
    for way in ("to_ir", "from_ir"):
        if isinstance(mapping, Variant) and mapping.direction not in ("both", way):
            continue
        vhelper = getattr(mapping.helper, way) if isinstance(mapping, Variant) and mapping.helper else None
        blocks = ["\n".join(emitter.field(f, way)) for f in fields]
        functions.append(
            env.get_template("object.py.j2").render(
                name=f"_{fn_base}_{way}",
                nullable=disc is not None,
                doc=(mapping.doc or where).strip().replace('"""', "'''")
                + f" ({'wire -> IR' if way == 'to_ir' else 'IR -> wire'})",
                helper=ctx.helper(vhelper, "variant", f"{where}.helper.{way}") if vhelper else None,
                pre=[ctx.helper(s, "pre", f"{where}.pre.{way}") for s in getattr(mapping.pre, way)],
                post=[ctx.helper(s, "post", f"{where}.post.{way}") for s in getattr(mapping.post, way)],
                disc_line=_disc_line(mapping, way, disc),
                blocks=[b for b in blocks if b],
                extras=way if mapping.extras else "",
                leftover=leftover,
                warn_foreign=mapping.foreign_extras == "warn",
                known_name=known_name,
            ).rstrip()
        )
    return consts, functions


def _union(ctx: _Context, env: jinja2.Environment, name: str, rule: UnionRule) -> dict[str, Any]:
    d = rule.discriminator
    functions: list[str] = []
    dispatch: dict[str, dict[str, Any]] = {}
    tables: dict[str, list[tuple[str, str]]] = {"to_ir": [], "from_ir": []}
    for i, variant in enumerate(rule.variants):
        base = f"{name}_{variant.wire}" if variant.wire == variant.ir else f"{name}_{variant.wire}_as_{variant.ir}"
        disc = ("" if d.by == "key" else d.wire, d.ir, d.wire_default)
        consts, fns = _mapping_functions(ctx, env, base, variant, f"types.{name}.variants[{i}] ({variant.wire})", disc)
        functions.extend(consts + fns)
        for way, key in (("to_ir", variant.wire), ("from_ir", variant.ir)):
            if variant.direction in ("both", way):
                tables[way].append((literal(key), f"_{base}_{way}"))
    opaque = f"_{name.upper()}_OPAQUE"
    if rule.opaque:
        functions.append(f"{opaque}: Final = frozenset({literal(sorted(rule.opaque))})")
    for way in ("to_ir", "from_ir"):
        table = f"_{name.upper()}_{way.upper()}"
        dispatch[way] = {"name": table, "items": tables[way]}
    entry = [
        env.get_template("union.py.j2").render(
            name=type_fn(name, way),
            doc=(rule.doc or name).strip() + f" ({'wire -> IR' if way == 'to_ir' else 'IR -> wire'})",
            way=way,
            table=f"_{name.upper()}_{way.upper()}",
            disc_wire=literal(d.wire),
            by_key=d.by == "key",
            disc_ir=literal(d.ir),
            disc_default=literal(d.wire_default) if d.wire_default else "",
            opaque=opaque if rule.opaque else "",
            opaque_other=rule.opaque_other,
            unmapped_error=str(rule.unmapped_from_ir == "error"),
        ).rstrip()
        for way in ("to_ir", "from_ir")
    ]
    return {"functions": functions, "dispatch": dispatch, "entry": entry}


def _types(ctx: _Context, env: jinja2.Environment) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, rule in ctx.rules.types.items():
        if isinstance(rule, ObjectRule):
            consts, fns = _mapping_functions(ctx, env, name, rule, f"types.{name}")
            out.append({"functions": consts + fns, "dispatch": None})
        else:
            union = _union(ctx, env, name, rule)
            # Dispatch tables must follow the variant functions; the union entry functions follow the tables.
            out.append({"functions": union["functions"], "dispatch": union["dispatch"]})
            out.append({"functions": union["entry"], "dispatch": None})
    return out


def _environment(root: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(root / "codegen" / "templates")),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )


def render_module(root: Path, path: Path) -> str:
    """One generated converter module for one rule file."""
    rules = load_rules(path)
    ctx = _Context(rules, path.name)
    env = _environment(root)
    enums = []
    for name, rule in sorted(rules.enums.items()):
        to_ir, from_ir = enum_consts(name, rule)
        enums.append(
            {
                "doc": rule.doc.strip() if rule.doc else "",
                "to_name": const_name(name, "to_ir", rule),
                "from_name": const_name(name, "from_ir", rule),
                "to_table": literal(to_ir),
                "from_table": literal(from_ir),
            }
        )
    types = _types(ctx, env)
    err = rules.errors
    type_rule, status_rule = rules.enums[err.type_enum], rules.enums[err.status_enum]
    errors = {
        "body": type_fn(err.body, "to_ir").removesuffix("_to_ir"),
        "type_to_ir": const_name(err.type_enum, "to_ir", type_rule),
        "type_from_ir": const_name(err.type_enum, "from_ir", type_rule),
        "type_default": literal(type_rule.from_ir_default or "api_error"),
        "status_to_ir": const_name(err.status_enum, "to_ir", status_rule),
        "status_from_ir": const_name(err.status_enum, "from_ir", status_rule),
        "kind_from": err.kind_from,
        "pinned": literal(sorted(err.pin_status)),
    }
    text = env.get_template("converter.py.j2").render(
        fmt=rules.format,
        title=rules.title,
        docs=rules.docs,
        enum_names=sorted(e["to_name"] for e in enums) + sorted(e["from_name"] for e in enums),
        enums=enums,
        types=types,
        helper_imports=ctx.imports(),
        entry={"request": f"_{rules.entry.request}", "response": f"_{rules.entry.response}"},
        errors=errors,
        kept_spellings=literal(_kept_spellings(rules)),
    )
    return text


def _kept_spellings(rules: RuleFile) -> list[str]:
    """Wire keys kept in extras only to restore the client's spelling: their value is mapped,
    so another format meeting them in extras must not call them dropped."""
    names: set[str] = set()
    for rule in rules.types.values():
        for mapping in [rule] if isinstance(rule, ObjectRule) else rule.variants:
            names.update(f.wire.rsplit(".", 1)[-1] for f in mapping.fields if isinstance(f, FieldRule) and f.wire and f.keep_spelling)
    return sorted(names)


def render_converters(root: Path) -> dict[str, str]:
    """``generated/converters/<format>.py`` per rule file (the package ``__init__`` is render_stream's)."""
    return {f"generated/converters/{path.stem}.py": render_module(root, path) for path in rule_files(root)}
