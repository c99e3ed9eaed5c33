"""The wheel installs everything under `interlingua`, never generic top-level modules."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAPPED = {"runtime": "interlingua", "server": "interlingua.server", "codegen": "interlingua.codegen",
          "generated": "interlingua.generated"}


def _declared() -> tuple[dict[str, str], list[str]]:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    return setuptools["package-dir"], setuptools["packages"]


def test_packaging_maps_top_level_folders_under_interlingua() -> None:
    package_dir, packages = _declared()
    assert {folder: name for name, folder in package_dir.items()} == MAPPED
    assert all(name == "interlingua" or name.startswith("interlingua.") for name in packages)


def test_packaging_lists_every_python_package_folder() -> None:
    _, packages = _declared()
    expected = set()
    for folder, name in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            expected.add(".".join([name, *relative.parts]))
    missing = sorted(expected - set(packages))
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"
