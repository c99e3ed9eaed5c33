"""``interlingua codegen``: write (or ``--check``) everything under ``generated/``.

One code path renders every file in memory; ``--check`` compares instead of
writing and prints a unified diff of what is stale. Output is deterministic:
no timestamps, sorted inputs, stable formatting.

Steps (each returns ``{relative path: file text}``):

1. :mod:`interlingua.codegen.models`: ``specs/**.json`` -> ``generated/models/*.py``
   through datamodel-code-generator.
2. :mod:`interlingua.codegen.render`: ``codegen/rules/<format>.yaml`` rendered
   with the jinja2 templates in ``codegen/templates/`` -> ``generated/converters/*.py``.
3. the manifest ``generated/MANIFEST.json``: sha256 of every source file.
"""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

__all__ = ["find_root", "render_all", "run"]


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest parent holding specs/ and codegen/rules/."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "specs").is_dir() and (candidate / "codegen" / "rules").is_dir():
            return candidate
    package_root = Path(__file__).resolve().parent.parent
    if (package_root / "specs").is_dir():
        return package_root
    raise SystemExit("interlingua codegen: run it inside a checkout (no specs/ and codegen/rules/ found)")


def render_all(root: Path) -> dict[str, str]:
    from interlingua.codegen import manifest, models, render

    files: dict[str, str] = {}
    files.update(models.render_models(root))
    files.update(render.render_converters(root))
    files.update(manifest.render_manifest(root))
    return files


def run(*, check: bool = False, root: str | None = None) -> int:
    base = Path(root).resolve() if root else find_root()
    wanted = render_all(base)
    generated = base / "generated"
    existing = {
        str(p.relative_to(base)): p.read_text(encoding="utf-8")
        for p in sorted(generated.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
    stale = sorted(path for path in set(wanted) | set(existing) if wanted.get(path) != existing.get(path))
    if check:
        for path in stale:
            diff = difflib.unified_diff(
                existing.get(path, "").splitlines(keepends=True),
                wanted.get(path, "").splitlines(keepends=True),
                fromfile=f"a/{path}",
                tofile=f"b/{path}",
            )
            sys.stdout.writelines(diff)
        if stale:
            print(f"\ninterlingua codegen --check: {len(stale)} generated file(s) are stale; run `nox -s generate`")
            return 1
        print(f"interlingua codegen --check: {len(wanted)} generated files are up to date")
        return 0
    for path in stale:
        target = base / path
        if path in wanted:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(wanted[path], encoding="utf-8")
        else:
            target.unlink()
    print(f"interlingua codegen: {len(stale)} file(s) written or removed, {len(wanted)} up to date")
    return 0
