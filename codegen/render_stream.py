"""Step 2b of codegen: codegen/rules/<format>.stream.yaml -> generated/converters/<format>_stream.py.

A stream rules file declares a format's stream mapping; the state machines
that use it are shared runtime code (``interlingua.streams``), one per *style*:

``style: chunked`` (OpenAI Chat; later Gemini-like formats)
    ``sse`` (``event_lines``, ``done_sentinel``), ``chunk`` (``object``, ``role``,
    ``fields``: where choices/delta/role/finish_reason/usage/error live),
    ``deltas`` (IR kind text/thinking/refusal -> delta field), ``thinking_aliases``
    (more delta fields read as thinking), ``tool_calls`` (field names of a
    tool-call delta).
``style: items`` (OpenAI Responses: output items holding content parts, each event typed)
    no tables of its own beyond the shared ones; ``stop_reasons`` map
    ``incomplete_details.reason`` (a completed response ends its turn or asks for tools).
``style: parts`` (Gemini: each event a whole response chunk of whole parts)
    ``parts``: field names of the chunk (candidates, content, parts, role, finish
    reason, usage, id, model, error, prompt feedback) and of a part (text, thought
    flag, signature, function call id/name/args); ``output_excludes_reasoning``.
``style: typed_blocks`` (Anthropic)
    ``sse``, ``events`` (the wire name of each lifecycle event), ``message``
    (type/role of message_start), ``blocks`` (wire block type -> ``ir`` type,
    ``start`` fields, ``fields`` copied to the IR block, ``content`` fields that
    may already hold content, ``signed``), ``deltas`` (wire delta type -> IR kind
    and value field), ``output_aliases`` (IR types written as another wire type).
    ``sse.framing: aws_eventstream`` (Bedrock ConverseStream): binary event-stream
    frames, decoded by botocore in :mod:`interlingua.streams.eventstream`, whose adapter
    reshapes Converse's events into these typed-block events (a decoder only).
Both
    ``stop_reasons`` (``from_converters: true`` imports the request/response
    converters' tables; or inline ``to_ir``/``from_ir``; defaults for unknown
    values), ``errors`` (likewise: error type -> IR kind -> status), ``usage``
    (IR field -> dotted wire path, ``input_excludes_cache``, ``total``).

Rules are validated here (unknown keys are errors), derived lookups (inverted
tables, output aliases) are computed here, and the result is rendered through
``codegen/templates/stream_<style>.py.j2`` into a module whose ``SPEC`` (a
dataclass from :mod:`interlingua.streams.spec`) drives the runtime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict

__all__ = ["StreamRules", "load_rules", "render_streams"]

_STYLES = ("chunked", "typed_blocks", "items", "parts")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Sse(_Strict):
    event_lines: bool
    # "aws_eventstream": binary application/vnd.amazon.eventstream frames (Bedrock), decoded
    # by interlingua.streams.eventstream before the typed-blocks decoder.
    framing: Literal["sse", "aws_eventstream"] = "sse"
    done_sentinel: str | None = None


class _StopReasons(_Strict):
    """Inline tables, or ``from_converters: true`` to import the converters' tables."""

    from_converters: bool = False
    to_ir: dict[str, str] = {}
    from_ir: dict[str, str] = {}
    default_to_ir: str
    default_from_ir: str
    # Output side: the stop reason to report instead when the turn holds tool calls
    # (e.g. Anthropic clients run tools only on tool_use; OpenAI ends a forced tool call with "stop").
    with_tool_calls: dict[str, str] = {}


class _Errors(_Strict):
    """In-stream error type names -> IR kind, IR kind -> status (inline or the converters')."""

    from_converters: bool = False
    type_to_kind: dict[str, str] = {}
    kind_to_status: dict[str, int] = {}


class _Usage(_Strict):
    to_ir: dict[str, str]
    input_excludes_cache: bool
    total: str | None = None


class _ChunkFields(_Strict):
    choices: str
    delta: str
    role: str
    finish_reason: str
    usage: str
    error: str


class _Chunk(_Strict):
    object: str
    role: str
    fields: _ChunkFields


class _ChunkDeltas(_Strict):
    text: str
    thinking: str
    refusal: str


class _ToolCalls(_Strict):
    field: str
    index: str
    id: str
    type_field: str
    type: str
    function: str
    name: str
    arguments: str


class _Events(_Strict):
    message_start: str
    block_start: str
    block_delta: str
    block_stop: str
    message_delta: str
    message_stop: str
    error: str
    ping: str


class _Message(_Strict):
    type: str
    role: str


class _Block(_Strict):
    ir: Literal["text", "thinking", "redacted_thinking", "tool_call", "refusal"]
    start: dict[str, Any]
    fields: dict[str, str] = {}
    content: dict[str, Literal["text", "thinking", "signature", "arguments", "refusal"]] = {}
    signed: bool = False


class _Delta(_Strict):
    kind: Literal["text", "thinking", "signature", "arguments", "refusal"]
    field: str


class _OutputAliases(_Strict):
    blocks: dict[str, str] = {}
    deltas: dict[str, str] = {}


class _Parts(_Strict):
    """``style: parts`` (Gemini): where things live in a response chunk and its parts."""

    candidates: str
    content: str
    parts: str
    role_field: str
    role: str
    finish_reason: str
    usage: str
    id: str
    model: str
    error: str
    feedback: str
    block_reason: str
    text: str
    thought: str
    signature: str
    call: str
    call_id: str
    call_name: str
    call_args: str
    output_excludes_reasoning: bool = False


class StreamRules(_Strict):
    """The schema of a ``<format>.stream.yaml`` file (both styles share it)."""

    format: str
    style: Literal["chunked", "typed_blocks", "items", "parts"]
    sse: _Sse
    stop_reasons: _StopReasons
    errors: _Errors
    usage: _Usage
    # chunked
    chunk: _Chunk | None = None
    deltas: _ChunkDeltas | dict[str, _Delta] | None = None
    thinking_aliases: list[str] = []
    tool_calls: _ToolCalls | None = None
    # typed_blocks
    events: _Events | None = None
    message: _Message | None = None
    blocks: dict[str, _Block] = {}
    output_aliases: _OutputAliases = _OutputAliases()
    # parts
    parts: _Parts | None = None


def load_rules(path: Path) -> StreamRules:
    rules = StreamRules.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    expected = path.name.removesuffix(".stream.yaml")
    if rules.format != expected:
        raise ValueError(f"{path}: format {rules.format!r} must match the file name ({expected!r})")
    needed = {"chunked": ("chunk", "tool_calls"), "typed_blocks": ("events", "message"), "items": (),
              "parts": ("parts",)}[rules.style]
    missing = [name for name in needed if getattr(rules, name) is None]
    if missing or (rules.deltas is None and rules.style not in ("items", "parts")):
        raise ValueError(f"{path}: style {rules.style} needs {', '.join([*missing, 'deltas'])}")
    if not rules.stop_reasons.from_converters and not (rules.stop_reasons.to_ir and rules.stop_reasons.from_ir):
        raise ValueError(f"{path}: stop_reasons needs to_ir and from_ir tables or from_converters: true")
    if not rules.errors.from_converters and not (rules.errors.type_to_kind and rules.errors.kind_to_status):
        raise ValueError(f"{path}: errors needs type_to_kind and kind_to_status or from_converters: true")
    return rules


def _usage_paths(usage: _Usage) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(path.split(".")), ir) for ir, path in usage.to_ir.items()]


def _typed_tables(rules: StreamRules) -> dict[str, Any]:
    """Inverted and aliased lookups for the typed-blocks runtime."""
    assert isinstance(rules.deltas, dict)
    blocks_in = rules.blocks
    blocks_out: dict[str, str] = {block.ir: wire for wire, block in blocks_in.items()}
    for ir_type, wire in rules.output_aliases.blocks.items():
        blocks_out.setdefault(ir_type, wire)
    deltas_in = {wire: (d.kind, d.field) for wire, d in rules.deltas.items()}
    deltas_out: dict[str, tuple[str, str]] = {d.kind: (wire, d.field) for wire, d in rules.deltas.items()}
    for kind, alias in rules.output_aliases.deltas.items():
        deltas_out.setdefault(kind, deltas_out[alias])
    return {"blocks_in": blocks_in, "blocks_out": blocks_out, "deltas_in": deltas_in, "deltas_out": deltas_out}


def _environment(root: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / "codegen" / "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["py"] = repr
    env.filters["tuple"] = tuple
    return env


def render_streams(root: Path) -> dict[str, str]:
    env = _environment(root)
    files: dict[str, str] = {}
    for path in sorted((root / "codegen" / "rules").glob("*.stream.yaml")):
        rules = load_rules(path)
        template_name = f"stream_{rules.style}.py.j2"
        text = env.get_template(template_name).render(
            rules=rules,
            sources=[str(path.relative_to(root)), f"codegen/templates/{template_name}"],
            usage_paths=_usage_paths(rules.usage),
            **(_typed_tables(rules) if rules.style == "typed_blocks" else {}),
        )
        files[f"generated/converters/{rules.format}_stream.py"] = text
    # The package marker of generated/converters/ (render.py's converters live there too).
    files["generated/converters/__init__.py"] = (
        '"""Generated by interlingua codegen. DO NOT EDIT. Regenerate: nox -s generate"""\n'
    )
    return files
