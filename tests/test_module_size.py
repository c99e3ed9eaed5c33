"""No hand-written Python module grows past a size a reader can hold (issue 7, STYLE 11).

Shipped and tooling code (``runtime/``, ``server/``, ``codegen/``, ``bench/``, ``noxfile.py``): 400
lines. ``generated/`` belongs to the generator and is exempt. Test modules get 600: a test module
is a flat list of independent cases (a parametrised matrix, one scenario per function) read one
case at a time, so splitting it by line count helps less than splitting code with shared state;
it still needs a ceiling, or one file becomes the dumping ground of a whole area.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LIMITS = {"runtime": 400, "server": 400, "codegen": 400, "bench": 400, "tests": 600}


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _too_long(paths: list[Path], limit: int) -> list[str]:
    lengths = {p.relative_to(ROOT).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in paths}
    return [f"{name}: {n} lines" for name, n in lengths.items() if n > limit]


@pytest.mark.parametrize("folder", sorted(LIMITS))
def test_module_size_within_limit(folder: str) -> None:
    limit = LIMITS[folder]
    assert not _too_long(_modules(folder), limit), f"split these modules (limit {limit} lines)"


def test_module_size_noxfile_within_limit() -> None:
    assert not _too_long([ROOT / "noxfile.py"], 400)


def test_module_size_sees_the_tree() -> None:
    """Guard the guard: the folders exist and hold modules (a moved folder would pass vacuously)."""
    assert all(_modules(folder) for folder in LIMITS)
