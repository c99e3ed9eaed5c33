"""The table types a format's generated stream module instantiates.

``codegen/rules/<format>.stream.yaml`` declares a format's stream mapping;
``interlingua codegen`` renders it into ``generated/converters/<format>_stream.py``
whose ``SPEC`` is one of the frozen dataclasses below. The shared state
machines (:mod:`.chunked`, :mod:`.typed_blocks`) read only these tables, so a
new format of an existing style is a rules file, not code.

Derived lookups (inverted tables, aliases) are computed by codegen, so nothing
is derived per request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChunkedSpec", "EventNames", "ItemsSpec", "PartsSpec", "StreamSpec", "TypedBlocksSpec", "UsageRule", "WireBlock"]


@dataclass(frozen=True, slots=True)
class UsageRule:
    """How a format spells usage. ``to_ir``: (path in the wire usage object, IR field)."""

    to_ir: tuple[tuple[tuple[str, ...], str], ...]
    # Anthropic counts cache reads/writes outside input_tokens; the IR counts them inside.
    input_excludes_cache: bool
    # A wire field holding input + output (OpenAI total_tokens), written on output.
    total_field: str | None


@dataclass(frozen=True, slots=True)
class ChunkedSpec:
    """"Chunked deltas" style: every event is a full chunk object whose first
    choice carries a delta (OpenAI Chat Completions; later Gemini-like formats)."""

    format: str
    event_lines: bool
    done_sentinel: bytes
    object: str
    role: str
    choices_field: str
    delta_field: str
    role_field: str
    finish_reason_field: str
    usage_field: str
    error_field: str
    text_field: str
    thinking_field: str
    thinking_aliases: tuple[str, ...]
    refusal_field: str
    tool_calls_field: str
    tool_index_field: str
    tool_id_field: str
    tool_type_field: str
    tool_type: str
    tool_function_field: str
    tool_name_field: str
    tool_arguments_field: str
    stop_to_ir: Mapping[str, str]
    stop_from_ir: Mapping[str, str]
    default_stop_to_ir: str
    default_stop_from_ir: str
    error_type_to_kind: Mapping[str, str]
    error_kind_to_status: Mapping[str, int]
    usage: UsageRule


@dataclass(frozen=True, slots=True)
class EventNames:
    message_start: str
    block_start: str
    block_delta: str
    block_stop: str
    message_delta: str
    message_stop: str
    error: str
    ping: str


@dataclass(frozen=True, slots=True)
class WireBlock:
    """One wire content-block type and the IR block it is."""

    wire_type: str
    ir_type: str
    # The content block's fields in its start event (before any delta).
    start: Mapping[str, Any]
    # Wire field -> IR block field (id, name, data).
    fields: Mapping[str, str]
    # Wire field that may already hold content at start -> IR delta kind.
    content: Mapping[str, str]
    # Carries an opaque blob (signature/data) the IR tags with the issuing format.
    signed: bool


@dataclass(frozen=True, slots=True)
class TypedBlocksSpec:
    """"Typed block events" style: named events that start, fill and stop indexed
    content blocks (Anthropic Messages; later OpenAI Responses)."""

    format: str
    event_lines: bool
    events: EventNames
    message_type: str
    role: str
    blocks_in: Mapping[str, WireBlock]
    blocks_out: Mapping[str, WireBlock]
    deltas_in: Mapping[str, tuple[str, str]]
    deltas_out: Mapping[str, tuple[str, str]]
    stop_to_ir: Mapping[str, str]
    stop_from_ir: Mapping[str, str]
    default_stop_to_ir: str
    default_stop_from_ir: str
    error_type_to_kind: Mapping[str, str]
    error_kind_to_status: Mapping[str, int]
    usage: UsageRule
    # wire stop reason -> the one to send when the turn holds tool calls
    stop_with_tool_calls: Mapping[str, str] = field(default_factory=dict)
    # "sse", or "aws_eventstream" (Bedrock's binary frames; see streams/eventstream.py)
    framing: str = "sse"

    def wire_stop(self, stop_reason: str, saw_tool_call: bool) -> str:
        """The wire stop reason for an IR one (a turn that made tool calls may stop otherwise)."""
        reason = self.stop_from_ir.get(stop_reason, self.default_stop_from_ir)
        return self.stop_with_tool_calls.get(reason, reason) if saw_tool_call else reason


@dataclass(frozen=True, slots=True)
class ItemsSpec:
    """"Output items" style: typed events that add and finish output items and their
    content parts (OpenAI Responses). Stop tables map ``incomplete_details.reason``."""

    format: str
    event_lines: bool
    stop_to_ir: Mapping[str, str]
    stop_from_ir: Mapping[str, str]
    default_stop_to_ir: str
    error_type_to_kind: Mapping[str, str]
    error_kind_to_status: Mapping[str, int]
    usage: UsageRule


@dataclass(frozen=True, slots=True)
class PartsSpec:
    """"Whole parts" style: every event is a full response object whose first candidate
    holds whole parts (Gemini): text pieces, thought pieces, one whole function call
    per part; finish reason and usage in the last event(s)."""

    format: str
    event_lines: bool
    candidates_field: str
    content_field: str
    parts_field: str
    role_field: str
    role: str
    finish_reason_field: str
    usage_field: str
    id_field: str
    model_field: str
    error_field: str
    feedback_field: str
    block_reason_field: str
    text_key: str
    thought_key: str
    signature_key: str
    call_key: str
    call_id_field: str
    call_name_field: str
    call_args_field: str
    # Thinking tokens counted outside the output count (Gemini thoughtsTokenCount).
    output_excludes_reasoning: bool
    stop_to_ir: Mapping[str, str]
    stop_from_ir: Mapping[str, str]
    default_stop_to_ir: str
    default_stop_from_ir: str
    error_type_to_kind: Mapping[str, str]
    error_kind_to_status: Mapping[str, int]
    usage: UsageRule


StreamSpec = ChunkedSpec | TypedBlocksSpec | ItemsSpec | PartsSpec
