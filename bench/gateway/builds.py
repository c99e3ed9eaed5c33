"""Another revision of the gateway, installed beside the working tree's for side-by-side runs."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from variants import VARIANTS

__all__ = [
    "ALL_SECTIONS",
    "Build",
    "add_build_options",
    "config_sections",
    "install_baseline",
    "issue_key",
    "measured_builds",
    "parse_build_options",
]

# Optional config sections the bench's configs use, by the module that defines each.
_SECTION_MODULES = {
    "observability": "server/config/observability.py",
    "routing": "server/config/routing.py",
    "store": "server/config/store.py",
}
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


@dataclass(frozen=True)
class Build:
    """One gateway the noise-free benches (calls.py, instructions.py) measure."""

    env: dict[str, str] | None = None  # None: the working tree's gateway
    sections: frozenset[str] = ALL_SECTIONS
    variant: str | None = None  # an observability variant of variants.py
    with_key: bool = False


def add_build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scenarios", default="s1,s1-stream")
    parser.add_argument("--baseline", help="also measure the gateway as of this git revision")
    parser.add_argument("--keys", action="store_true", help="also measure requests through an issued key with limits")
    parser.add_argument("--variants", default="", help=f"also measure these builds: {', '.join(VARIANTS)}")


def parse_build_options(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    args.variants = [v for v in args.variants.split(",") if v]
    if unknown := set(args.variants) - set(VARIANTS):
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    return args


def measured_builds(args: argparse.Namespace) -> dict[str, Build]:
    """The builds named by add_build_options' options: the working tree's ("current"), a baseline
    (installed once), keys, the variants (and keys and each variant on the baseline, when it
    knows them: their before and after from one run)."""
    builds = {"current": Build()}
    if args.baseline:
        builds = {"baseline": Build(install_baseline(args.baseline), config_sections(args.baseline)), **builds}
    if args.keys:
        builds["keys"] = Build(with_key=True)
    builds.update({variant: Build(variant=variant) for variant in args.variants})
    base = builds.get("baseline")
    if base and args.keys and "store" in base.sections:
        builds["baseline keys"] = Build(base.env, base.sections, with_key=True)
    if base and "observability" in base.sections:  # each variant's before and after, from one run
        builds.update({f"baseline {v}": Build(base.env, base.sections, variant=v) for v in args.variants})
    return builds
