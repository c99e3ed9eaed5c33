"""Step 1 of codegen: specs/<name>/*.json -> generated/models/<name>.py (datamodel-code-generator)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_models"]


def render_models(root: Path) -> dict[str, str]:
    return {}
