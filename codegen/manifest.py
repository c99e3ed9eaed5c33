"""Step 3 of codegen: generated/MANIFEST.json, the sha256 of every source the output came from.

Sources are the specs (``specs/**``), the rules and templates
(``codegen/rules/**``, ``codegen/templates/**``) and the generator modules
themselves (``codegen/*.py``): a change to any of them makes ``--check`` fail
until ``nox -s generate`` is run. Paths are repo-relative with ``/``
separators, sorted; the JSON is indented and ends with a newline, so the file is
byte-stable and diffs read well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

__all__ = ["MANIFEST_PATH", "render_manifest", "source_files"]

MANIFEST_PATH = "generated/MANIFEST.json"
_TREES = ("specs", "codegen/rules", "codegen/templates")


def source_files(root: Path) -> list[Path]:
    """Every file the generated output depends on, sorted by repo-relative path."""
    found = set(_tree_files(root))
    found.update(p for p in (root / "codegen").glob("*.py") if p.is_file())
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _tree_files(root: Path) -> Iterator[Path]:
    for tree in _TREES:
        base = root / tree
        if base.is_dir():
            yield from (p for p in base.rglob("*") if p.is_file() and not _ignored(p))


def _ignored(path: Path) -> bool:
    return "__pycache__" in path.parts or path.name.startswith(".") or path.suffix in (".pyc", ".swp")


def render_manifest(root: Path) -> dict[str, str]:
    sources = {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in source_files(root)
    }
    document = {
        "generator": "interlingua codegen",
        "regenerate": "nox -s generate",
        "sources": sources,
        # The model generator's output depends on its version as much as on the specs.
        "tools": {"datamodel-code-generator": version("datamodel-code-generator")},
    }
    return {MANIFEST_PATH: json.dumps(document, indent=2, sort_keys=True) + "\n"}
