"""Which package may import which, read from the source with ``ast`` (function-level imports
included, relative imports resolved), so a lazy import cannot slip past the way it would past grep.

- The translation runtime (``runtime/`` = ``interlingua``, and ``generated/``) never imports the
  gateway (``interlingua.server``) nor its web stack (Quart, Hypercorn): the converters run and
  are tested without a server. ``runtime/cli.py`` is the console-script dispatcher, not
  translation: it starts ``serve``/``codegen`` through lazy imports and is the one exemption.
- The gateway's own code (``server/``) never imports the fake upstream
  (``interlingua.server.fake_upstream``): that server is for demo mode, the tests and the bench.
  Only the demo entry point (``server/demo_mode.py``) and the fake upstream itself may.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"runtime": "interlingua", "server": "interlingua.server", "generated": "interlingua.generated"}
FAKE = "interlingua.server.fake_upstream"
WEB_STACK = ("interlingua.server", "quart", "hypercorn")
RUNTIME_EXEMPT = {"runtime/cli.py"}  # the CLI dispatcher (see the module docstring)
FAKE_ALLOWED = {"server/demo_mode.py"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT)
    parts = [PACKAGES[rel.parts[0]], *rel.parts[1:-1]]
    if rel.stem != "__init__":
        parts.append(rel.stem)
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    return imports_in(path.read_text(encoding="utf-8"), _module_name(path), path.stem == "__init__")


def imports_in(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, anywhere in the file;
    ``from a import b`` gives ``a.b`` too (``b`` may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0]
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _sources(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("folder", ["runtime", "generated"])
def test_layering_runtime_never_imports_the_server_or_web_stack(folder: str) -> None:
    found = {
        f"{_rel(path)} imports {name}"
        for path in _sources(folder)
        if _rel(path) not in RUNTIME_EXEMPT
        for name in imports_of(path)
        if any(_under(name, banned) for banned in WEB_STACK)
    }
    assert not found, sorted(found)


def test_layering_gateway_never_imports_the_fake_upstream() -> None:
    found = {
        f"{_rel(path)} imports {name}"
        for path in _sources("server")
        if _rel(path) not in FAKE_ALLOWED and not _rel(path).startswith("server/fake_upstream/")
        for name in imports_of(path)
        if _under(name, FAKE)
    }
    assert not found, sorted(found)


def test_layering_demo_entry_point_is_the_bridge() -> None:
    """The exemption is real: demo mode does use the fake upstream (else the rule proves nothing)."""
    assert any(_under(name, FAKE) for name in imports_of(ROOT / "server/demo_mode.py"))


def test_layering_reader_sees_lazy_and_relative_imports() -> None:
    code = "def f():\n    from .fake_upstream import server\n    from .. import errors\n    import quart\n"
    assert imports_in(code, "interlingua.server.probe") == {
        "interlingua.server.fake_upstream",
        "interlingua.server.fake_upstream.server",
        "interlingua",
        "interlingua.errors",
        "quart",
    }
