"""Per-format stream tables: the generated ``generated/converters/<format>_stream.py`` modules."""

from __future__ import annotations

import importlib
from functools import cache

from interlingua.streams.spec import ChunkedSpec, ItemsSpec, PartsSpec, StreamSpec, TypedBlocksSpec

__all__ = ["load_spec"]


@cache
def load_spec(fmt: str) -> StreamSpec:
    """The stream tables of format ``fmt`` (e.g. ``"openai_chat"``)."""
    name = f"interlingua.generated.converters.{fmt}_stream"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise ValueError(f"no stream rules for format {fmt!r} (codegen/rules/{fmt}.stream.yaml)") from exc
    spec = module.SPEC
    if not isinstance(spec, ChunkedSpec | TypedBlocksSpec | ItemsSpec | PartsSpec):
        raise TypeError(f"{module.__name__}.SPEC is not a stream spec")
    return spec
