"""Step 2b of codegen: codegen/rules/<format>.stream.yaml -> generated/converters/<format>_stream.py."""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_streams"]


def render_streams(root: Path) -> dict[str, str]:
    return {}
