"""``interlingua specs diff <published spec>``: a provider's published spec against ours, and
what our rules do with each of our fields.

Per format the document holds (:data:`.spec_shapes.ROOTS`) and per kind (request, response,
stream event) the report lists:

- **missing**: fields (and union variants: content blocks, stream events) the provider
  documents and our spec lacks;
- **changed**: fields whose JSON type differs, enum values the provider added (or no
  longer documents);
- **opaque**: places our spec leaves free-form (``{"type": "object"}``) where the provider
  documents fields; they are not compared further;
- for requests and responses, each of our fields and what the rules
  (``codegen/rules/<format>.yaml``) do with it: ``mapped`` (a field rule reads it),
  ``extra`` (not mapped; the object keeps unknown keys in IR extras, so it round-trips to
  the same format), ``ignored`` (listed in the object's ``ignore``: dropped by policy),
  ``steps`` (not a field rule; the object's pre/post step helpers read what they need) or
  ``dropped``. Stream events are mapped by the stream rules (``<format>.stream.yaml``): an
  event type is ``mapped`` when they name it.

``docs/coverage/<format>.md`` is this report for ../shared/reference/specs (``nox -s
specs-diff``); tests/codegen/test_specs_diff.py fails when it is stale.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from interlingua.codegen.main import find_root
from interlingua.codegen.rules_schema import FieldRule, ObjectRule, RuleFile, UnionRule, Variant, load_rules
from interlingua.codegen.spec_shapes import ROOTS, Shape, Side, load_ours, load_published, published_formats

__all__ = ["KindReport", "coverage", "diff_format", "render_markdown", "reports", "run"]

_MAX_DEPTH = 7
_KINDS = ("request", "response", "stream_event")


@dataclass
class KindReport:
    kind: str
    published: str
    ours: str
    missing: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)


def _types(shape_types: set[str]) -> set[str]:
    """JSON types compared loosely: null is optionality, an integer is a number."""
    return {"number" if t == "integer" else t for t in shape_types if t != "null"}


class _Differ:
    def __init__(self, pub: Side, ours: Side, report: KindReport) -> None:
        self.pub, self.ours, self.report = pub, ours, report
        self.seen: set[tuple[str | None, str | None, str]] = set()

    def compare(self, pub_node: Any, our_node: Any, path: str, depth: int = 0) -> None:
        p, o = self.pub.shape(pub_node), self.ours.shape(our_node)
        key = (p.ref, o.ref, path.rsplit(".", 1)[-1])
        if depth > _MAX_DEPTH or (p.ref and o.ref and key in self.seen):
            return
        self.seen.add(key)
        if p.variants and o.variants:
            self._variants(p.variants, o.variants, path, depth)
            return
        self._scalars(p, o, path)
        if p.props:
            if o.props is None:
                self.report.opaque.append(f"`{path}` ({len(p.props)} published fields)")
                return
            self._fields(p.props, o.props, path, depth)
        if p.items is not None and o.items is not None:
            self.compare(p.items, o.items, f"{path}[]", depth + 1)
        if p.values is not None and o.values is not None:
            self.compare(p.values, o.values, f"{path}{{}}", depth + 1)

    def _scalars(self, p: Shape, o: Shape, path: str) -> None:
        pt, ot = _types(p.types), _types(o.types)
        if pt and ot and not pt & ot:
            self.report.changed.append(f"`{path}`: type {'/'.join(sorted(ot))} in ours, {'/'.join(sorted(pt))} published")
        if p.enum and o.enum:
            if added := sorted(p.enum - o.enum):
                self.report.changed.append(f"`{path}`: enum values we lack: {', '.join(added)}")
            if gone := sorted(o.enum - p.enum):
                self.report.changed.append(f"`{path}`: enum values not published: {', '.join(gone)}")

    def _fields(self, pub: dict[str, Any], ours: dict[str, Any], path: str, depth: int) -> None:
        for name, sub in pub.items():
            where = f"{path}.{name}" if path else name
            if name in ours:
                self.compare(sub, ours[name], where, depth + 1)
            else:
                self.report.missing.append(f"`{where}`")

    def _variants(self, pub: dict[str, Any], ours: dict[str, Any], path: str, depth: int) -> None:
        for name in sorted(pub):
            where = f"{path}[type={name}]"
            if name in ours:
                self.compare(pub[name], ours[name], where, depth + 1)
            else:
                self.report.missing.append(f"`{where}` (variant)")


class _RuleWalker:
    """Our spec walked with the rules: what happens to each field."""

    def __init__(self, ours: Side, rules: RuleFile, out: list[tuple[str, str]]) -> None:
        self.ours, self.rules, self.out = ours, rules, out
        self.seen: set[tuple[str | None, str]] = set()

    def type_rule(self, node: Any, name: str, path: str, depth: int) -> None:
        shape = self.ours.shape(node)
        while shape.items is not None and not shape.props and not shape.variants:
            shape = self.ours.shape(shape.items)
        if (shape.ref, name) in self.seen or depth > _MAX_DEPTH:
            return
        self.seen.add((shape.ref, name))
        rule = self.rules.types[name]
        if isinstance(rule, ObjectRule):
            self.mapping(shape.props or {}, rule, list(rule.fields), path, depth)
            return
        self.union(shape, rule, path, depth)

    def union(self, shape: Any, rule: UnionRule, path: str, depth: int) -> None:
        by_key = rule.discriminator.by == "key"
        members = (shape.props or {}) if by_key else (shape.variants or {})
        variants = {v.wire: v for v in rule.variants if v.direction in ("both", "to_ir")}
        for wire, node in sorted(members.items()):
            where = f"{path}.{wire}" if by_key else f"{path}[type={wire}]"
            variant = variants.get(wire)
            if variant is not None:
                self.out.append((where, "mapped"))
                sub = self.ours.shape(node)
                self.mapping(sub.props or {}, variant, list(variant.fields), where, depth + 1)
            else:
                opaque = wire in rule.opaque or rule.opaque_other
                self.out.append((where, "opaque (back to this format only)" if opaque else "dropped"))

    def mapping(self, props: dict[str, Any], rule: ObjectRule | Variant, fields: list[Any], path: str, depth: int) -> None:
        specs = [FieldRule(wire=f, ir=f) if isinstance(f, str) else f for f in fields]
        steps = [*rule.pre.to_ir, *rule.post.to_ir]
        for name, node in sorted(props.items()):
            where = f"{path}.{name}" if path else name
            exact = [f for f in specs if f.wire == name and f.direction in ("both", "to_ir")]
            nested = [f for f in specs if (f.wire or "").startswith(name + ".")]
            if exact:
                self.out.append((where, "mapped"))
                target = next((f.object for f in exact if f.object), None)
                if target:
                    self.type_rule(node, target, where, depth + 1)
            elif nested:
                self.out.append((where, "mapped (in part)"))
                sub = self.ours.shape(node)
                rests = [(f, (f.wire or "")[len(name) + 1 :]) for f in nested]
                if sub.items is not None:  # `name.0.x`: the first item's fields
                    sub = self.ours.shape(sub.items)
                    rests = [(f, rest.removeprefix("0.")) for f, rest in rests]
                inner = [f.model_copy(update={"wire": rest}) for f, rest in rests]
                self.mapping(sub.props or {}, rule, inner, where, depth + 1)
            else:
                self.out.append((where, self._unmapped(name, rule, steps)))

    @staticmethod
    def _unmapped(name: str, rule: ObjectRule | Variant, steps: list[str]) -> str:
        if name in rule.ignore:
            return "ignored (policy)"
        if rule.extras:
            return "extra (kept for this format)"
        if steps:
            return f"steps ({', '.join(steps)})"
        return "dropped"


def _stream_names(root: Path, fmt: str) -> set[str]:
    path = root / "codegen" / "rules" / f"{fmt}.stream.yaml"
    names: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                names.add(str(key))
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)
        elif isinstance(node, str):
            names.add(node)

    if path.is_file():
        collect(yaml.safe_load(path.read_text(encoding="utf-8")))
    return names


def diff_format(root: Path, pub: Side, fmt: str) -> list[KindReport]:
    ours, kinds = load_ours(root, fmt)
    rules = load_rules(root / "codegen" / "rules" / f"{fmt}.yaml")
    out: list[KindReport] = []
    for kind in _KINDS:
        if kind not in kinds:
            continue
        published = ROOTS[fmt][kind]
        report = KindReport(kind, published, f"specs/{fmt}/{kind}.json")
        our_root = {"$ref": f"#/$defs/{kinds[kind]}"}
        _Differ(pub, ours, report).compare({"$ref": pub.prefix + published}, our_root, "")
        if kind == "stream_event":
            names = _stream_names(root, fmt)
            variants = ours.shape(our_root).variants or {}
            report.fields = [(f"[type={v}]", "mapped" if v in names else "not in the stream rules") for v in sorted(variants)]
        else:
            entry = rules.entry.request if kind == "request" else rules.entry.response
            _RuleWalker(ours, rules, report.fields).type_rule(our_root, entry, "", 0)
        out.append(report)
    return out


def reports(root: Path, published: Path, only: str | None = None) -> dict[str, list[KindReport]]:
    pub = load_published(published)
    return {fmt: diff_format(root, pub, fmt) for fmt in published_formats(pub) if only in (None, fmt)}


def render_markdown(fmt: str, source: str, kinds: list[KindReport]) -> str:
    lines = [
        f"# `{fmt}`: our spec against the published one",
        "",
        f"Generated by `interlingua specs diff {source}` (`nox -s specs-diff`); do not edit by hand.",
        "tests/codegen/test_specs_diff.py fails when this file is stale. What each section means:",
        "codegen/specs_diff.py; what to do about a finding: codegen/README.md (\"A provider changed its API\").",
    ]
    for report in kinds:
        lines += ["", f"## {report.kind}: `{report.published}` / `{report.ours}`", ""]
        for title, items in (
            ("Documented by the provider, missing from our spec", report.missing),
            ("Type or enum changes", report.changed),
            ("Free-form in our spec, documented in detail by the provider", report.opaque),
        ):
            lines.append(f"### {title} ({len(items)})")
            lines += [""] + [f"- {item}" for item in sorted(set(items))] + [""] if items else ["", "None.", ""]
        lines += [f"### Our fields and the rules ({len(report.fields)})", ""]
        if not report.fields:  # a stream of whole chunks (OpenAI Chat, Gemini): see the response
            lines.append("Chunks of the response's shape: see the response section.")
            continue
        lines += ["| field | rules |", "|---|---|"] + [f"| `{path}` | {status} |" for path, status in report.fields]
    return "\n".join(lines) + "\n"


def coverage(root: Path, published: Path, only: str | None = None) -> dict[str, str]:
    """``{format: docs/coverage/<format>.md text}`` for one published spec (named relative to ``root``)."""
    path = published.resolve()
    source = Path(os.path.relpath(path, root)).as_posix()
    return {fmt: render_markdown(fmt, source, kinds) for fmt, kinds in reports(root, path, only).items()}


def run(paths: list[str], *, only: str | None = None, write: str | None = None, root: str | None = None) -> int:
    """Print (or ``write`` into a folder as ``<format>.md``) the report of each published spec."""
    base = Path(root).resolve() if root else find_root()
    found = 0
    for name in paths:
        for fmt, text in coverage(base, Path(name), only).items():
            found += 1
            if write is None:
                sys.stdout.write(text)
            else:
                target = Path(write) / f"{fmt}.md"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
                print(f"wrote {target}")
    if not found:
        print(f"interlingua specs diff: no format's published schemas found in {', '.join(paths)}", file=sys.stderr)
        return 2
    return 0
