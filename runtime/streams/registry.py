"""Per-format stream tables: the generated ``generated/converters/<format>_stream.py`` modules.

Stop-reason tables are owned by the request/response converters
(``generated/converters/<format>.py`` ``STOP_REASON_TO_IR``/``STOP_REASON_FROM_IR``);
when those exist they replace the stream rules' own copy, so one table wins.
"""

from __future__ import annotations

import dataclasses
import importlib
from functools import cache
from typing import Any

from interlingua.streams.spec import ChunkedSpec, StreamSpec, TypedBlocksSpec

__all__ = ["load_spec"]


def _converter_tables(fmt: str) -> dict[str, Any]:
    try:
        module = importlib.import_module(f"interlingua.generated.converters.{fmt}")
    except ImportError:
        return {}
    tables: dict[str, Any] = {}
    for name, field in (("STOP_REASON_TO_IR", "stop_to_ir"), ("STOP_REASON_FROM_IR", "stop_from_ir")):
        table = getattr(module, name, None)
        if isinstance(table, dict) and table:
            tables[field] = table
    return tables


@cache
def load_spec(fmt: str) -> StreamSpec:
    """The stream tables of format ``fmt`` (e.g. ``"openai_chat"``)."""
    try:
        module = importlib.import_module(f"interlingua.generated.converters.{fmt}_stream")
    except ImportError as exc:
        raise ValueError(f"no stream rules for format {fmt!r} (codegen/rules/{fmt}.stream.yaml)") from exc
    spec = module.SPEC
    if not isinstance(spec, ChunkedSpec | TypedBlocksSpec):
        raise TypeError(f"{module.__name__}.SPEC is not a stream spec")
    overrides = _converter_tables(fmt)
    return dataclasses.replace(spec, **overrides) if overrides else spec
