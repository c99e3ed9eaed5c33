"""Statement emitter: one field rule -> straight-line Python for one direction.

The jinja2 templates lay out modules and functions; this module writes the
body lines of a field mapping, which need indentation that depends on the
rule (optional values open an ``if``). The code works on ``src`` (the object
being converted) and ``out`` (the object being built), with ``path`` naming
``src`` for error messages (``messages[2].content[0]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from interlingua.codegen.rules_schema import EnumRule, FieldRule, RuleFile

__all__ = ["Emitter", "const_name", "enum_consts", "literal", "type_fn"]

Way = Literal["to_ir", "from_ir"]

_TYPE_CHECKS: dict[str, tuple[str, str]] = {
    "str": ("type(v) is not str", "a string"),
    "int": ("type(v) is not int", "an integer"),
    "number": ("type(v) not in (int, float)", "a number"),
    "bool": ("type(v) is not bool", "a boolean"),
    "object": ("type(v) is not dict", "an object"),
    "array": ("type(v) is not list", "an array"),
}


def literal(value: Any) -> str:
    """A deterministic Python literal."""
    return str(repr(value))


def const_name(name: str, way: Way, rule: EnumRule) -> str:
    if rule.names:
        return rule.names[0] if way == "to_ir" else rule.names[1]
    return f"{name.upper()}_{way.upper()}"


def enum_consts(name: str, rule: EnumRule) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """(to_ir table, from_ir table); from_ir defaults to the inverse of to_ir, first key wins."""
    to_ir = dict(rule.to_ir)
    if rule.from_ir is not None:
        return to_ir, dict(rule.from_ir)
    inverse: dict[Any, Any] = {}
    for wire, ir in to_ir.items():
        inverse.setdefault(ir, wire)
    return to_ir, inverse


def _key_type(rule: EnumRule, way: Way) -> str:
    """The Python type of a table's keys (a cheap hashability check before the lookup)."""
    keys = enum_consts("", rule)[0 if way == "to_ir" else 1]
    kinds = {type(k).__name__ for k in keys}
    return kinds.pop() if len(kinds) == 1 else "str"


def type_fn(type_name: str, way: Way) -> str:
    return f"_{type_name}_{way}"


@dataclass
class _Lines:
    lines: list[str] = field(default_factory=list)
    depth: int = 1

    def add(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def open(self, text: str) -> None:
        self.add(text)
        self.depth += 1


def _split(path: str) -> list[str]:
    return path.split(".")


def _getter(lines: _Lines, obj: str, path: str) -> None:
    """``v = obj[path]`` following dots (``0`` is the first list item); None when absent."""
    keys = _split(path)
    lines.add(f"v = {obj}.get({keys[0]!r})")
    for key in keys[1:]:
        if key == "0":
            lines.add("v = v[0] if type(v) is list and v else None")
        else:
            lines.add(f"v = v.get({key!r}) if type(v) is dict else None")


def setter(obj: str, path: str) -> str:
    """An assignment target for ``obj[path]`` that creates the intermediate objects."""
    keys = _split(path)
    expr = obj
    for i, key in enumerate(keys[:-1]):
        nxt = keys[i + 1]
        if key == "0":
            continue
        if nxt == "0":
            expr += f".setdefault({key!r}, [{{}}])[0]"
        else:
            expr += f".setdefault({key!r}, {{}})"
    return f"{expr}[{keys[-1]!r}]"


class Emitter:
    """Writes the body lines for one field rule in one direction."""

    def __init__(self, rules: RuleFile, helpers: dict[str, str]) -> None:
        self.rules = rules
        self.helpers = helpers  # helper name -> local alias in the generated module

    def field(self, spec: FieldRule, way: Way) -> list[str]:
        if spec.direction not in ("both", way):
            return []
        lines = _Lines()
        src_path, dst_path = (spec.wire, spec.ir) if way == "to_ir" else (spec.ir, spec.wire)
        if spec.const is not None:
            if dst_path is not None and src_path is None:
                lines.add(f"{setter('out', dst_path)} = {literal(spec.const)}")
            return lines.lines
        assert src_path is not None
        assert dst_path is not None
        lines.add(f"# {spec.wire} {'->' if way == 'to_ir' else '<-'} {spec.ir}")
        _getter(lines, "src", src_path)
        key = spec.wire if way == "to_ir" else spec.ir
        if self._absent(lines, spec, way, key):
            lines.open("if v is not None:")
        if spec.object or spec.list or spec.helper:
            lines.add(f"p = (path, {key!r})")
        self._convert(lines, spec, way, key)
        lines.add(f"{setter('out', dst_path)} = v")
        return lines.lines

    def _absent(self, lines: _Lines, spec: FieldRule, way: Way, key: str | None) -> bool:
        """Handle an absent value; True when the value may still be None afterwards."""
        default = getattr(spec.default, way) if spec.default else None
        if spec.required and way == "to_ir":
            lines.open("if v is None:")
            lines.add(f"raise missing(path, {key!r})")
            lines.depth -= 1
            return False
        if default is not None:
            lines.open("if v is None:")
            if isinstance(default, dict) and set(default) == {"policy"}:
                lines.add(f"v = policy.{default['policy']}")
            else:
                lines.add(f"v = {literal(default)}")
            lines.depth -= 1
            return False
        return True

    def _helper(self, spec: FieldRule, way: Way) -> str | None:
        name = getattr(spec.helper, way) if spec.helper else None
        return self.helpers[name] if name else None

    def _convert(self, lines: _Lines, spec: FieldRule, way: Way, key: str | None) -> None:
        helper = self._helper(spec, way)
        sub = "p"
        if helper and way == "to_ir":
            lines.add(f"v = {helper}(v, {sub}, policy, warnings)")
            lines.open("if v is not None:")
        if way == "to_ir" and spec.type != "any" and not spec.list:
            check, what = _TYPE_CHECKS[spec.type]
            lines.open(f"if {check}:")
            lines.add(f"raise bad_type(path, {key!r}, {what!r})")
            lines.depth -= 1
        if spec.list:
            self._list(lines, spec, way, key, sub)
        elif spec.enum:
            self._enum(lines, spec, way, key)
        elif spec.object:
            lines.add(f"v = {type_fn(spec.object, way)}(v, {sub}, policy, warnings)")
            lines.open("if v is not None:")
        if spec.invert:
            lines.add("v = not v")
        if helper and way == "from_ir":
            lines.add(f"v = {helper}(v, {sub}, policy, warnings)")
            lines.open("if v is not None:")

    def _list(self, lines: _Lines, spec: FieldRule, way: Way, key: str | None, sub: str) -> None:
        if way == "to_ir":
            lines.open("if type(v) is not list:")
            lines.add(f"raise bad_type(path, {key!r}, 'an array')")
            lines.depth -= 1
        if not (spec.object or spec.enum):
            return
        lines.add("items = []")
        lines.open("for i, x in enumerate(v):")
        if spec.object:
            lines.add(f"y = {type_fn(spec.object, way)}(x, ({sub}, i), policy, warnings)")
        else:
            assert spec.enum is not None
            table = const_name(spec.enum, way, self.rules.enums[spec.enum])
            lines.add(f"y = {table}.get(x) if type(x) is {_key_type(self.rules.enums[spec.enum], way)} else None")
        lines.open("if y is not None:")
        lines.add("items.append(y)")
        lines.depth -= 2
        lines.add("v = items")

    def _enum(self, lines: _Lines, spec: FieldRule, way: Way, key: str | None) -> None:
        assert spec.enum is not None
        rule = self.rules.enums[spec.enum]
        table = const_name(spec.enum, way, rule)
        if way == "to_ir":
            lines.add(f"m = {table}.get(v) if type(v) is {_key_type(rule, way)} else None")
            lines.open("if m is None:")
            if rule.strict:
                lines.add(f"raise bad_value(path, {key!r}, v)")
            elif rule.to_ir_default is not None:
                lines.add(f"m = {literal(rule.to_ir_default)}")
            else:
                lines.add("m = v")
            lines.depth -= 1
            lines.add("v = m")
            return
        if rule.from_ir_default is not None:
            lines.add(f"v = {table}.get(v, {literal(rule.from_ir_default)})")
            return
        lines.add(f"m = {table}.get(v)")
        lines.open("if m is None:")
        wire = spec.wire
        lines.add(f"warn(warnings, f\"{wire}: IR value {{v!r}} has no {self.rules.format} counterpart; dropped\")")
        lines.depth -= 1
        lines.add("v = m")
        lines.open("if v is not None:")
