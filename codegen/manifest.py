"""Step 3 of codegen: generated/MANIFEST.json, the sha256 of every source the output came from."""

from __future__ import annotations

from pathlib import Path

__all__ = ["render_manifest"]


def render_manifest(root: Path) -> dict[str, str]:
    return {}
