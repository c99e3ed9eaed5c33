"""The compatibility matrix as README markdown: a pure function of ``docs/compat-matrix.json``.

Kept apart from :mod:`conformance.matrix` (which runs the tests and writes the JSON) so the
staleness test reads and renders the committed results without running anything.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

__all__ = ["END", "START", "cell_text", "render", "replace_section", "section"]

START = "<!-- compat-matrix:start -->"
END = "<!-- compat-matrix:end -->"

JSON = dict[str, Any]


def cell_text(cell: JSON) -> str:
    """``yes`` / ``partial (p/n)`` / ``no (0/n)`` / ``refused`` / ``—``, ``†`` when a policy drops data."""
    passed, refused = cell["passed"], cell["refused"]
    total = passed + cell["failed"] + refused
    if total == 0:
        text = "—"
    elif passed == total:
        text = "yes"
    elif refused == total:
        text = "refused"
    else:
        word = "no" if passed == 0 else "partial"
        text = f"{word} ({passed}/{total}{f', {refused} refused' if refused else ''})"
    return text + ("†" if cell["notes"] else "")


def _pair(client: str, upstream: str, clients: list[str] | None = None) -> str:
    label = f"`{client}` → `{upstream}`"
    if client == upstream:
        label += " (same format)"
    if clients is not None and client not in clients:
        label += " ‡"
    return label


def _table(results: JSON) -> list[str]:
    names = [f["name"] for f in results["features"]]
    rows: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for cell in results["cells"]:
        rows[(cell["client"], cell["upstream"])][cell["feature"]] = cell_text(cell)
    lines = [
        "| client → upstream | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for (client, upstream), row in rows.items():
        label = _pair(client, upstream, results.get("client_surfaces"))
        lines.append(f"| {label} | " + " | ".join(row[n] for n in names) + " |")
    return lines


def _definitions(results: JSON) -> list[str]:
    lines = ["| feature | fixture cases | tests counted |", "|---|---|---|"]
    for f in results["features"]:
        cases = ", ".join(f"`{c}`" for c in f["cases"])
        tests = "all" if f["only_tests"] is None else f"`{f['only_tests']}`"
        if f["skip_tests"]:
            tests += f" except `{f['skip_tests']}`"
        if f["every_case_tests"]:
            tests += "; on every case: " + ", ".join(f"`{t}`" for t in f["every_case_tests"])
        lines.append(f"| {f['name']} | {cases} | {tests} |")
    return lines


def _drops(results: JSON) -> list[str]:
    by_pair: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cell in results["cells"]:
        if cell["notes"]:
            notes = "; ".join(f"`{w}`" for w in cell["notes"])
            by_pair[(cell["client"], cell["upstream"])].append(f"  - {cell['feature']}: {notes}")
    lines = []
    for (client, upstream), items in by_pair.items():
        lines += [f"- {_pair(client, upstream)}", *items]
    return lines


def _legend(results: JSON) -> str:
    legend = (
        "**yes**: every counted test passed; **partial (p/n)**: p of n passed; **no**: none did; "
        "**refused**: the conversion is refused with a clear 400 by a documented policy; **—**: no fixture "
        "test covers it; **†**: a documented policy drops something here and says so in a warning "
        "(`x-interlingua-warning`), or refuses, listed below."
    )
    clients = results.get("client_surfaces", results["formats"])
    if set(results["formats"]) - set(clients):
        legend += " **‡**: translator only, the gateway serves no client surface in this format."
    return legend


def _totals(results: JSON) -> str:
    counted = {key: sum(c[key] for c in results["cells"]) for key in ("passed", "failed", "refused")}
    return (
        f"Counted test outcomes (a test counts once per feature it covers): {counted['passed']} passed, "
        f"{counted['failed']} failed, {counted['refused']} refused by documented policy."
    )


def render(results: JSON) -> str:
    """The README section (between the markers) for a results document."""
    lines = [
        "Generated from the fixture conformance tests by `nox -s matrix` "
        "(`tests/conformance/matrix.py`, results in `docs/compat-matrix.json`); do not edit by hand.",
        "Rows: the client's format → the upstream's format (a request converts client → upstream; "
        "its response, stream and errors upstream → client).",
        "",
        *_table(results),
        "",
        _legend(results),
        "",
        _totals(results),
        "",
        *_definitions(results),
    ]
    drops = _drops(results)
    if drops:
        lines += [
            "",
            "<details><summary>Documented drops and refusals (†), per pair and feature</summary>",
            "",
            *drops,
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


def section(readme: str) -> str:
    """The text between the markers of ``readme`` (``ValueError`` when they are missing)."""
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[start:end].strip("\n") + "\n"


def replace_section(readme: str, body: str) -> str:
    start, end = readme.index(START) + len(START), readme.index(END)
    return readme[:start] + "\n" + body + readme[end:]
