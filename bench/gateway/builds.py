"""Another revision of the gateway, installed beside the working tree's for side-by-side runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["ALL_SECTIONS", "config_sections", "install_baseline", "issue_key"]

# Optional config sections the bench's configs use, by the module that defines each.
_SECTION_MODULES = {"observability": "server/config/observability.py", "routing": "server/config/routing.py"}
ALL_SECTIONS = frozenset(_SECTION_MODULES)


def install_baseline(rev: str) -> dict[str, str]:
    """The gateway as of ``rev``, installed (no dependencies) into a temporary folder; the
    environment that makes ``python -m interlingua`` run it."""
    root = Path(subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip())
    tmp = Path(tempfile.mkdtemp(prefix="interlingua-baseline-"))
    src = tmp / "src"
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(src), rev], check=True)
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(tmp / "site"),
                str(src),
            ],
            check=True,
        )
    finally:
        subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(src)], check=True)
    return {**os.environ, "PYTHONPATH": str(tmp / "site")}


def config_sections(rev: str | None) -> frozenset[str]:
    """The optional config sections the gateway as of ``rev`` knows (the working tree's: all)."""
    if rev is None:
        return ALL_SECTIONS
    return frozenset(
        name
        for name, path in _SECTION_MODULES.items()
        if subprocess.run(["git", "cat-file", "-e", f"{rev}:{path}"], capture_output=True).returncode == 0
    )


def issue_key(cfg: Path, env: dict[str, str] | None) -> str:
    """An issued key with request and token limits too high to refuse anything: the bench
    then measures what keys and limits cost (lookup, reserve, settle, usage record)."""
    out = subprocess.run(
        [sys.executable, "-m", "interlingua", "keys", "--config", str(cfg), "--json", "create",
         "--name", "bench", "--rpm", str(10**9), "--tpm", str(10**12)],
        check=True, capture_output=True, text=True, env=env,
    )
    return str(json.loads(out.stdout)["key"])
