"""Step 2 of codegen: codegen/rules/<format>.yaml -> generated/converters/<format>.py (jinja2)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_converters"]


def render_converters(root: Path) -> dict[str, str]:
    return {}
