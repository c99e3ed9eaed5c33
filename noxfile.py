"""Developer sessions. Each works on a fresh machine: nox makes the venv and installs the project.

    nox -s check                 # what CI runs: drift check, lint, typecheck, tests
    nox -s generate              # regenerate generated/ from specs/ and codegen/rules/
    nox -s generate -- --check   # fail and print the diff when generated/ is stale
    nox -s tests -- -k anthropic # pytest, extra args passed through
    nox -s conformance           # fixture conformance only
    nox -s matrix                # rerun conformance, regenerate docs/compat-matrix.json + README matrix
    nox -s specs-diff            # our specs against ../shared/reference/specs -> docs/coverage/<format>.md
    nox -s genai-majors          # google-genai 1.x and 2.x side by side: their bodies through the gateway
    nox -s langchain-gemini      # LangChain's Gemini client as a judge (it caps google-genai below 3)
    nox -s bench-convert         # microseconds per conversion
    nox -s bench                 # the gateway under load against a local fake upstream
    nox -s bench-instructions    # instructions per gateway request under callgrind (exact)
    nox -s fuzz                  # the spec-driven fuzz suite, long profile
    nox -s soak                  # 100,000 mixed requests, RSS sampled
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["check"]

PYTHON = "3.11"
ROOT = Path(__file__).resolve().parent


def install(session: nox.Session) -> None:
    """The one install step every session shares: the project with its dev extras."""
    session.install("-e", ".[dev]")


def _generate(session: nox.Session, *args: str) -> None:
    session.run("interlingua", "codegen", *args)


def _lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")


def _typecheck(session: nox.Session) -> None:
    """Type-check the package as it installs (``interlingua.*``).

    mypy maps files to module names by path (``runtime/cli.py`` would be ``runtime.cli``)
    and cannot follow setuptools' editable-install finder, so the package is installed
    into a throwaway tree and checked there. Strict settings come from pyproject.toml;
    ``interlingua.generated.*`` has a lighter override.
    """
    tree = Path(session.create_tmp()) / "typecheck-tree"
    shutil.rmtree(tree, ignore_errors=True)
    # setuptools reuses build/ across installs: a module deleted from the source would
    # still be copied into the tree and type-checked.
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    session.run("python", "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(tree), ".")
    session.run(
        "mypy", "--config-file", str(ROOT / "pyproject.toml"), "-p", "interlingua",
        env={"MYPYPATH": str(tree)}, external=False,
    )


def _tests(session: nox.Session, *args: str) -> None:
    session.run("pytest", *args)


@nox.session(python=PYTHON)
def generate(session: nox.Session) -> None:
    """Regenerate generated/ (pass `-- --check` to only report drift)."""
    unknown = [arg for arg in session.posargs if arg != "--check"]
    if unknown:
        session.error(f"Usage: nox -s generate [-- --check]; unknown {unknown}")
    install(session)
    _generate(session, *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    install(session)
    _lint(session)


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the hand-written code; the generated code is checked with lighter settings."""
    install(session)
    _typecheck(session)


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    install(session)
    _tests(session, *session.posargs)


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """Every fixture validated, converted to every format, judged by the official SDKs."""
    install(session)
    _tests(session, "tests/conformance", *session.posargs)


@nox.session(python=PYTHON)
def check(session: nox.Session) -> None:
    """What CI runs (.ci/run): drift check, lint, typecheck, the whole test suite, in one venv."""
    install(session)
    _generate(session, "--check")
    _lint(session)
    _typecheck(session)
    _tests(session, *session.posargs)


@nox.session(python=PYTHON)
def matrix(session: nox.Session) -> None:
    """The README compatibility matrix from the conformance results (`-- --render`: README only)."""
    install(session)
    session.run("python", "tests/conformance/matrix.py", *session.posargs)


# google-genai majors older than the installed one (dev extras), installed side by side.
GENAI_MAJORS = {"1": "google-genai>=1.30,<2", "2": "google-genai>=2,<3"}


@nox.session(name="genai-majors", python=PYTHON)
def genai_majors(session: nox.Session) -> None:
    """Gemini clients built by every google-genai major (1.x, 2.x next to the installed 3.x)."""
    install(session)
    folder = ROOT / ".nox" / "genai"
    for major, spec in GENAI_MAJORS.items():
        target = folder / major
        shutil.rmtree(target, ignore_errors=True)
        session.run("python", "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), spec)
    targets = ":".join(str(folder / major) for major in GENAI_MAJORS)
    session.run(
        "pytest", "-q", "tests/server/test_gateway_gemini_sdk_majors.py", env={"INTERLINGUA_GENAI_TARGETS": targets}
    )


@nox.session(name="langchain-gemini", python=PYTHON)
def langchain_gemini(session: nox.Session) -> None:
    """LangChain's Gemini client as a judge, in its own venv: langchain-google-genai caps
    google-genai below 3, which the dev extras (and the other tests) are past."""
    install(session)
    session.install("langchain-google-genai>=4.4,<5")
    session.run("pytest", "-q", "tests/judges/test_langchain_google.py", *session.posargs)


@nox.session(name="specs-diff", python=PYTHON)
def specs_diff(session: nox.Session) -> None:
    """Every published spec in ../shared/reference/specs against ours: docs/coverage/<format>.md."""
    published = ROOT.parent / "shared" / "reference" / "specs"
    files = sorted(p for p in published.glob("*/*") if p.suffix in (".json", ".yaml", ".yml"))
    if not files:
        session.error(f"Usage: nox -s specs-diff needs the published specs in {published}")
    install(session)
    session.run("interlingua", "specs", "diff", *map(str, files), "--write", "docs/coverage")


@nox.session(name="bench-convert", python=PYTHON)
def bench_convert(session: nox.Session) -> None:
    """Microseconds per request/response conversion and per stream event, both directions."""
    install(session)
    session.run("python", "bench/convert.py", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The gateway under load (passthrough and translated, streamed and not) on 127.0.0.1."""
    install(session)
    session.run("python", "bench/gateway/run.py", *session.posargs)


@nox.session(name="bench-instructions", python=PYTHON)
def bench_instructions(session: nox.Session) -> None:
    """Instructions per gateway request under valgrind's callgrind: exact, unlike CPU time on a shared VM.

    Needs valgrind (Debian package). ``-- --baseline REV --scenarios s1,s5 --keys --variants ...``."""
    install(session)
    session.run("python", "bench/gateway/instructions.py", *session.posargs)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The spec-driven fuzz suite, long profile: random (not seeded) and 500 examples per endpoint.

    The default test run has the short seeded profile (tests/server/test_fuzz_gateway.py)."""
    install(session)
    env = {"FUZZ_EXAMPLES": "500", "FUZZ_SEEDED": "0", "HYPOTHESIS_PROFILE": "dev"}
    session.run("pytest", "tests/server/test_fuzz_gateway.py", *session.posargs, env=env)


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """100,000 mixed requests at concurrency 64 on loopback, the gateway's RSS sampled (~10 min)."""
    install(session)
    session.run("python", "tests/soak/soak.py", *session.posargs)
