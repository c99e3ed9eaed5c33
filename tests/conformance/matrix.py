"""The compatibility matrix: generated from the fixture conformance results, never written by hand.

    python tests/conformance/matrix.py            # run the fixture tests, write the JSON, render README
    python tests/conformance/matrix.py --render   # only re-render README from the committed JSON
    nox -s matrix                                 # the first, in a fresh venv

How a cell is computed:

1. :class:`Recorder`, a pytest plugin, runs with the fixture tests (:data:`SUITES`) and keeps
   the outcome of every test parametrized by a fixture ``case`` (and usually a ``target``
   format).
2. Each test is placed in a (client format, upstream format) pair. Request tests convert
   client -> upstream, so the client is the fixture's format; response, stream and error
   tests convert upstream -> client, so the upstream is the fixture's format. Tests with
   only a ``case`` (same-format round trips) land on the diagonal.
3. :data:`FEATURES` maps fixture cases (and a few tests that check one thing over every case)
   to the features of the matrix; a test counts for every feature it matches.
4. A cell is ``yes`` when every test counted for it passed, ``partial (p/n)`` when some did,
   ``no (0/n)`` when none did, ``—`` when there are none. A strict xfail (a known bug) counts
   as a failure; a skip because a documented policy refused the conversion counts as
   ``refused`` (clear 400 instead of a translation); other skips are not counted.
5. Every fixture is converted once more here to collect what documented policies say:
   ``... dropped: ...`` warnings and refusals (a 400 ``ConversionError``). Such a cell gets
   a ``†`` and the README lists the notes per pair. A request snapshot test that passes
   because the snapshot *is* the refusal counts as ``refused``, not as ``passed``.

The results go to ``docs/compat-matrix.json`` (committed); the README section between the
``compat-matrix`` markers is ``matrix_render.render`` of that file, and ``test_compat_matrix.py`` fails when
they disagree.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import orjson
import pytest

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "compat-matrix.json"
README = ROOT / "README.md"
# Modules whose parametrized tests are not about a conversion between two formats.
NOT_COUNTED = ("test_fixtures_valid.py", "test_compat_matrix.py")
REFUSED = "refused by documented policy"
MAX_FAILURES_KEPT = 12
# The fixture tests: the conformance suite, and Bedrock's fixture streams, which are binary
# event streams and have their own module.
SUITES = ("tests/conformance", "tests/streams/test_stream_bedrock.py")

JSON = dict[str, Any]


@dataclass(frozen=True)
class Feature:
    """Which tests count for a feature: fixture cases (globs), restricted or widened by test name."""

    name: str
    cases: tuple[str, ...]
    only_tests: str | None = None  # glob on the test function name (e.g. stream tests only)
    skip_tests: str | None = None
    every_case_tests: tuple[str, ...] = ()  # tests that check this feature on every case

    def matches(self, test: str, case: str) -> bool:
        if test in self.every_case_tests:
            return True
        if not any(fnmatch(case, pattern) for pattern in self.cases):
            return False
        if self.only_tests is not None and not fnmatch(test, self.only_tests):
            return False
        return self.skip_tests is None or not fnmatch(test, self.skip_tests)


# Real agent clients' request shapes (system prompts and many tools), one per client format.
AGENTS = ("claude_code", "codex", "gemini_cli")
FEATURES: tuple[Feature, ...] = (
    Feature(
        "text",
        ("text_basic", "multi_turn", "unicode", "stop_sequence", "max_tokens", "sampling_params", "refusal"),
    ),
    Feature("system", ("system_prompt", "system_blocks", *AGENTS)),
    Feature("images", ("image_*", "tool_result_image")),
    Feature("tools", ("tools_*", "tool_*", "unicode", *AGENTS), skip_tests="*stream*"),
    Feature("streaming tools", ("tools_*", "tool_*", "unicode", *AGENTS), only_tests="*stream*"),
    Feature("thinking", ("thinking*", "redacted_thinking")),
    Feature("structured output", ("json_schema", "json_object")),
    Feature(
        "usage",
        ("cache_usage",),
        every_case_tests=(
            "test_response_conversion_keeps_content_and_usage",
            "test_response_cross_round_trip_keeps_content",
            "test_stream_conversion_accumulates_with_target_sdk",
            "test_fixture_stream_accumulates_to_the_response",
        ),
    ),
    Feature(
        "errors",
        ("error_*",),
        every_case_tests=(
            "test_stream_truncated_upstream_ends_with_client_error",
            "test_stream_fail_closes_blocks_and_reports_error",
            "test_fixture_stream_is_incremental_and_truncation_is_an_error",
        ),
    ),
)


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    """One conformance test in the matrix: its pair and fixture case."""

    test: str
    client: str
    upstream: str
    case: str


def place(item: pytest.Item) -> Placed | None:
    """Where a collected test belongs, or ``None`` when it is not about one case and pair."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or Path(str(item.fspath)).name in NOT_COUNTED:
        return None
    case, target = callspec.params.get("case"), callspec.params.get("target")
    if case is None or not hasattr(case, "fmt"):
        return None
    test = getattr(item, "originalname", item.name)
    source = case.fmt.value
    other = target.value if target is not None else source
    if test.startswith("test_request"):
        return Placed(test, client=source, upstream=other, case=case.name)
    return Placed(test, client=other, upstream=source, case=case.name)


class Recorder:
    """pytest plugin: the outcome of every placed test (``passed`` / ``failed`` / ``refused``)."""

    def __init__(self) -> None:
        self.placed: dict[str, Placed] = {}
        self.outcomes: dict[str, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            found = place(item)
            if found is not None:
                self.placed[item.nodeid] = found

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.nodeid not in self.placed:
            return
        before = self.outcomes.get(report.nodeid)
        if report.failed or hasattr(report, "wasxfail"):
            self.outcomes[report.nodeid] = "failed"
        elif report.skipped and before != "failed":
            self.outcomes[report.nodeid] = "refused" if REFUSED in str(report.longrepr) else "skipped"
        elif report.when == "call" and before is None:
            self.outcomes[report.nodeid] = "passed"


# --- aggregation -----------------------------------------------------------------------------


def _empty_cell() -> JSON:
    return {"passed": 0, "failed": 0, "refused": 0, "failures": [], "notes": []}


def _outcome(placed: Placed, outcome: str, notes: Notes) -> str:
    """A passing request test of a refused conversion (its snapshot is the refusal) counts as refused."""
    refused = (placed.client, placed.upstream, placed.case) in notes.refused
    if outcome == "passed" and refused and placed.test.startswith("test_request"):
        return "refused"
    return outcome


def aggregate(recorder: Recorder, formats: list[str], clients: list[str], notes: Notes) -> JSON:
    """The results document: one cell per (client, upstream, feature), in a stable order."""
    cells: dict[tuple[str, str, str], JSON] = defaultdict(_empty_cell)
    for nodeid, recorded in sorted(recorder.outcomes.items()):
        if recorded == "skipped":
            continue
        placed = recorder.placed[nodeid]
        outcome = _outcome(placed, recorded, notes)
        for feature in FEATURES:
            if feature.matches(placed.test, placed.case):
                cell = cells[(placed.client, placed.upstream, feature.name)]
                cell[outcome] += 1
                if outcome == "failed":
                    cell["failures"].append(nodeid)
    rows = []
    for client in formats:
        for upstream in formats:
            for feature in FEATURES:
                cell = cells.get((client, upstream, feature.name)) or _empty_cell()
                total_failures = len(cell["failures"])
                cell["failures"] = cell["failures"][:MAX_FAILURES_KEPT]
                cell["failures_total"] = total_failures
                cell["notes"] = sorted(notes.by_cell.get((client, upstream, feature.name), set()))
                rows.append({"client": client, "upstream": upstream, "feature": feature.name, **cell})
    return {
        "generated_by": "nox -s matrix (tests/conformance/matrix.py)",
        "formats": formats,
        "client_surfaces": clients,
        "features": [
            {
                "name": f.name,
                "cases": list(f.cases),
                "only_tests": f.only_tests,
                "skip_tests": f.skip_tests,
                "every_case_tests": list(f.every_case_tests),
            }
            for f in FEATURES
        ],
        "cells": rows,
    }


@dataclass
class Notes:
    """What the converters said while converting the fixtures: drops (warnings) and refusals."""

    # (client, upstream, feature) -> "x dropped: ..." warnings and "refused: ..." messages
    by_cell: dict[tuple[str, str, str], set[str]]
    # (client, upstream, case) whose request conversion a documented policy refuses
    refused: set[tuple[str, str, str]]


def _convert(case: Any, target: Any, kind: str) -> tuple[list[str], str | None]:
    """The drop warnings of one conversion, or the refusal (errors are the tests' business)."""
    from interlingua.errors import ConversionError
    from interlingua.translate import translate_request, translate_response

    convert = translate_request if kind == "request" else translate_response
    try:
        result = convert(case.json(f"{kind}.json"), source=case.fmt, target=target)
    except ConversionError as err:
        return [], f"refused: {err.message}"
    except Exception:  # a bug: the tests report it
        return [], None
    return [w for w in result.warnings if "dropped" in w], None


def collect_notes(formats: list[str]) -> Notes:
    """Convert every fixture to every other format and keep what a documented policy said."""
    from conformance.corpus import cases  # tests/ is on sys.path (see main)
    from interlingua.translate import Format

    notes = Notes(defaultdict(set), set())
    for case in cases():
        features = [f.name for f in FEATURES if f.only_tests is None and f.matches("", case.name)]
        for target in (Format(f) for f in formats if f != case.fmt.value):
            runs: list[tuple[str, str, tuple[list[str], str | None]]] = []
            if case.has("request.json"):
                runs.append((case.fmt.value, target.value, _convert(case, target, "request")))
            if case.has("response.json") and not case.is_error:
                runs.append((target.value, case.fmt.value, _convert(case, target, "response")))
            for client, upstream, (dropped, refusal) in runs:
                said = dropped + ([refusal] if refusal else [])
                if refusal:
                    notes.refused.add((client, upstream, case.name))
                for name in features if said else ():
                    notes.by_cell[(client, upstream, name)].update(said)
    return notes


# --- command line ----------------------------------------------------------------------------


def load() -> JSON:
    value: JSON = orjson.loads(RESULTS.read_bytes())
    return value


def write_readme(results: JSON) -> None:
    from conformance.matrix_render import render, replace_section  # tests/ is on sys.path (see main)

    README.write_text(replace_section(README.read_text(encoding="utf-8"), render(results)), encoding="utf-8")


def run_conformance(pytest_args: Iterable[str]) -> JSON:
    """Run the fixture tests (:data:`SUITES`) with the recorder; the results document."""
    from interlingua.translate import Format

    recorder = Recorder()
    suites = [str(ROOT / suite) for suite in SUITES if (ROOT / suite).exists()]
    args = [*suites, "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *pytest_args]
    code = pytest.main(args, plugins=[recorder])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise SystemExit(f"pytest did not run the conformance tests through (exit code {int(code)})")
    formats = [f.value for f in Format]
    return aggregate(recorder, formats, client_surfaces(formats), collect_notes(formats))


def client_surfaces(formats: list[str]) -> list[str]:
    """The formats the gateway serves to clients (the others are upstream-only there)."""
    try:
        from interlingua.server.surfaces import SURFACES  # the client formats the gateway reads
    except ImportError:
        return formats
    return [f for f in formats if f in {fmt.value for fmt in SURFACES}]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--render", action="store_true", help="only re-render README from the committed JSON")
    args, pytest_args = parser.parse_known_args(argv)  # the rest goes to pytest (e.g. -x)
    if not args.render:
        results = run_conformance(pytest_args)
        RESULTS.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2) + b"\n")
    write_readme(load())
    print(f"README section rendered from {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))  # `conformance.*`, as pytest's rootdir conftest makes it
    raise SystemExit(main())
